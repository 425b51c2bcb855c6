"""One PostgreSQL transaction with the interface of storage.transaction.Transaction.

The repositories are written once, against SQLite's Transaction; this one takes the same
SQL (translated by storage.dialect, once per text) and returns asyncpg Records, which the
repositories read as they read sqlite3.Row: `row["column"]` and `row[0]`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg
from asyncpg.transaction import Transaction as PgTx

from storage.dialect import LOCK, LOCK_ROWS, LOCK_SHARED, SKIP_LOCKED, TRY_LOCK, to_postgres
from storage.transaction import Guarded, ReadOnly

Params = Sequence[object] | Mapping[str, object]

# No lock is taken at BEGIN. SQLite's BEGIN IMMEDIATE makes each unit of work the only
# writer, and the repositories rely on that wherever they read and then write; here each such
# spot takes a lock of its own instead (storage.locks for a command's aggregate and update,
# the repositories' per-key and row locks, the outbox's per-chat claims; docs/claims.md lists
# them all), so replicas' units of work on different chats and visits run side by side.
# PostgreSQL releases every one at COMMIT or ROLLBACK, and when a replica's connection dies,
# so a killed replica never holds one.


class PgTransaction(Guarded[asyncpg.Connection]):
    read_only = False
    shares = False  # each commits alone: replicas write side by side, and there is no one writer

    def __init__(self) -> None:
        super().__init__()
        self._tx: PgTx | None = None

    async def begin(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._tx = conn.transaction(readonly=self.read_only)
        await self._tx.start()
        self._open = True

    async def commit(self) -> None:
        self._connection()
        assert self._tx is not None
        await self._tx.commit()
        self._open = False
        self._committed = True

    async def end(self) -> None:
        """Roll back unless committed, also after an interrupted BEGIN or COMMIT."""
        self._open = False
        if self._committed or self._tx is None or self._conn is None or self._conn.is_closed():
            return
        if self._conn.is_in_transaction():
            await self._tx.rollback()

    async def lock(self, key: str, shared: bool = False) -> None:
        """Waits for `key`'s lock, held until COMMIT or ROLLBACK. Shared holders do not wait
        for each other, only for an exclusive one (and it for them)."""
        await self._connection().execute(LOCK_SHARED if shared else LOCK, key)

    async def lock_rows(self, sql: str, params: Params = ()) -> None:
        """Locks the rows the SELECT `sql` finds until COMMIT or ROLLBACK (FOR NO KEY UPDATE:
        two such locks on a row wait for each other; inserting rows that refer to it does not)."""
        statement = to_postgres(sql + LOCK_ROWS)
        await self._connection().fetch(statement.text, *statement.arguments(params))

    async def free_rows(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        """The rows the SELECT `sql` finds that no other transaction has locked, locked until
        COMMIT or ROLLBACK (FOR UPDATE SKIP LOCKED: taken by one, passed over by the others)."""
        statement = to_postgres(sql + SKIP_LOCKED)
        return list(await self._connection().fetch(statement.text, *statement.arguments(params)))

    async def try_lock(self, key: str) -> bool:
        """`key`'s exclusive lock if nobody holds it, else False at once (never waits)."""
        return bool(await self._connection().fetchval(TRY_LOCK, key))

    async def write(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT/UPDATE/DELETE; returns the number of rows changed."""
        statement = to_postgres(sql)
        status = await self._connection().execute(statement.text, *statement.arguments(params))
        return int(status.rsplit(" ", 1)[-1])

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; returns the new row's id (every table inserted this way has `id`)."""
        statement = to_postgres(sql)
        row_id = await self._connection().fetchval(f"{statement.text} RETURNING id", *statement.arguments(params))
        if row_id is None:
            raise RuntimeError(f"no row id after {sql!r}")
        return int(row_id)

    async def one(self, sql: str, params: Params = ()) -> asyncpg.Record | None:
        statement = to_postgres(sql)
        return await self._connection().fetchrow(statement.text, *statement.arguments(params))

    async def all(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        statement = to_postgres(sql)
        return list(await self._connection().fetch(statement.text, *statement.arguments(params)))


class PgReadTransaction(ReadOnly, PgTransaction):
    """A read on a pool connection: a plain READ ONLY transaction, without the update's or the
    target's locks a write takes. That is safe because a read decides nothing and changes
    nothing: what it finds that would change something is done again as a write, under those
    locks (handlers/bus.py). Each statement sees every transaction committed before it began
    (READ COMMITTED), so every change this process committed before the read."""
