"""Processes sharing one SQLite file queue for its write lock on a file lock (storage.connection),
not in SQLite's sleeping busy handler. Another process is played by a second open file holding
`flock` on the same lock file: the kernel treats it exactly as another process's. Structure only:
who waits for whom, never how long.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from pathlib import Path

import pytest

import storage.connection
from storage import SqliteStore
from storage.connection import LOCK_SUFFIX


def lock_file(database: Path) -> Path:
    return database.with_name(database.name + LOCK_SUFFIX)


def free(database: Path) -> bool:
    """Whether another process could take the write lock now."""
    other = os.open(lock_file(database), os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(other)  # closing lets go of a lock taken
    return True


async def test_a_unit_of_work_holds_the_file_lock_from_begin_to_end(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    store = await SqliteStore.open(database)
    try:
        assert free(database)
        async with store.unit_of_work():
            assert not free(database)
        assert free(database)
        with pytest.raises(RuntimeError):
            async with store.unit_of_work():
                raise RuntimeError("rolled back")
        assert free(database)
    finally:
        await store.close()


async def test_a_unit_of_work_waits_for_another_process_then_goes_ahead(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    store = await SqliteStore.open(database)
    other = os.open(lock_file(database), os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        entered = asyncio.Event()

        async def write() -> None:
            async with store.unit_of_work() as uow:
                entered.set()
                await uow.commit()

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.05)  # a chance to run: it must be waiting on the file lock
        assert not entered.is_set()
        fcntl.flock(other, fcntl.LOCK_UN)
        await writing
        assert entered.is_set() and free(database)
    finally:
        os.close(other)
        await store.close()


async def test_a_wait_cancelled_or_timed_out_leaves_the_lock_to_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread blocked in `flock` takes the lock after its waiter gave up: it lets it go at
    once. Timed out, the waiter fails as SQLite's busy timeout would."""
    database = tmp_path / "bot.sqlite3"
    store = await SqliteStore.open(database)
    other = os.open(lock_file(database), os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        monkeypatch.setattr(storage.connection, "LOCK_TIMEOUT_S", 0.01)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            async with store.unit_of_work():
                pass
        monkeypatch.setattr(storage.connection, "LOCK_TIMEOUT_S", 60.0)
        waiting = asyncio.create_task(store.unit_of_work().__aenter__())
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        fcntl.flock(other, fcntl.LOCK_UN)
        for _ in range(200):  # the blocked threads take the lock and let it go
            if free(database):
                break
            await asyncio.sleep(0.01)
        assert free(database)
        async with store.unit_of_work() as uow:  # and the store still works
            await uow.commit()
    finally:
        os.close(other)
        await store.close()
