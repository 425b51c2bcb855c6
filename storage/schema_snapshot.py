"""Writes storage/schema.sql, the schema a brand-new SQLite store is given at once, from the
migrations applied one by one on an empty database: `python -m storage.schema_snapshot`, after
adding a migration (tests/test_store.py fails until then; meanwhile new stores take the
migrations one by one, as before the snapshot)."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from pathlib import Path

from storage.connection import connect
from storage.migrate import SNAPSHOT, migrate, snapshot_of


async def migrated_one_by_one(path: Path) -> None:
    """A new database at `path` with every migration applied, none from the snapshot."""
    conn = await connect(path)
    try:
        await migrate(conn, from_snapshot=False)
    finally:
        await conn.close()


def made_snapshot() -> str:
    """What storage/schema.sql should hold for the migrations shipped now."""
    with tempfile.TemporaryDirectory(prefix="followup-schema-") as folder:
        path = Path(folder) / "migrated.sqlite3"
        asyncio.run(migrated_one_by_one(path))
        db = sqlite3.connect(path)
        try:
            return snapshot_of(db)
        finally:
            db.close()


if __name__ == "__main__":
    target = Path(__file__).with_name(SNAPSHOT)
    target.write_text(made_snapshot(), encoding="utf-8")
    print(f"wrote {target}")
