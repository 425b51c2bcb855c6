"""The SQLite store: opening the file, migrating it, and handing out units of work; and
the store a database url names (SQLite or storage.postgres)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from pathlib import Path

from storage.connection import Writer, connect
from storage.migrate import current_version, migrate
from storage.shared_commit import SharedCommits
from storage.transaction import ReadTransaction, Transaction
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from storage.postgres import PostgresStore

# Said here, not in storage.postgres, so that a SQLite installation never imports asyncpg (85 ms
# and its memory in every process) to tell which store a url names.
POSTGRES_SCHEMES = ("postgresql", "postgres")

URL_PREFIX = "sqlite:///"
SUPPORTED = ("the supported ones are sqlite: sqlite:///relative/path.sqlite3 or sqlite:////absolute/path.sqlite3,"
             " and postgresql://user@host/database")


class SqliteStore:
    def __init__(self, path: Path, writer: Writer, reader: Writer) -> None:
        """Use `await SqliteStore.open(path)`: a store is only usable once migrated."""
        self.path = path
        self._writer = writer
        self._reader = reader

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        """Create the file (and its directory) if needed and bring its schema up to date."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await connect(path)
        try:
            await migrate(conn)
            reader = await connect(path, reading=True)  # once migrated: it sees the schema as it is
        except BaseException:
            await conn.close()
            raise
        return cls(path, Writer(conn, SharedCommits(conn)), Writer(reader))

    async def listen_for_work(self, wake: Callable[[], None]) -> None:
        """Nothing to listen to: SQLite has no notifications. The process that queues work
        wakes its own delivery, and another process on the file finds it at its next poll."""

    async def close(self) -> None:
        """Waits for the unit of work in progress, if any; closing twice is harmless."""
        await self._reader.close()
        await self._writer.close()

    def unit_of_work(self, short: bool = False) -> UnitOfWork:
        """`short`: point reads and writes only (a tap, a command, bookkeeping), run on the
        event loop once the write lock is held (storage/transaction.py); never for a query
        that scans many rows, which would hold up everything else the process does."""
        return UnitOfWork(self._writer, Transaction(short))

    def reading(self) -> UnitOfWork:
        """A unit of work that only reads, on a connection of its own: it never waits for the
        writer, nor for its COMMIT's fsync (WAL). Point reads only, run on the loop as a short
        unit of work's are; writing in it raises `WriteNeeded` (storage.transaction)."""
        return UnitOfWork(self._reader, ReadTransaction())

    async def schema_version(self) -> int:
        async with self._writer.hold() as conn:
            return await current_version(conn)


def path_from_url(url: str) -> Path:
    """`sqlite:///data/bot.sqlite3` is relative to the working directory and
    `sqlite:////var/lib/bot.sqlite3` absolute (the SQLAlchemy convention)."""
    scheme, colon, _ = url.partition(":")
    if not colon:
        raise ValueError(f"database url {url!r} has no scheme; {SUPPORTED}")
    if scheme in POSTGRES_SCHEMES:
        raise ValueError(f"a {scheme!r} url names a server, not a file; {SUPPORTED}")
    if scheme != "sqlite":
        # Only the scheme is named: the rest of a database url may hold a password.
        raise ValueError(f"unsupported database url scheme {scheme!r}; {SUPPORTED}")
    if not url.startswith(URL_PREFIX):
        raise ValueError(f"sqlite url {url!r} does not start with {URL_PREFIX!r}; {SUPPORTED}")
    path = url.removeprefix(URL_PREFIX)
    if not path.strip() or path == ":memory:":
        raise ValueError(f"sqlite url {url!r} names no file; {SUPPORTED}")
    return Path(path)


def store_from_url(url: str) -> Awaitable[SqliteStore | PostgresStore]:
    """Check the url now (a bad one fails at configuration time) and return the awaitable
    that opens the store: `store = await store_from_url(url)`. A postgresql:// url is
    asyncpg's (libpq's) connection string, passed on as it is."""
    if url.partition(":")[0] in POSTGRES_SCHEMES:
        from storage.postgres import PostgresStore  # asyncpg only where PostgreSQL is used

        return PostgresStore.open(url)
    return SqliteStore.open(path_from_url(url))


async def open_store(url: str) -> SqliteStore | PostgresStore:
    return await store_from_url(url)


def data_folder(url: str) -> Path:
    """Where the files of the store at `url` are kept (`media/` for photos and documents,
    `uploads/` for report bundles being received) unless `[storage] files` names them: beside a
    SQLite file, and for PostgreSQL the working directory (bot/files_folder.py guards that the
    replicas of one installation share one folder)."""
    if url.partition(":")[0] in POSTGRES_SCHEMES:
        return Path()
    return path_from_url(url).parent
