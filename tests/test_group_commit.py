"""Writes waited for, many in one commit (storage/group_commit.py), on both engines: what
arrives together is committed together, each caller hears its result only once its row is
committed (seen from another connection), and a failed transaction fails exactly the callers
in it."""

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
    """Stores keyed requests as the Slack inbox does, and remembers each transaction's batch."""

    def __init__(self, store, clock) -> None:
        self.clock = clock
        self.batches: list[list[str]] = []
        self.commit = GroupCommit(store, self.write, name="test requests")

    async def write(self, uow, keys: list[str]) -> list[int | None]:
        self.batches.append(keys)
        if "refused" in keys:
            raise ValueError("a request that cannot be stored")
        return [await uow.inbox.add_keyed(Platform.SLACK, key, {"key": key}, self.clock.now()) for key in keys]


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


async def test_a_failed_transaction_fails_the_requests_in_it_and_the_next_ones_are_stored(store, clock) -> None:
    requests = Requests(store, clock)

    outcomes = await asyncio.gather(*(requests.commit(key) for key in ("trigger:1", "refused")),
                                    return_exceptions=True)

    assert [type(outcome) for outcome in outcomes] == [ValueError, ValueError]
    assert requests.batches == [["trigger:1", "refused"]]
    assert not await stored(store, "trigger:1")
    assert await requests.commit("trigger:2") == 1
