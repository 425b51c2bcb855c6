"""The store contract suite's engines: the `store` fixture of a storage test runs it once on
SQLite and once on PostgreSQL, unchanged.

PostgreSQL is the server on 127.0.0.1:5432 (trust auth; FOLLOWUP_TEST_POSTGRES names
another admin url). Each test session (each xdist worker) creates a throw-away database of
its own and drops it at the end; between tests every table is emptied, which is much
faster than migrating a fresh schema. Where no server answers, the postgres tests skip
saying so, and only they do.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, closing
from pathlib import Path

import asyncpg
import pytest

from storage.dialect import to_postgres
from storage.postgres import PostgresStore
from storage.sqlite import SqliteStore

ADMIN_URL = os.environ.get("FOLLOWUP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
ENGINES = ("sqlite", "postgres")


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _run(coroutine: Coroutine[object, object, None]) -> None:
    """Run setup on a loop of its own: the session fixture is first asked for from inside a
    test's running loop."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, coroutine).result()


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _database_name() -> str:
    return f"followup_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated database for this session."""
    name = _database_name()
    try:
        _run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as error:
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL} ({error}); the postgres store tests are skipped")
    url = _with_database(ADMIN_URL, name)

    async def migrate() -> None:
        await (await PostgresStore.open(url)).close()

    _run(migrate())
    yield url
    _run(_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@asynccontextmanager
async def blank_database(postgres_url: str) -> AsyncIterator[str]:
    """Another database, empty (not migrated), dropped afterwards; ask for `postgres_url`
    first, so that a test needing one skips where PostgreSQL is absent."""
    name = _database_name()
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(postgres_url, name)
    finally:
        await _admin(f'DROP DATABASE "{name}" WITH (FORCE)')


async def emptied(url: str) -> None:
    """Every table but the schema's bookkeeping emptied, ids counting from 1 again. DELETE
    with triggers and references off (session_replication_role) takes milliseconds where
    TRUNCATE of every table takes a second; the append-only triggers would refuse it."""
    conn = await asyncpg.connect(url)
    try:
        tables = [row[0] for row in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'")]
        sequences = [row[0] for row in await conn.fetch(
            "SELECT pg_get_serial_sequence(table_name, column_name) FROM information_schema.columns"
            " WHERE table_schema = 'public' AND is_identity = 'YES'")]
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("; ".join(f"DELETE FROM {table}" for table in tables))
            for sequence in sequences:
                await conn.execute("SELECT setval($1, 1, false)", sequence)
    finally:
        await conn.close()


@pytest.fixture(params=ENGINES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteStore | PostgresStore]:
    if request.param == "sqlite":
        opened: SqliteStore | PostgresStore = await SqliteStore.open(tmp_path / "data" / "followup.sqlite3")
    else:
        url = request.getfixturevalue("postgres_url")
        await emptied(url)
        opened = await PostgresStore.open(url)
    yield opened
    await opened.close()


# What each engine raises when a constraint or a guarding trigger refuses a write.
INTEGRITY = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)


async def raw(store: SqliteStore | PostgresStore, sql: str, *params: object) -> list[tuple[object, ...]]:
    """What is in the database, read (or written) through a second, plain connection in
    autocommit, past the store: SQLite SQL, translated for PostgreSQL as the store does."""
    if isinstance(store, SqliteStore):
        with closing(sqlite3.connect(store.path, isolation_level=None)) as db:
            return [tuple(row) for row in db.execute(sql, params).fetchall()]
    statement = to_postgres(sql)
    conn = await asyncpg.connect(store.url)
    try:
        return [tuple(row) for row in await conn.fetch(statement.text, *params)]
    finally:
        await conn.close()


async def another(store: SqliteStore | PostgresStore) -> SqliteStore | PostgresStore:
    """A second store on the same database, as another replica (or a CLI command) opens it."""
    if isinstance(store, SqliteStore):
        return await SqliteStore.open(store.path)
    return await PostgresStore.open(store.url)
