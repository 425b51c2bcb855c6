"""Bookkeeping written late (handlers/deferred_writes.py) is never stranded in memory: an item
added while the writer's unit of work closes is written by that writer's next round."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from handlers.deferred_writes import DeferredWrites


class Written(DeferredWrites[str]):
    def __init__(self, store) -> None:
        super().__init__(store)
        self.written: list[str] = []

    async def write(self, uow, batch: list[str]) -> None:
        self.written.extend(batch)


class ClosingStore:
    """A store whose unit of work opens once `free` is set (another holds it until then) and,
    as it closes, lets `on_close` run (an await, as a real rollback or commit is)."""

    def __init__(self) -> None:
        self.free = asyncio.Event()
        self.on_close = None

    @asynccontextmanager
    async def unit_of_work(self):
        await self.free.wait()
        yield self
        await asyncio.sleep(0)
        if (hook := self.on_close) is not None:
            self.on_close = None
            hook()
        await asyncio.sleep(0)

    async def commit(self) -> None:
        await asyncio.sleep(0)


async def test_an_item_added_while_the_writer_closes_an_empty_round_is_still_written() -> None:
    store = ClosingStore()
    marks = Written(store)
    marks.add("update 1")  # starts the writer, which waits for the store
    await asyncio.sleep(0)
    await marks.ride(store)  # the change holding the store takes update 1 along in its commit
    store.on_close = lambda: marks.add("update 2")  # handled while the writer's empty round closes
    store.free.set()

    await marks.drain()

    assert marks.written == ["update 1", "update 2"]
