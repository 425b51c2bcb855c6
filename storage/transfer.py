"""Moving every row of one store into another, empty one, and proving nothing was lost.

Rows keep their ids: everything that names a row (a button's token, a notice's link, an
outbox message held behind another) still names the same one. Tables go in the order their
references allow, each in batches, one transaction per batch on either side, so a big store
never holds a lock for the whole copy. The proof is computed the same way on both sides
(storage/checksum.py): rows per table and one checksum of them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.catalog import Catalog
from storage.checksum import row_digest, store_checksum, table_checksum

BATCH = 500
Progress = Callable[[str, int, int], None]  # table, rows copied, rows in all


class CopyRefused(Exception):
    """The copy cannot start: nothing was written."""


@dataclass(frozen=True)
class Survey:
    """One store's rows per table and the checksum of each table's rows."""

    counts: dict[str, int]
    checksums: dict[str, str]

    @property
    def checksum(self) -> str:
        return store_checksum(self.checksums)


async def copy_rows(source, source_catalog: Catalog, target, target_catalog: Catalog,
                    progress: Progress | None = None) -> None:
    """Every row of `source` into `target`, ids kept; CopyRefused before writing anything when
    the two schemas differ or the target holds a row."""
    async with source.unit_of_work() as uow:
        tables = await uow.tables.in_order(source_catalog)
    async with target.unit_of_work() as uow:
        theirs = {t.name: t for t in await uow.tables.in_order(target_catalog)}
        _refuse_other_schemas(tables, theirs)
        found = {t.name: n for t in tables if (n := await uow.tables.count(theirs[t.name]))}
    if found:
        listing = ", ".join(f"{name}: {count}" for name, count in found.items())
        raise CopyRefused(f"the target store is not empty (rows per table: {listing}); copy into a new, empty database")
    for table in tables:
        await _copy_table(source, target, table, progress)
    async with target.unit_of_work() as uow:
        for table in tables:
            await uow.tables.reset_ids(target_catalog, theirs[table.name])
        await uow.commit()


async def survey(store, catalog: Catalog) -> Survey:
    """Counts and checksums, a table at a time in batches as the copy reads them."""
    counts: dict[str, int] = {}
    checksums: dict[str, str] = {}
    async with store.unit_of_work() as uow:
        tables = await uow.tables.in_order(catalog)
    for table in tables:
        digests = []
        async for batch in _batches(store, table):
            digests += [row_digest(dict(zip(table.columns, row, strict=True))) for row in batch]
        counts[table.name] = len(digests)
        checksums[table.name] = table_checksum(digests)
    return Survey(counts, checksums)


async def _copy_table(source, target, table, progress: Progress | None) -> None:
    async with source.unit_of_work() as uow:
        total = await uow.tables.count(table)
    done = 0
    async for batch in _batches(source, table):
        async with target.unit_of_work() as uow:
            await uow.tables.insert(table, batch)
            await uow.commit()
        done += len(batch)
        if progress is not None:
            progress(table.name, done, total)


async def _batches(store, table):
    """The table's rows, BATCH at a time, each batch read in a unit of work of its own."""
    offset = 0
    while True:
        async with store.unit_of_work() as uow:
            batch = await uow.tables.rows(table, offset, BATCH)
        if not batch:
            return
        yield batch
        offset += len(batch)


def _refuse_other_schemas(ours, theirs) -> None:
    """Both stores must be at one schema: a column the target lacks would be dropped."""
    problems = []
    for table in ours:
        other = theirs.get(table.name)
        if other is None:
            problems.append(f"{table.name} is missing")
        elif set(other.columns) != set(table.columns):
            problems.append(f"{table.name} has columns {', '.join(sorted(set(other.columns) ^ set(table.columns)))}"
                            " on one side only")
    problems += [f"{name} exists only in the target" for name in sorted(theirs.keys() - {t.name for t in ours})]
    if problems:
        raise CopyRefused(f"the two stores' schemas differ: {'; '.join(problems)}")
