"""Bookkeeping written late (handlers/deferred_writes.py) is never stranded in memory: an item
added while the writer's unit of work closes is written by that writer's next round. Lingering
before a commit of its own, it is written with what comes meanwhile, or by a change committed
meanwhile, and costs no transaction of its own then (counted on a real SQLite store)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from handlers.deferred_writes import DeferredWrites
from storage import SqliteStore
from tests.test_tap_pipeline import Counted, store  # noqa: F401  (a fixture: a real SQLite store)


class Written(DeferredWrites[str]):
    def __init__(self, store, linger: float = 0) -> None:
        super().__init__(store, linger=linger)  # no lingering: the writer goes for the store at once
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
    async def unit_of_work(self, short: bool = False):
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



async def test_items_added_while_the_writer_lingers_share_its_one_transaction(store: SqliteStore) -> None:
    counted = Counted(store)
    marks = Written(counted, linger=0.5)
    marks.add("update 1")
    for _ in range(10):
        await asyncio.sleep(0)  # the store free all along: without lingering, update 1 went alone
    marks.add("update 2")
    await marks.drain()
    assert marks.written == ["update 1", "update 2"]
    assert counted.opened == 1


async def test_a_change_committed_while_the_writer_lingers_takes_it_and_the_writer_opens_nothing(
        store: SqliteStore) -> None:
    counted = Counted(store)
    marks = Written(counted, linger=0.5)
    marks.add("update 1")
    async with store.unit_of_work() as uow:  # a change, not counted: the writer's are
        await marks.ride(uow)
        await uow.commit()
    await marks.drain()
    assert marks.written == ["update 1"]
    assert counted.opened == 0
