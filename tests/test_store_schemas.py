"""The PostgreSQL schema is SQLite's: the same tables, columns, indexes and triggers, the
same migration bookkeeping, applied once when replicas start together, and SQLite's
functions (reference_key above all) answering as SQLite's do."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import asyncpg
import pytest

from handlers.model.orders import reference_key
from storage.dialect import to_postgres
from storage.migrate import available
from storage.pg_migrate import available_postgres
from storage.postgres import PostgresStore
from storage.sqlite import SqliteStore
from tests.store_engines import blank_database, postgres_url  # noqa: F401  (fixture)

Shape = dict[str, set[str]]


async def sqlite_shape(tmp_path: Path) -> tuple[Shape, set[str], set[str]]:
    """Tables with their columns, index names and trigger names of a migrated SQLite file."""
    await (await SqliteStore.open(tmp_path / "shape.sqlite3")).close()
    with closing(sqlite3.connect(tmp_path / "shape.sqlite3")) as db:
        tables = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        columns = {table: {row[1] for row in db.execute(f"SELECT * FROM pragma_table_xinfo('{table}')")}
                   for table in tables}
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
        triggers = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    return columns, indexes, triggers


async def postgres_shape(url: str) -> tuple[Shape, set[str], set[str]]:
    conn = await asyncpg.connect(url)
    try:
        columns: Shape = {}
        for row in await conn.fetch("SELECT table_name, column_name FROM information_schema.columns"
                                    " WHERE table_schema = 'public'"):
            columns.setdefault(row[0], set()).add(row[1])
        # Those PostgreSQL names itself back primary keys and UNIQUE constraints, as SQLite's
        # autoindexes do (which have no SQL).
        indexes = {row[0] for row in await conn.fetch(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)")}
        triggers = {row[0] for row in await conn.fetch("SELECT DISTINCT trigger_name FROM information_schema.triggers")}
    finally:
        await conn.close()
    return columns, indexes, triggers


async def test_both_engines_have_the_same_tables_columns_indexes_and_triggers(
    tmp_path: Path, postgres_url: str  # noqa: F811
) -> None:
    sqlite_columns, sqlite_indexes, sqlite_triggers = await sqlite_shape(tmp_path)
    pg_columns, pg_indexes, pg_triggers = await postgres_shape(postgres_url)
    assert pg_columns == sqlite_columns
    assert pg_indexes == sqlite_indexes
    assert pg_triggers == sqlite_triggers | POSTGRES_ONLY_TRIGGERS


# Announces new outbox work to the other replicas (SQLite has one process to wake).
POSTGRES_ONLY_TRIGGERS = {"outbox_work_notify"}


def test_every_sqlite_migration_has_its_postgres_form() -> None:
    covered = [m.version for _, stands_for in available_postgres() for m in stands_for]
    assert covered == [m.version for m in available()]


async def test_replicas_starting_together_migrate_once(postgres_url: str) -> None:  # noqa: F811
    async with blank_database(postgres_url) as url:
        stores = await asyncio.gather(*(PostgresStore.open(url) for _ in range(3)))
        try:
            assert {await store.schema_version() for store in stores} == {max(m.version for m in available())}
            conn = await asyncpg.connect(url)
            try:
                rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
            finally:
                await conn.close()
            assert [(row[0], row[1]) for row in rows] == [(m.version, m.name) for m in available()]
        finally:
            for store in stores:
                await store.close()


# Order references as people type them: full-width (a Chinese input method), Chinese around
# them, every kind of separator, ligatures, letters that fold to two (ß), final sigma.
TRICKY = [
    "PO-2026-0142", "po2026 0142", "ＰＯ－２０２６－０１４２", "采购单-2026/0142", "订单：PO-1（样品）",
    "PO_2026.0142", "PO\t-\n1", "PO‐2026", "PO·1", "PO•1", "PO\u200b-1", "Ａｂｃ１２３", "ｶﾀｶﾅ-1",
    "Straße-1", "ẞ-2", "İstanbul-7", "ǅ-9", "①②-3", "Ⅻ-9", "ﬁ-12", "ΣΑΣ-ς", "é-e\u0301", "x²-³",
    "٣٤-Arabic", "№5", "K-Kelvin\u212a", "", "---",
]


async def test_reference_key_in_postgres_is_pythons(postgres_url: str) -> None:  # noqa: F811
    conn = await asyncpg.connect(postgres_url)
    try:
        found = [await conn.fetchval("SELECT reference_key($1)", text) for text in TRICKY]
        assert await conn.fetchval("SELECT reference_key(NULL)") == ""
    finally:
        await conn.close()
    assert found == [reference_key(text) for text in TRICKY]


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        ("SELECT ?2, ?1, ?2", "SELECT $2, $1, $2"),
        ("SELECT '?', ':x', \"a?\" FROM t WHERE a = :x -- why?\n AND b = :y AND c = :x",
         "SELECT '?', ':x', \"a?\" FROM t WHERE a = $1 -- why?\n AND b = $2 AND c = $1"),
        ("SELECT a FROM t LIMIT ? OFFSET ?", "SELECT a FROM t LIMIT NULLIF(CAST($1 AS BIGINT), -1) OFFSET $2"),
        ("INSERT OR IGNORE INTO t (a) VALUES (?)", "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"),
        ("SELECT 1 FROM t WHERE t.id IN (SELECT value FROM json_each(?))",
         "SELECT 1 FROM t WHERE CAST(t.id AS TEXT) IN (SELECT value FROM json_each_any($1))"),
        ("SELECT group_concat(x, ' ') FROM json_each(v.report, '$.order.items') i ORDER BY r COLLATE BINARY",
         "SELECT string_agg(x, ' ') FROM json_each_any(json_extract(v.report, '$.order.items')) i"
         " ORDER BY CAST(r AS TEXT) COLLATE \"C\""),
    ],
)
def test_sqlite_sql_is_translated_once_for_postgres(sqlite: str, postgres: str) -> None:
    assert to_postgres(sqlite).text == postgres
    assert to_postgres(sqlite) is to_postgres(sqlite)  # cached by text


def test_named_parameters_are_passed_in_their_numbers_order() -> None:
    statement = to_postgres("SELECT :b, :a, :b")
    assert statement.arguments({"a": 1, "b": 2, "unused": 3}) == [2, 1]
    assert to_postgres("SELECT ?, ?").arguments((1, 2)) == (1, 2)
