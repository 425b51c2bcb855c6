"""Brings a PostgreSQL database to the schema of `storage/migrations/postgres/`.

The versions are SQLite's (storage/migrate.py): `schema_migrations` holds the same rows on
both engines, so a database copied from SQLite and one migrated here agree on what they
have. The first PostgreSQL file, `0021_baseline.sql`, is the schema of SQLite versions 1 to
21 at once and records each of them; every later file mirrors the SQLite file of its
number. Replicas starting together each take a session advisory lock before looking, so
one migrates and the others find the work done.
"""

from __future__ import annotations

from importlib.resources import files

import asyncpg

from storage.errors import MigrationError
from storage.migrate import BOOKKEEPING, FILE_NAME, Migration, applied_now, available, in_order

MIGRATE_LOCK = 0x666F6C6C6F776D67  # "followmg": apart from storage.dialect.LOCK_SPACE's two-key locks


def available_postgres() -> list[tuple[Migration, list[Migration]]]:
    """Each PostgreSQL file with the SQLite migrations it stands for: the baseline all those
    up to its number, every later file the one of its number (which must exist)."""
    sqlite = available()
    shipped: list[Migration] = []
    for entry in files("storage.migrations.postgres").iterdir():
        if entry.name.endswith(".sql"):
            match = FILE_NAME.match(entry.name)
            if match is None:
                raise MigrationError(f"migration file postgres/{entry.name!r} is not named like 0022_add_things.sql")
            shipped.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    shipped = in_order(shipped)
    plan: list[tuple[Migration, list[Migration]]] = []
    covered = 0
    for migration in shipped:
        stands_for = [m for m in sqlite if covered < m.version <= migration.version]
        if plan and [m.version for m in stands_for] != [migration.version]:
            raise MigrationError(f"postgres/{migration.version:04d}_{migration.name}.sql mirrors no SQLite migration"
                                 " of its number, or one before it has no PostgreSQL twin")
        plan.append((migration, stands_for))
        covered = migration.version
    missing = [m.version for m in sqlite if m.version > covered]
    if missing:
        raise MigrationError(f"SQLite migrations {missing} have no PostgreSQL twin in storage/migrations/postgres/")
    return plan


async def migrate(conn: asyncpg.Connection) -> int:
    """Apply what is missing; returns the schema version."""
    plan = available_postgres()
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATE_LOCK)
    try:
        await conn.execute(BOOKKEEPING)
        recorded = await applied_versions(conn)
        known = {m.version for _, stands_for in plan for m in stands_for}
        unknown = sorted(recorded - known)
        if unknown:
            raise MigrationError(
                f"the database is at schema version {max(recorded)}, newer than this code knows"
                f" (it has {', '.join(map(str, unknown))}); run a newer release"
            )
        for migration, stands_for in plan:
            if not {m.version for m in stands_for} <= recorded:
                await _apply(conn, migration, stands_for)
        return await current_version(conn)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATE_LOCK)


async def applied_versions(conn: asyncpg.Connection) -> set[int]:
    return {int(row[0]) for row in await conn.fetch("SELECT version FROM schema_migrations")}


async def current_version(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))


async def _apply(conn: asyncpg.Connection, migration: Migration, stands_for: list[Migration]) -> None:
    """The file and its rows in one transaction: PostgreSQL's DDL is transactional, so a
    failure leaves no trace."""
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            applied_at = applied_now()
            await conn.executemany(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                [(m.version, m.name, applied_at) for m in stands_for],
            )
    except asyncpg.PostgresError as error:
        raise MigrationError(f"migration postgres/{migration.version:04d}_{migration.name}.sql failed: {error}") from error
