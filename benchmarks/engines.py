"""The store a benchmark runs on: a SQLite file in a temporary folder (the default), or, with
`--postgres ADMIN_URL`, a throw-away PostgreSQL database created beside the admin one for
the run and dropped after it (as tests/store_engines.py makes them), so the rows can be set
beside each other, the engine named in each metric. A PostgreSQL installation keeps its
files in the working directory (storage/sqlite.py `data_folder`): the run works in a
temporary one, so nothing is left behind."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

POSTGRES_HELP = "run on a throw-away database on this PostgreSQL server (admin url, e.g."\
    " postgresql://postgres@127.0.0.1:5432/postgres) instead of SQLite"


def engine_label(postgres: str | None) -> str:
    return "PostgreSQL" if postgres else "SQLite"


@asynccontextmanager
async def store_url(postgres: str | None) -> AsyncIterator[str]:
    """The url of an empty store for one run (SQLite's in a temporary folder, its media beside)."""
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/followup.sqlite3"
        return
    import asyncpg

    name = f"followup_bench_{uuid.uuid4().hex[:12]}"
    admin, was_in = await asyncpg.connect(postgres), os.getcwd()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        with tempfile.TemporaryDirectory() as folder:
            os.chdir(folder)
            try:
                yield f"{postgres.rpartition('/')[0]}/{name}"
            finally:
                os.chdir(was_in)
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
