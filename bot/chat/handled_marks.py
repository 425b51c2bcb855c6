"""Stored updates marked handled, many in one transaction.

The mark is bookkeeping, not an effect: whatever an update changes is committed with the key
the bus remembers it by (handlers/bus.py), and its answer was sent before it is marked. So the
mark may come late. An update handled but not yet marked when the bot dies is handled again at
the next start, and gets the answer it got the first time, changing nothing. Marking each
update in a transaction of its own put a commit (an fsync) on every tap; marking all that
were handled while the store was busy costs one.
"""

from __future__ import annotations

import asyncio
import logging

from handlers.clock import Clock
from handlers.model import Platform

log = logging.getLogger(__name__)


class HandledMarks:
    def __init__(self, store, platform: Platform, clock: Clock) -> None:
        self.store = store
        self.platform = platform
        self.clock = clock
        self._waiting: list[int] = []
        self._marking: asyncio.Task | None = None

    def add(self, update_id: int) -> None:
        """Marks `update_id` handled soon, with whatever else was handled by then."""
        self._waiting.append(update_id)
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._mark(), name=f"mark {self.platform.value} updates handled")

    async def drain(self) -> None:
        """Until every update added is marked: before the store closes."""
        while self._marking is not None and not self._marking.done():
            await self._marking

    async def _mark(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self.store.unit_of_work() as uow:
                    await uow.inbox.mark_all_handled(self.platform, batch, self.clock.now())
                    await uow.commit()
            except Exception:  # noqa: BLE001 - unmarked updates are handled again, to no effect, at start
                log.warning("could not mark %d %s updates handled; they are replayed at the next start",
                            len(batch), self.platform.value, exc_info=True)
