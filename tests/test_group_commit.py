"""Writes waited for, many in one commit (storage/group_commit.py), on both engines: what
arrives together is committed together, each caller hears its result only once its row is
committed (seen from another connection), and a request the store refuses fails its own
caller only: the others of its batch are stored and answered."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg

from handlers.model import Platform
from storage.group_commit import GroupCommit
from storage.sqlite import SqliteStore
from tests.store_engines import postgres_url, store  # noqa: F401  (fixtures)

KEY_STORED = "SELECT 1 FROM inbox WHERE payload::jsonb ->> 'key' = $1"


class Requests:
    """Stores keyed requests as the Slack inbox does (in short transactions), and remembers each
    transaction's batch."""

    def __init__(self, store, clock) -> None:
        self.clock = clock
        self.batches: list[list[str]] = []
        self.commit = GroupCommit(store, self.write, name="test requests", short=True)

    async def write(self, uow, keys: list[str]) -> list[int | None]:
        """A key starting "refused" is written without itself in its payload, which the inbox
        refuses, after the keys before it in the batch were written."""
        self.batches.append(keys)
        return [await uow.inbox.add_keyed(Platform.SLACK, key, {"key": key.removeprefix("refused")}, self.clock.now())
                for key in keys]


async def stored(store, key: str) -> bool:
    """Seen from a connection of its own: committed, not merely written."""
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store.path) as db:
            return bool(db.execute("SELECT 1 FROM inbox WHERE json_extract(payload, '$.key') = ?", (key,)).fetchall())
    conn = await asyncpg.connect(store.url)
    try:
        return bool(await conn.fetch(KEY_STORED, key))
    finally:
        await conn.close()


async def test_requests_arriving_together_are_committed_together_each_answered_once_committed(store, clock) -> None:
    requests = Requests(store, clock)

    async def request(key: str) -> int | None:
        number = await requests.commit(key)
        assert await stored(store, key)  # answered only once committed
        return number

    numbers = await asyncio.gather(*(request(f"trigger:{n}") for n in range(16)))

    assert requests.batches == [[f"trigger:{n}" for n in range(16)]]
    assert sorted(numbers) == list(range(1, 17))


async def test_a_request_alone_is_committed_at_once_and_a_redelivery_gets_none(store, clock) -> None:
    requests = Requests(store, clock)

    assert await requests.commit("trigger:1") == 1
    assert await requests.commit("trigger:1") is None
    assert requests.batches == [["trigger:1"], ["trigger:1"]]


async def inbox_rows(store) -> list[tuple]:
    async with store.unit_of_work() as uow:
        return [(entry.update_id, entry.payload) for entry in await uow.inbox.unhandled(Platform.SLACK)]


async def test_a_refused_request_fails_alone_and_the_others_of_its_batch_are_stored_and_answered(store, clock) -> None:
    requests = Requests(store, clock)
    assert await requests.commit("trigger:0") == 1
    before = await inbox_rows(store)

    outcomes = await asyncio.gather(*(requests.commit(key) for key in ("trigger:1", "refused:2", "trigger:3")),
                                    return_exceptions=True)

    assert outcomes[0] == 2 and outcomes[2] == 3
    assert isinstance(outcomes[1], ValueError) and "must carry the request's key" in str(outcomes[1])
    assert requests.batches[1:] == [["trigger:1", "refused:2", "trigger:3"], ["trigger:1"], ["refused:2"], ["trigger:3"]]
    # Nothing of the failed batch's first try is left: only the two good requests were added.
    assert await inbox_rows(store) == before + [(2, {"key": "trigger:1"}), (3, {"key": "trigger:3"})]
    assert await requests.commit("trigger:4") == 4


async def test_a_refused_request_alone_fails_and_changes_nothing(store, clock) -> None:
    requests = Requests(store, clock)
    assert await requests.commit("trigger:1") == 1
    before = await inbox_rows(store)

    outcomes = await asyncio.gather(requests.commit("refused:2"), return_exceptions=True)

    assert [type(outcome) for outcome in outcomes] == [ValueError]
    assert requests.batches == [["trigger:1"], ["refused:2"]]
    assert await inbox_rows(store) == before


async def test_what_fails_every_write_fails_every_caller_of_the_batch(store, clock) -> None:
    """Not one request's fault (here: what rides in every commit fails), so each fails alone too."""
    async def failing(uow) -> None:
        raise RuntimeError("the store is gone")

    requests = Requests(store, clock)
    requests.commit = GroupCommit(store, requests.write, failing, name="test requests")

    outcomes = await asyncio.gather(*(requests.commit(f"trigger:{n}") for n in range(3)), return_exceptions=True)

    assert [type(outcome) for outcome in outcomes] == [RuntimeError] * 3
    assert await inbox_rows(store) == []
