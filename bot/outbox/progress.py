"""How far the delivery of one outbox message got, so a retry sends only what is missing.

A message can take several platform calls (a finding's photos, then its text; a notice, then
its PDF). Each call an adapter makes through `part` is recorded in the store as soon as it
returns: when a later call fails and the message is tried again, the parts already in the
chat are not sent a second time. Only a crash between a call returning and its record can
repeat that one part.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Progress:
    def __init__(self, store=None, message_id: int | None = None, done: dict[str, Any] | None = None):
        """Without a store (a message not from the outbox) nothing is recorded."""
        self.store = store
        self.message_id = message_id
        self.done: dict[str, Any] = dict(done or {})

    async def part(self, name: str, send: Callable[[], Awaitable[T]]) -> T:
        """Runs `send()` unless the part `name` was delivered before; returns its result
        (JSON-compatible: a reference, a list of ids, None), stored or new."""
        if name in self.done:
            return self.done[name]
        result = await send()
        self.done[name] = result
        if self.store is not None and self.message_id is not None:
            async with self.store.unit_of_work(short=True) as uow:
                await uow.outbox.record_parts(self.message_id, self.done)
                await uow.commit()
        return result

    def under(self, prefix: str) -> Progress:
        """The parts of a further message shown with this one (the notice's link beside it),
        recorded with this message's but named apart: a retry skips each once it is sent."""
        return _Under(self, prefix)


class _Under(Progress):
    def __init__(self, outer: Progress, prefix: str):
        super().__init__()
        self.outer = outer
        self.prefix = prefix

    async def part(self, name: str, send: Callable[[], Awaitable[T]]) -> T:
        return await self.outer.part(f"{self.prefix}:{name}", send)
