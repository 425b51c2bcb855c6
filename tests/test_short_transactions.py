"""Where a unit of work's statements run (issue 17), held without timing anything, against a
real SQLite file: a short one's on the event loop, once it holds the write lock; any other's,
and a BEGIN that must wait for another process's lock, in the connection's thread, so that
the loop goes on meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import SqliteStore
from storage.connection import raw


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "followup.sqlite3")
    # Which thread a statement runs in, asked from SQL itself.
    raw(opened._writer._conn).create_function("thread", 0, threading.get_ident)  # noqa: SLF001
    yield opened
    await opened.close()


async def thread_of_statements(store: SqliteStore, short: bool) -> int:
    async with store.unit_of_work(short=short) as uow:
        row = await uow._tx.one("SELECT thread()")  # noqa: SLF001
        await uow.commit()
    return row[0]


async def test_a_short_unit_of_works_statements_run_on_the_loop_and_any_others_in_the_thread(store) -> None:
    assert await thread_of_statements(store, short=True) == threading.get_ident()
    assert await thread_of_statements(store, short=False) != threading.get_ident()


async def test_a_short_unit_of_work_waits_for_another_processs_lock_beside_the_loop_and_then_runs(store) -> None:
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as a CLI command writing at that moment would
    try:
        waiting = asyncio.create_task(thread_of_statements(store, short=True))
        for _ in range(20):
            await asyncio.sleep(0.01)  # the loop goes on: the wait is not on it
        assert not waiting.done()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await waiting == threading.get_ident()


async def test_a_short_unit_of_work_rolled_back_keeps_nothing_and_the_next_one_runs(store) -> None:
    with pytest.raises(RuntimeError):
        async with store.unit_of_work(short=True) as uow:
            await uow._tx.write("CREATE TABLE scratch (x)")  # noqa: SLF001
            raise RuntimeError("the command failed")
    async with store.unit_of_work(short=True) as uow:
        tables = await uow._tx.all("SELECT name FROM sqlite_master WHERE name = 'scratch'")  # noqa: SLF001
    assert tables == []


async def test_a_short_unit_of_work_cancelled_while_waiting_for_the_lock_leaves_the_store_usable(store) -> None:
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        waiting = asyncio.create_task(thread_of_statements(store, short=True))
        await asyncio.sleep(0.05)
        waiting.cancel()
        await asyncio.sleep(0.05)
    finally:
        other.execute("ROLLBACK")  # the BEGIN given up on still runs in the thread, then its ROLLBACK
        other.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await thread_of_statements(store, short=True) == threading.get_ident()


async def test_any_unit_of_work_begins_on_the_loop_and_one_that_wrote_nothing_ends_there(store, monkeypatch) -> None:
    """Only its statements and its COMMIT go to the thread: each trip there is a wake-up and a
    callback, and the outbox's reads left without a commit made nine of its 22 per decision."""
    from aiosqlite import Connection

    jobs: list[object] = []
    real = Connection._execute  # noqa: SLF001

    async def counted(conn, fn, *args, **kwargs):
        jobs.append(next(a for a in args if isinstance(a, str)))  # its SQL
        return await real(conn, fn, *args, **kwargs)

    monkeypatch.setattr(Connection, "_execute", counted)
    async with store.unit_of_work() as uow:
        await uow._tx.all("SELECT 1")  # noqa: SLF001
    assert jobs == ["SELECT 1"]
    jobs.clear()
    async with store.unit_of_work() as uow:
        await uow._tx.write("CREATE TABLE scratch (x)")  # noqa: SLF001
        await uow._tx.write("INSERT INTO scratch VALUES (1)")  # noqa: SLF001
    assert jobs == ["CREATE TABLE scratch (x)", "INSERT INTO scratch VALUES (1)", "ROLLBACK"]
    async with store.unit_of_work(short=True) as uow:
        tables = await uow._tx.all("SELECT name FROM sqlite_master WHERE name = 'scratch'")  # noqa: SLF001
    assert tables == []


async def test_a_unit_of_work_is_single_use_and_one_that_cannot_begin_lets_the_next_one_in(store) -> None:
    used = store.unit_of_work(short=True)
    async with used:
        pass
    with pytest.raises(RuntimeError, match="single use"):
        async with used:
            pass
    raw(store._writer._conn).execute("BEGIN")  # noqa: SLF001 - so that BEGIN IMMEDIATE fails
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        async with store.unit_of_work(short=True):
            pass
    async with store.unit_of_work(short=True) as uow:
        await uow._tx.write("CREATE TABLE scratch (x)")  # noqa: SLF001
        await uow.commit()
    async with store.unit_of_work(short=True) as uow:
        assert await uow._tx.all("SELECT name FROM sqlite_master WHERE name = 'scratch'")  # noqa: SLF001
