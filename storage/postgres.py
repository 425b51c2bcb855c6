"""The PostgreSQL store, the one replicas share: a pool of asyncpg connections, migrated at
open, handing out the same units of work as the SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg

from storage.pg_migrate import current_version, migrate
from storage.pg_transaction import PgReadTransaction, PgTransaction
from storage.unit_of_work import UnitOfWork

WORK_CHANNEL = "followup_outbox"  # notified by the schema's outbox_work_notify trigger


class PgConnections:
    """Lends one pooled connection per unit of work, as storage.connection.Writer lends the
    SQLite one; unlike SQLite's, units of work of one process run side by side (the locks
    each read-then-write takes, storage.locks and the repositories', order the writers)."""

    shared = None  # replicas write side by side: each unit commits alone

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._holders: set[asyncio.Task[object]] = set()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[asyncpg.Connection]:
        task = asyncio.current_task()
        if task is not None and task in self._holders:
            # Its transaction could wait for a lock the outer one holds: forever.
            raise RuntimeError("this task already holds the store (a unit of work inside a unit of work)")
        async with self._pool.acquire() as conn:
            if task is not None:
                self._holders.add(task)
            try:
                yield conn
            finally:
                self._holders.discard(task)  # type: ignore[arg-type]


class PostgresStore:
    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        """Use `await PostgresStore.open(url)`: a store is only usable once migrated."""
        self.url = url
        self._pool = pool
        self._connections = PgConnections(pool)
        self._listener: asyncpg.Connection | None = None

    @classmethod
    async def open(cls, url: str, pool_size: int = 10) -> PostgresStore:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(url, pool)

    async def listen_for_work(self, wake: Callable[[], None]) -> None:
        """Call `wake` whenever any process commits new outbox work (LISTEN on a connection of
        its own, outside the pool), so a replica delivers what another one queued at once
        instead of at its next poll."""
        if self._listener is None:
            self._listener = await asyncpg.connect(self.url)
        await self._listener.add_listener(WORK_CHANNEL, lambda *_: wake())

    async def close(self) -> None:
        """Waits for the units of work in progress; closing twice is harmless."""
        if self._listener is not None:
            await self._listener.close()
        await self._pool.close()

    def unit_of_work(self, short: bool = False) -> UnitOfWork:
        """`short` changes nothing here: asyncpg has no thread to save trips to (SQLite's
        runs a short unit of work's statements on the loop, storage/transaction.py)."""
        return UnitOfWork(self._connections, PgTransaction())

    def reading(self) -> UnitOfWork:
        """A unit of work that only reads, on a pool connection: a plain read-only transaction
        without the locks a write takes (storage.pg_transaction.PgReadTransaction says why
        that is safe); writing in it raises `WriteNeeded`."""
        return UnitOfWork(self._connections, PgReadTransaction())

    async def schema_version(self) -> int:
        async with self._pool.acquire() as conn:
            return await current_version(conn)
