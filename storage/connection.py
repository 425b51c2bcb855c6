"""The SQLite connections the store uses, how they are opened, and who may use each now.

There is a single writing connection per store and an `asyncio.Lock` in front of it. SQLite
allows one writer at a time anyway; queueing in-process writers on the lock means they wait in
memory instead of spinning in SQLite's busy handler, and a transaction's statements can
never interleave with another task's on the shared connection. A second connection, query-only,
serves point reads (`SqliteStore.reading`): in WAL a reader is never held up by the writer's
transaction or its COMMIT's fsync, so a read-only tap does not queue behind the writes of the
updates polled, the outbox or the bookkeeping (issue 17).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

import aiosqlite

from handlers.model.orders import reference_key

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 60000
PRAGMAS = (
    # Readers do not block the writer and vice versa (e.g. a backup or a CLI reading
    # while the bot writes); the mode is persistent in the file.
    "PRAGMA journal_mode=WAL",
    # Another process holding the write lock (a CLI command) makes us wait, not fail. SQLite's
    # busy handler polls and is not fair: with 16 writer processes on a busy 2-core machine one
    # waited past 5 s and failed with "database is locked" (benchmarks/writers.py); a minute
    # of waiting is never reached by a queue of short transactions.
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    # Off by default in SQLite, per connection: the schema's references mean nothing without it.
    "PRAGMA foreign_keys=ON",
    # FULL fsyncs the WAL on every commit. The outbox and the handled-update keys must
    # survive power loss, or a message is lost or an update is handled twice; the cost,
    # about 0.2 ms per commit, is nothing at chat rates.
    "PRAGMA synchronous=FULL",
)


# A reading connection needs no journal mode or sync level of its own (both are the writer's
# business, and WAL is persistent in the file), and refuses any write: nothing written ever
# goes through it, even by mistake.
READING_PRAGMAS = (f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}", "PRAGMA foreign_keys=ON", "PRAGMA query_only=ON")


async def connect(path: Path, reading: bool = False) -> aiosqlite.Connection:
    """Open `path` in autocommit mode: transactions are begun explicitly, never implicitly
    by the sqlite3 module, so BEGIN IMMEDIATE is what every write transaction starts with.
    Usable from the loop's thread too (`raw`), for a short transaction's statements
    (storage/transaction.py): the holder of the `Writer` uses it from one thread at a time.
    `reading`: the store's query-only connection for point reads."""
    conn = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        for pragma in READING_PRAGMAS if reading else PRAGMAS:
            await conn.execute(pragma)
        # Order searches compare names as people type them (case and separators dropped),
        # exactly as Python does, so a filtered portfolio is ranked and paged in SQL.
        await conn.create_function("reference_key", 1, _reference_key, deterministic=True)
    except BaseException:
        await conn.close()
        raise
    return conn


class Shared(Protocol):
    """The transaction short units of work commit together in (storage.shared_commit)."""

    coming: int  # short units waiting for the store, which may go on inside it

    @property
    def open(self) -> bool: ...

    async def settle(self, final: bool = False) -> None: ...


class Writer:
    """Hands a connection to one task at a time: the store's writing one, and its reading one.

    `shared`: on the writing one, the transaction short units of work commit together
    (storage/shared_commit.py). A unit that may go on inside it says so (`hold(joins=True)`);
    anything else finds it committed before it begins, and every holder settles it as it lets
    go, so that it is never left open with nobody to commit it."""

    def __init__(self, conn: aiosqlite.Connection, shared: Shared | None = None) -> None:
        self._conn = conn
        self.shared = shared
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None
        self._closed = False
        self._settling: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def hold(self, joins: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            # The lock is not re-entrant: waiting for it here would wait forever.
            raise RuntimeError("this task already holds the store (a unit of work inside a unit of work)")
        shared = self.shared
        await self._acquire(joins)
        try:
            if self._closed:
                raise RuntimeError("the store is closed")
            if shared is not None and not joins:
                await shared.settle(final=True)
            self._holder = task
            try:
                yield self._conn
            finally:
                self._holder = None
                if shared is not None:
                    await shared.settle()
        finally:
            self._lock.release()

    async def _acquire(self, joins: bool) -> None:
        """The lock; a short unit waiting for it is counted, for the holder to leave the shared
        transaction open for it. One given up on while the store lay free with that transaction
        open leaves a task to commit it."""
        shared = self.shared if joins else None
        if shared is None:
            await self._lock.acquire()
            return
        shared.coming += 1
        try:
            await self._lock.acquire()
        except BaseException:
            if shared.open and not self._lock.locked():
                self._settling = asyncio.create_task(self._settle_alone(), name="commit the shared transaction")
                self._settling.add_done_callback(_told)
            raise
        finally:
            shared.coming -= 1

    async def _settle_alone(self) -> None:
        async with self._lock:
            if not self._closed and self.shared is not None and self.shared.open:
                await self.shared.settle(final=True)

    async def close(self) -> None:
        """Close once the current holder, if any, is done, and what it left open is committed;
        closing twice is harmless."""
        async with self._lock:
            if not self._closed:
                if self.shared is not None:
                    await self.shared.settle(final=True)
                self._closed = True
                await self._conn.close()


def _told(task: asyncio.Task[None]) -> None:
    """A background commit never fails silently (its units are told by their own futures)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("committing the shared transaction left open failed", exc_info=task.exception())


def raw(conn: aiosqlite.Connection) -> sqlite3.Connection:
    """The sqlite3 connection under aiosqlite's, for statements run on the loop."""
    return conn._conn  # noqa: SLF001 - aiosqlite offers no public way to it


def _reference_key(text: str | None) -> str:
    return "" if text is None else reference_key(text)
