"""Bookkeeping written late and together: in the next transaction that commits a change
(`ride`), else in one of its own after lingering a moment (`LINGER`). Under load it costs no
commit (an fsync) of its own; alone, it is written within that moment.

Writing it alone as soon as the store was free made every repeated tap at a few hundred taps a
second a transaction of its own (BEGIN, two statements, COMMIT and its fsync, and often an
empty round after a ride had taken everything): lingering lets the taps of that moment, and
the next polled batch's commit, take it along (issue 17).

What is deferred is never an effect, only what tells an update handled before from a new one
(handlers/bus.py, bot/chat/handled_marks.py): lost in a crash, the update is read again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
LINGER = 0.025  # seconds bookkeeping waits for company, or a change to ride in, before a commit of its own


class DeferredWrites(Generic[T]):
    name = "bookkeeping"

    def __init__(self, store, ride_all: Callable[[object], Awaitable[None]] | None = None,
                 linger: float = LINGER) -> None:
        """`ride_all`: what writes all bookkeeping waiting (MessageBus.ride_in), so that a
        transaction of its own writes this and the rest together; else this alone. `linger`:
        how long an item waits before that transaction."""
        self.store = store
        self._ride_all = ride_all or self.ride
        self.linger = linger
        self._waiting: list[T] = []
        self._writing: asyncio.Task | None = None

    def add(self, item: T) -> None:
        """`item` written soon, with whatever else waits by then."""
        self._waiting.append(item)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_alone(), name=f"write {self.name}")

    async def ride(self, uow) -> None:
        """Writes what waits in `uow`, a transaction about to commit."""
        batch, self._waiting = self._waiting, []
        if batch:
            await self.write(uow, batch)

    async def drain(self) -> None:
        """Until everything added is written: before the store closes."""
        while self._writing is not None and not self._writing.done():
            await self._writing

    async def write(self, uow, batch: list[T]) -> None:
        raise NotImplementedError

    async def _write_alone(self) -> None:
        """Until nothing waits. Only the loop's own test may end it: an item added while the
        unit of work closes (an await) finds this task not done and starts none of its own, so
        a `return` from inside the unit of work would strand it, an update marked handled in
        memory only, never in the store."""
        while self._waiting:
            if self.linger:
                await asyncio.sleep(self.linger)  # meanwhile a change committed may take it along
                if not self._waiting:
                    continue
            try:
                async with self.store.unit_of_work(short=True) as uow:
                    if self._waiting:  # else written with a change committed while this waited for the store
                        await self._ride_all(uow)
                        await uow.commit()
            except Exception:  # noqa: BLE001 - lost bookkeeping means an update read again, logged
                log.warning("could not write the %s waiting; those updates are read again if handled again",
                            self.name, exc_info=True)
