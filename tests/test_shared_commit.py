"""Short units of work committed together (storage/shared_commit.py), against a real SQLite file:
one COMMIT for the units that come for the store while one commits, each unit's `commit()`
returning only once that COMMIT has; a unit that fails takes back only its own writes; a COMMIT
that fails fails them all and stores none; anything that cannot go on inside finds the open
transaction committed first; and the transaction is never left open with nobody to commit it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import SqliteStore
from storage.connection import raw
from storage.shared_commit import MEMBERS, SharedCommits


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "followup.sqlite3")
    async with opened.unit_of_work() as uow:
        await uow._tx.write("CREATE TABLE scratch (x UNIQUE, parent REFERENCES scratch (x))")  # noqa: SLF001
        await uow.commit()
    yield opened
    await opened.close()


def commits_of(store: SqliteStore) -> list[str]:
    """The COMMITs the store's writing connection runs from now on, as SQLite traces them."""
    seen: list[str] = []
    raw(store._writer._conn).set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)  # noqa: SLF001
    return seen


def stored(store: SqliteStore) -> list[object]:
    """What another connection (another process, or the bot after a crash) finds on disk."""
    with sqlite3.connect(store.path) as other:
        return sorted(x for (x,) in other.execute("SELECT x FROM scratch"))


async def write(store: SqliteStore, x: object, log: list[str] | None = None, fail: bool = False) -> None:
    async with store.unit_of_work(short=True) as uow:
        await uow._tx.write("INSERT INTO scratch (x) VALUES (?)", (x,))  # noqa: SLF001
        if fail:
            raise RuntimeError(f"unit {x} failed")
        await uow.commit()
    if log is not None:
        log.append(f"{x} committed, stored: {stored(store)}")


async def test_units_coming_while_one_commits_commit_with_it_and_each_returns_once_that_commit_has(store) -> None:
    commits, log = commits_of(store), []
    await asyncio.gather(*(write(store, x, log) for x in range(5)))
    assert len(commits) == 1
    assert log == [f"{x} committed, stored: [0, 1, 2, 3, 4]" for x in range(5)]


async def test_a_unit_alone_commits_at_once(store) -> None:
    commits = commits_of(store)
    await write(store, 1)
    assert commits == ["COMMIT"] and stored(store) == [1]
    await write(store, 2)
    assert len(commits) == 2 and stored(store) == [1, 2]


async def test_a_unit_that_fails_inside_takes_back_only_its_own_writes(store) -> None:
    results = await asyncio.gather(write(store, 1), write(store, 2, fail=True), write(store, 3),
                                   return_exceptions=True)
    assert results[0] is None and results[2] is None
    assert str(results[1]) == "unit 2 failed"
    assert stored(store) == [1, 3]


async def test_a_write_the_store_refuses_fails_its_unit_alone(store) -> None:
    results = await asyncio.gather(write(store, 1), write(store, 1), write(store, 2), return_exceptions=True)
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], sqlite3.IntegrityError) and "UNIQUE" in str(results[1])
    assert stored(store) == [1, 2]


async def test_a_commit_that_fails_fails_every_unit_in_it_and_stores_none(store) -> None:
    async def dangling() -> None:
        async with store.unit_of_work(short=True) as uow:
            await uow._tx.write("PRAGMA defer_foreign_keys = ON")  # noqa: SLF001 - checked at COMMIT
            await uow._tx.write("INSERT INTO scratch (x, parent) VALUES (?, ?)", ("orphan", "nobody"))  # noqa: SLF001
            await uow.commit()

    results = await asyncio.gather(write(store, 1), dangling(), write(store, 2), return_exceptions=True)
    assert all(isinstance(result, sqlite3.IntegrityError) for result in results), results
    assert "FOREIGN KEY" in str(results[0])
    assert stored(store) == []
    await write(store, 3)  # the store goes on
    assert stored(store) == [3]


async def test_a_unit_that_cannot_go_on_inside_finds_the_open_transaction_committed_first(store) -> None:
    commits, log = commits_of(store), []

    async def long_unit() -> None:
        async with store.unit_of_work() as uow:
            log.append(f"long unit begins, stored: {stored(store)}")
            await uow._tx.write("INSERT INTO scratch (x) VALUES (99)")  # noqa: SLF001
            await uow.commit()

    await asyncio.gather(write(store, 1), write(store, 2), long_unit(), write(store, 3))
    assert log[0] == "long unit begins, stored: [1, 2]"
    assert len(commits) == 3 and stored(store) == [1, 2, 3, 99]


async def test_a_transaction_holds_at_most_members_units(store) -> None:
    commits = commits_of(store)
    await asyncio.gather(*(write(store, x) for x in range(2 * MEMBERS + 1)))
    assert len(commits) == 3
    assert stored(store) == list(range(2 * MEMBERS + 1))


async def test_a_unit_given_up_on_while_the_transaction_waits_for_it_leaves_it_committed(store, monkeypatch) -> None:
    """The unit the holder left the transaction open for is cancelled before it takes the store:
    someone must still commit what the others wrote, or their commits would wait forever."""
    settle, given_up = SharedCommits.settle, []

    async def settle_then_cancel_the_one_coming(shared: SharedCommits, final: bool = False) -> None:
        await settle(shared, final)
        if shared.open and not given_up:
            given_up.append(coming)
            coming.cancel()

    monkeypatch.setattr(SharedCommits, "settle", settle_then_cancel_the_one_coming)
    first = asyncio.create_task(write(store, 1))
    coming = asyncio.create_task(write(store, 2))
    await asyncio.wait_for(first, 10)
    assert given_up and coming.cancelled()
    assert stored(store) == [1]
    await write(store, 3)
    assert stored(store) == [1, 3]


async def test_a_unit_that_sqlite_rolled_back_whole_fails_the_units_before_it(store) -> None:
    """Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back, not
    just the statement: the units already in it are told, not answered as if stored."""

    async def rolled_back_whole() -> None:
        async with store.unit_of_work(short=True):
            raw(store._writer._conn).execute("ROLLBACK")  # noqa: SLF001 - what SQLite does on SQLITE_FULL
            raise sqlite3.OperationalError("database or disk is full")

    results = await asyncio.gather(write(store, 1), rolled_back_whole(), write(store, 2), return_exceptions=True)
    assert isinstance(results[0], sqlite3.OperationalError) and "rolled" in str(results[0])
    assert str(results[1]) == "database or disk is full"
    assert results[2] is None  # began after, in a transaction of its own
    assert stored(store) == [2]



async def test_a_holder_stopped_while_it_waits_for_the_next_unit_commits_what_is_open_first(store, monkeypatch) -> None:
    """A task cancelled in the loop turns it gives the next unit (the bot stopping) must not let
    the store go with the others' writes open and nobody to commit them."""
    waited = []

    async def stopped_meanwhile(shared: SharedCommits) -> bool:
        waited.append(shared.open)
        raise asyncio.CancelledError

    monkeypatch.setattr(SharedCommits, "_one_coming", stopped_meanwhile)
    with pytest.raises(asyncio.CancelledError):
        await write(store, 1)
    assert waited == [True] and stored(store) == [1]
    monkeypatch.undo()
    await write(store, 2)
    assert stored(store) == [1, 2]
