"""Brings a database to the schema of the SQL files in `storage/migrations/`.

`NNNN_name.sql` files are applied in version order, each in its own transaction together
with its row in `schema_migrations`, so a failed migration leaves no trace and a re-opened
database applies nothing twice. A brand-new store is given the schema they end with at once
(storage/schema.sql, a snapshot kept in step with them by tests/test_store.py), with each of
them recorded, in one transaction.

Every migration not yet recorded is applied, not only those above the highest recorded
version: branches reserve numbers, so 0005 may land before 0004 does, and a database that
has 0005 must still get 0004 when it arrives.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files

import aiosqlite

from storage.codec import datetime_to_text
from storage.connection import raw
from storage.errors import MigrationError

FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# The schema a brand-new store is given at once: what the migrations build on an empty database.
SNAPSHOT = "schema.sql"
_STANDS_FOR = re.compile(r"^-- migration (\d{4}) ([a-z0-9_]+)$", re.MULTILINE)
_SNAPSHOT_HEAD = """\
-- The schema storage/migrations/ build one by one on an empty SQLite database, given to a
-- brand-new store at once (storage/migrate.py). Made by `python -m storage.schema_snapshot`
-- after a migration is added; tests/test_store.py checks it is in step with the migrations.
-- A store whose migrations are not exactly the ones below takes them one by one.
"""

BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """The migrations shipped with the code. A misnamed file is refused rather than silently
    skipped: that would leave the schema behind the code."""
    migrations: list[Migration] = []
    for entry in files("storage.migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = FILE_NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"migration file {entry.name!r} is not named like 0002_add_things.sql")
        migrations.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return in_order(migrations)


def in_order(migrations: list[Migration]) -> list[Migration]:
    """Sorted by version, each number used once. A gap is allowed: the missing number belongs
    to a branch not merged yet."""
    migrations = sorted(migrations, key=lambda m: m.version)
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions) or 0 in versions:
        raise MigrationError(f"migration versions must be distinct and start at 1; found {versions}")
    return migrations


def statements(script: str) -> Iterator[str]:
    """Split a script into statements. `executescript` cannot be used: it commits any open
    transaction first, which would apply a migration outside its transaction.
    `sqlite3.complete_statement` knows about strings, comments and trigger bodies."""
    *pieces, tail = script.split(";")
    pending = ""
    for piece in pieces:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                yield pending
            pending = ""
    if (pending + tail).strip():
        # A last statement without its semicolon, or trailing comments: SQLite runs either.
        yield pending + tail


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(conn: aiosqlite.Connection, from_snapshot: bool = True) -> int:
    """Apply what is missing on `conn` (in autocommit mode); returns the schema version.
    `from_snapshot=False`: a brand-new store too takes the migrations themselves, as the
    snapshot is made and checked (storage/schema_snapshot.py).

    All of it in one trip to the connection's thread: a fresh store's 170-odd statements, each
    awaited on its own, cost a hop between the loop and the thread apiece (most of a new
    store's opening, which `followup visit post` into a new folder waits for)."""
    return await conn._execute(_migrate_now, raw(conn), available(), from_snapshot)  # noqa: SLF001 - as storage/transaction.py


def _migrate_now(db: sqlite3.Connection, migrations: list[Migration], from_snapshot: bool) -> int:
    db.execute(BOOKKEEPING)
    recorded = _applied_versions(db)
    unknown = sorted(recorded - {m.version for m in migrations})
    if unknown:
        raise MigrationError(
            f"the database is at schema version {max(recorded)}, newer than this code knows"
            f" (it has {', '.join(map(str, unknown))}); run a newer release"
        )
    if migrations and not recorded and from_snapshot and _from_snapshot(db, migrations):
        return migrations[-1].version
    missing = [m for m in migrations if m.version not in recorded]
    # A brand-new store takes every migration in one transaction: the same statements, but one
    # sync to disk instead of one per file (synchronous=FULL), which was most of a fresh
    # database's opening (`followup visit post` into a new folder). Nothing to keep apart on a
    # new store: a failure leaves it as empty as it was.
    for batch in ([missing] if not recorded else [[m] for m in missing]):
        _apply(db, batch)
    return int(db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])


def _from_snapshot(db: sqlite3.Connection, migrations: list[Migration]) -> bool:
    """A brand-new store given the schema the migrations end with at once (storage/schema.sql),
    with every migration recorded as applied; False, and nothing done, when the snapshot stands
    for other migrations than `migrations` (one added since it was made) or another process
    migrated the store meanwhile. Replaying the migrations' 180-odd statements, each parsed
    and some rewriting the schema (ALTER TABLE), took some 28 ms of CPU of every new store's
    opening, which `followup visit post` into a new folder waits for; the snapshot's 70-odd
    take a few."""
    stands_for, sql = snapshot()
    if stands_for != [(m.version, m.name) for m in migrations]:
        return False
    db.execute("BEGIN IMMEDIATE")
    try:
        if _applied_versions(db):  # another process migrated it while we waited for the write lock
            db.execute("ROLLBACK")
            return False
        for statement in statements(sql):
            db.execute(statement)
        applied_at = applied_now()
        db.executemany("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                       [(version, name, applied_at) for version, name in stands_for])
        db.execute("COMMIT")
    except BaseException as error:
        db.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise MigrationError(f"the schema snapshot (storage/{SNAPSHOT}) failed: {error}") from error
        raise
    return True


def snapshot() -> tuple[list[tuple[int, str]], str]:
    """The migrations storage/schema.sql stands for (its `-- migration NNNN name` lines), and
    its SQL."""
    sql = files("storage").joinpath(SNAPSHOT).read_text(encoding="utf-8")
    return [(int(m[1]), m[2]) for m in _STANDS_FOR.finditer(sql)], sql


def snapshot_of(db: sqlite3.Connection) -> str:
    """What storage/schema.sql holds for the migrations applied on `db`: the migrations, then the
    schema's statements in the order SQLite keeps them (tables before what refers to them).
    Only the schema: a new store's tables hold no rows but `schema_migrations`' (the test that
    keeps the snapshot in step with the migrations checks that too)."""
    applied = db.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    schema = db.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        " AND name != 'schema_migrations' ORDER BY rowid"
    ).fetchall()
    return "".join([
        _SNAPSHOT_HEAD,
        *(f"-- migration {version:04d} {name}\n" for version, name in applied),
        "\n",
        *(f"{sql};\n" for (sql,) in schema),
    ])


def applied_now() -> str:
    """When a migration is recorded as applied (SQLite's and PostgreSQL's alike): the machine's
    own time, not an injected clock. A store is opened before any clock is handed to it (and
    reads no more of handlers/ than the domain's model, tests/test_architecture.py), and the
    record says when this database's schema really changed, which the demo's or a test's moved
    clock would misdate."""
    return datetime_to_text(datetime.now(UTC))


def _applied_versions(db: sqlite3.Connection) -> set[int]:
    return {int(row[0]) for row in db.execute("SELECT version FROM schema_migrations")}


def _apply(db: sqlite3.Connection, batch: list[Migration]) -> None:
    """`batch` in one transaction, each with its row in `schema_migrations`."""
    db.execute("BEGIN IMMEDIATE")
    migration = None
    try:
        # Another process may have applied some while we waited for the write lock.
        done = _applied_versions(db)
        for migration in batch:
            if migration.version not in done:
                for statement in statements(migration.sql):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, applied_now()),
                )
        db.execute("COMMIT")
    except BaseException as error:
        db.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error) and migration is not None:
            raise MigrationError(f"migration {migration.version:04d}_{migration.name}.sql failed: {error}") from error
        raise
