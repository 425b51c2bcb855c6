"""Whole tables, for `followup db copy`: which there are, in what order, and their rows as
stored. The one repository that hands out rows rather than domain objects: a copy must move
every column as it is, including those no domain object shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.catalog import NOT_COPIED, Catalog
from storage.transaction import Transaction


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]  # those a row is inserted with, in the table's order
    key: tuple[str, ...]  # the primary key; every column where there is none

    @property
    def quoted(self) -> str:
        return _quoted(self.name)


class CopyOrderError(Exception):
    """Tables that reference each other in a circle: no order inserts them all."""


class Tables:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def in_order(self, catalog: Catalog) -> list[Table]:
        """Every table but the bookkeeping, each after the tables it references."""
        references: dict[str, set[str]] = {}
        for name, referenced in await self._tx.all(catalog.references):
            if name not in NOT_COPIED:
                references.setdefault(name, set())
                if referenced is not None and referenced != name:
                    references[name].add(referenced)
        return [await self._table(catalog, name) for name in _dependency_order(references)]

    async def count(self, table: Table) -> int:
        row = await self._tx.one(f"SELECT COUNT(*) FROM {table.quoted}")
        return int(row[0]) if row is not None else 0

    async def rows(self, table: Table, offset: int, limit: int) -> list[Sequence[object]]:
        """One batch of rows, in key order so that batches neither overlap nor skip."""
        columns = ", ".join(map(_quoted, table.columns))
        order = ", ".join(map(_quoted, table.key))
        return await self._tx.all(f"SELECT {columns} FROM {table.quoted} ORDER BY {order} LIMIT ? OFFSET ?",
                                  (limit, offset))

    async def insert(self, table: Table, rows: Sequence[Sequence[object]]) -> None:
        """Rows as read from another store, ids included."""
        sql = (f"INSERT INTO {table.quoted} ({', '.join(map(_quoted, table.columns))})"
               f" VALUES ({', '.join('?' for _ in table.columns)})")
        for row in rows:
            await self._tx.write(sql, tuple(row))

    async def reset_ids(self, catalog: Catalog, table: Table) -> None:
        """The next id the engine gives this table follows the copied ones."""
        if catalog.id_counter is None or catalog.reset_ids is None or "id" not in table.columns:
            return
        counter = await self._tx.one(catalog.id_counter, (table.quoted,))
        if counter is not None and counter[0] is not None:
            await self._tx.all(catalog.reset_ids.format(table=table.quoted), (counter[0],))

    async def _table(self, catalog: Catalog, name: str) -> Table:
        listed = [(str(column), int(position)) for column, position in await self._tx.all(catalog.columns, (name,))]
        key = tuple(column for column, position in sorted(listed, key=lambda c: c[1]) if position)
        columns = tuple(column for column, _ in listed)
        return Table(name, columns, key or columns)


def _dependency_order(references: dict[str, set[str]]) -> list[str]:
    """Referenced tables first, otherwise by name, so both sides list them alike."""
    ordered: list[str] = []
    waiting = {name: set(refs) & references.keys() for name, refs in references.items()}
    while waiting:
        ready = sorted(name for name, refs in waiting.items() if not refs)
        if not ready:
            raise CopyOrderError(f"tables reference each other in a circle: {', '.join(sorted(waiting))}")
        ordered += ready
        for name in ready:
            del waiting[name]
        for refs in waiting.values():
            refs.difference_update(ready)
    return ordered


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
