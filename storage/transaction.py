"""One explicit SQLite transaction, and the only way repositories reach the connection.

Running every statement through this object means a repository used after commit or
rollback fails loudly instead of silently writing in autocommit mode, outside the unit
of work that was supposed to make it atomic.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Generic, TypeVar

import aiosqlite

Params = Sequence[object]
Conn = TypeVar("Conn")


class Guarded(Generic[Conn]):
    """What the transactions of both engines share: statements run only between begin and
    commit (storage.pg_transaction is PostgreSQL's)."""

    def __init__(self) -> None:
        self._conn: Conn | None = None
        self._open = False
        self._committed = False

    def _connection(self) -> Conn:
        if self._committed:
            raise RuntimeError("the unit of work is already committed; open a new one")
        if not self._open or self._conn is None:
            raise RuntimeError("the unit of work is not open; use `async with store.unit_of_work()`")
        return self._conn


class Transaction(Guarded[aiosqlite.Connection]):

    async def begin(self, conn: aiosqlite.Connection) -> None:
        """IMMEDIATE takes the write lock up front: a transaction that reads and then writes
        can then never fail with "database is locked" when it upgrades to a writer."""
        self._conn = conn
        await conn.execute("BEGIN IMMEDIATE")
        self._open = True

    async def commit(self) -> None:
        conn = self._connection()
        await conn.execute("COMMIT")
        self._open = False
        self._committed = True

    async def end(self) -> None:
        """Roll back unless committed. Also runs when BEGIN or COMMIT was interrupted (an
        exception or a cancelled task), so it rolls back whatever SQLite still has open."""
        self._open = False
        if self._committed or self._conn is None:
            return
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            # "no transaction is active": BEGIN failed, or SQLite already rolled back.
            if self._conn.in_transaction:
                raise

    async def lock(self, key: str, shared: bool = False) -> None:
        """Nothing to do: BEGIN IMMEDIATE already made this transaction the only writer.
        PostgreSQL's (storage.pg_transaction) waits for a lock on `key` (docs/claims.md)."""
        self._connection()

    async def lock_rows(self, sql: str, params: Params = ()) -> None:
        """Nothing to do, as for `lock`; PostgreSQL's locks the rows `sql` selects."""
        self._connection()

    async def free_rows(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """The rows the SELECT `sql` finds: BEGIN IMMEDIATE already keeps every other writer
        out. PostgreSQL's passes over rows another transaction has locked (SKIP LOCKED)."""
        return await self.all(sql, params)

    async def try_lock(self, key: str) -> bool:
        """Always True here, for the reason `lock` gives; PostgreSQL's may say False: someone
        else holds `key`, so skip what it guards (SKIP LOCKED's counterpart)."""
        self._connection()
        return True

    async def write(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT/UPDATE/DELETE; returns the number of rows changed."""
        async with self._connection().execute(sql, params) as cursor:
            return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; returns the new row's id."""
        async with self._connection().execute(sql, params) as cursor:
            row_id = cursor.lastrowid
        if row_id is None:
            raise RuntimeError(f"no row id after {sql!r}")
        return row_id

    async def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """One trip to the connection's thread, where a cursor takes three (execute, fetch,
        close): each trip waits for that thread to be scheduled, which on a busy machine
        costs more than the query, and a tap makes a dozen queries."""
        return list(await self._connection().execute_fetchall(sql, params))
