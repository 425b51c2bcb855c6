"""Stored updates marked handled, many in one transaction.

The mark is bookkeeping, not an effect: whatever an update changes is committed with the key
the bus remembers it by (handlers/bus.py), and its answer was sent before it is marked. So the
mark may come late. An update handled but not yet marked when the bot dies is handled again at
the next start, and gets the answer it got the first time, changing nothing. Marking each
update in a transaction of its own put a commit (an fsync) on every tap; the marks waiting
ride in the next change committed (the bus's, or the one storing newly received updates), or
are written together in one of their own (handlers/deferred_writes.py).
"""

from __future__ import annotations

from handlers.clock import Clock
from handlers.deferred_writes import DeferredWrites
from handlers.model import Platform


class HandledMarks(DeferredWrites[int]):
    def __init__(self, store, platform: Platform, clock: Clock, ride_all=None) -> None:
        super().__init__(store, ride_all)
        self.platform = platform
        self.clock = clock
        self.name = f"marks of {platform.value} updates handled"

    async def write(self, uow, batch: list[int]) -> None:
        await uow.inbox.mark_all_handled(self.platform, batch, self.clock.now())
