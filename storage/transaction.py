"""One explicit SQLite transaction, and the only way repositories reach the connection.

Running every statement through this object means a repository used after commit or
rollback fails loudly instead of silently writing in autocommit mode, outside the unit
of work that was supposed to make it atomic.

A short transaction (point reads and writes only: a tap, a command, bookkeeping) runs its
statements on the event loop: once this connection holds the write lock no statement can
wait for one, and WAL appends without an fsync until COMMIT. A trip to aiosqlite's thread per
statement (a queue, a wake-up, a callback back to the loop) cost more than the statement, and
a tap made a dozen (issue 17). What may wait stays in the thread: BEGIN IMMEDIATE when another
process holds the lock (it is tried without waiting first), and COMMIT with its fsync. Any
other transaction, e.g. one that scans for a summary, runs its statements in the thread; its
BEGIN IMMEDIATE is tried on the loop all the same, and a ROLLBACK of one that wrote nothing
runs there too: neither can wait nor take long, and each was a trip (the outbox's units of
work, mostly reads left without a commit, made nine of its 22 trips per decision).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import aiosqlite

from handlers.model.reading import WriteNeeded
from storage.connection import BUSY_TIMEOUT_MS, raw

Params = Sequence[object]
Conn = TypeVar("Conn")
R = TypeVar("R")


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


class ReadOnly:
    """What makes a transaction of either engine a read that decides nothing: it takes no
    lock (nothing it reads is about to be changed by it), and a write, or a lock taken to
    write, ends it with `WriteNeeded` before anything reaches the database. Mixed in before
    the engine's transaction class."""

    read_only = True

    async def lock(self, key: str, shared: bool = False) -> None:
        self._connection()

    async def lock_rows(self, sql: str, params: Params = ()) -> None:
        self._connection()

    async def free_rows(self, sql: str, params: Params = ()) -> list:
        raise WriteNeeded(sql)

    async def try_lock(self, key: str) -> bool:
        raise WriteNeeded(key)

    async def write(self, sql: str, params: Params = ()) -> int:
        raise WriteNeeded(sql)

    async def insert(self, sql: str, params: Params = ()) -> int:
        raise WriteNeeded(sql)

    async def commit(self) -> None:
        raise RuntimeError("a read commits nothing; open a unit of work to write")


class Transaction(Guarded[aiosqlite.Connection]):
    read_only = False

    def __init__(self, short: bool = False) -> None:
        super().__init__()
        self._short = short
        # Set while a job of this transaction is in the connection's thread, and left set when
        # the task waiting for it was cancelled: the job still runs, so nothing more may run
        # beside it on the loop.
        self._in_thread = False
        self._changes: int | None = None  # the connection's total_changes once begun
        self._inside = False  # begun inside the shared transaction of earlier units (a SAVEPOINT)

    @property
    def shares(self) -> bool:
        """Whether this may commit together with other units (storage/shared_commit.py): a
        short write, whose statements all run on the loop."""
        return self._short and not self.read_only

    async def begin(self, conn: aiosqlite.Connection, inside: bool = False) -> None:
        """IMMEDIATE takes the write lock up front: a transaction that reads and then writes
        can then never fail with "database is locked" when it upgrades to a writer. A read's
        deferred BEGIN takes no lock and never waits (`ReadTransaction`). `inside`: the
        connection's transaction is open, shared by earlier units whose commit waits for its
        COMMIT; this one goes on inside it, from a savepoint of its own."""
        self._conn = conn
        self._inside = inside
        if inside:
            raw(conn).execute("SAVEPOINT unit")
        elif self.read_only:
            raw(conn).execute("BEGIN")
        elif not begun_at_once(raw(conn)):
            await self._statement_in_thread("BEGIN IMMEDIATE")
        self._changes = raw(conn).total_changes
        self._open = True

    async def commit(self) -> None:
        self._connection()
        await self._statement_in_thread("COMMIT")
        self._open = False
        self._committed = True

    def commit_inside(self) -> None:
        """Its writes become the shared transaction's, committed when that is (UnitOfWork.commit)."""
        self._connection()
        if self._inside:
            raw(self._conn).execute("RELEASE unit")
        self._open = False
        self._committed = True

    async def end(self) -> None:
        """Roll back unless committed. Also runs when BEGIN or COMMIT was interrupted (an
        exception or a cancelled task), so it rolls back whatever SQLite still has open. Begun
        inside a shared transaction, only back to its own savepoint: the earlier units' writes
        stay (unless SQLite rolled everything back, which fails them at their COMMIT)."""
        self._open = False
        if self._committed or self._conn is None:
            return
        if self._inside:
            if raw(self._conn).in_transaction:
                raw(self._conn).execute("ROLLBACK TO unit")
                raw(self._conn).execute("RELEASE unit")
            return
        try:
            if self._on_loop() or self._wrote_nothing():
                raw(self._conn).execute("ROLLBACK")  # no fsync: nothing of it reached the file
            else:
                await self._statement_in_thread("ROLLBACK")
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
        return await self._run(_rowcount, sql, params)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; returns the new row's id."""
        row_id = await self._run(_lastrowid, sql, params)
        if row_id is None:
            raise RuntimeError(f"no row id after {sql!r}")
        return row_id

    async def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return await self._run(_rows, sql, params)

    async def _run(self, statement: Callable[[sqlite3.Connection, str, Params], R], sql: str, params: Params) -> R:
        """`statement` on the loop in a short transaction, else in one trip to the thread (a
        cursor took three: execute, fetch or count, close)."""
        conn = self._connection()
        if self._on_loop():
            return statement(raw(conn), sql, params)
        return await self._thread(conn._execute, statement, raw(conn), sql, params)  # noqa: SLF001

    async def _statement_in_thread(self, sql: str) -> None:
        """`sql` in the connection's thread, as a statement is run there (`_run`): aiosqlite's
        own `execute` wraps the cursor it makes in objects of its own, for nothing here."""
        conn = self._conn
        await self._thread(conn._execute, _rowcount, raw(conn), sql, ())  # noqa: SLF001

    def _on_loop(self) -> bool:
        return self._short and not self._in_thread

    def _wrote_nothing(self) -> bool:
        """Begun, nothing of it in the thread, and no row changed: its ROLLBACK only lets go."""
        return self._changes is not None and not self._in_thread and raw(self._conn).total_changes == self._changes

    async def _thread(self, job: Callable[..., Awaitable[R]], *args: object) -> R:
        self._in_thread = True
        result = await job(*args)
        self._in_thread = False
        return result


class ReadTransaction(ReadOnly, Transaction):
    """A point read on the store's query-only connection, on the loop. A deferred BEGIN takes
    no lock and never waits; its snapshot, taken at the first read, holds every COMMIT that
    returned before it, and ends at ROLLBACK, when the unit of work ends: no read stays open."""

    def __init__(self) -> None:
        super().__init__(short=True)


def begun_at_once(conn: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE on the loop if the write lock is free now; False, with nothing begun,
    when another process holds it: then it is waited for in the thread."""
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        if conn.in_transaction:
            raise
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return True


def _rows(conn: sqlite3.Connection, sql: str, params: Params) -> list[sqlite3.Row]:
    return conn.execute(sql, params).fetchall()


def _rowcount(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    return conn.execute(sql, params).rowcount


def _lastrowid(conn: sqlite3.Connection, sql: str, params: Params) -> int | None:
    return conn.execute(sql, params).lastrowid
