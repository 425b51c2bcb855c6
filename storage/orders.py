"""Orders known to the buyer, with or without a visit. Looked up by `reference_key`, the
reference without case or separators, as people type it."""

from __future__ import annotations

import sqlite3
import dataclasses
from datetime import datetime

from handlers.model.orders import OrderedItem, OrderLine, StoredOrder, reference_key
from handlers.model.search import OrderSearch
from storage.codec import date_to_text, datetime_from_text, datetime_to_text, json_to_text
from storage.transaction import Transaction

COLUMNS = (
    "id, reference, factory_id, product_name, product_name_zh, quantity, unit_value, currency,"
    " final_inspection, ex_factory, first_order_with_factory, packaging, production_start, created_at, updated_at"
)


# Orders no visit was posted for, of the factories in :factories (a JSON list; NULL: all),
# whose reference, product or factory (:named) contains :text (a reference_key; NULL: any).
_WITHOUT_VISIT = """
(CAST(:factories AS TEXT) IS NULL OR factory_id IN (SELECT value FROM json_each(:factories)))
AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.order_key = o.reference_key)
AND (CAST(:text AS TEXT) IS NULL OR (:text <> '' AND (instr(o.reference_key, :text) > 0 OR instr(reference_key(o.product_name), :text) > 0
     OR instr(reference_key(o.product_name_zh), :text) > 0 OR factory_id IN (SELECT value FROM json_each(:named)))))
"""


class Orders:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def get(self, reference: str) -> StoredOrder | None:
        row = await self._tx.one(f"SELECT {COLUMNS} FROM orders WHERE reference_key = ?", (reference_key(reference),))
        return None if row is None else (await self._orders([row]))[0]

    async def get_many(self, order_ids: list[int]) -> dict[int, StoredOrder]:
        """Several orders in one query (a portfolio page), by id."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM orders WHERE id IN (SELECT value FROM json_each(?))", (json_to_text(order_ids),)
        )
        return {order.id: order for order in await self._orders(rows)}

    async def add(self, line: OrderLine, now: datetime) -> StoredOrder:
        order_id = await self._tx.insert(
            "INSERT INTO orders (reference, reference_key, factory_id, product_name, product_name_zh, quantity,"
            " unit_value, currency, final_inspection, ex_factory, first_order_with_factory, packaging,"
            " production_start, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (line.reference, line.key, *_values(line), datetime_to_text(now), datetime_to_text(now)),
        )
        return StoredOrder(order_id, line, now, now)

    async def replace(self, order: StoredOrder, line: OrderLine, now: datetime) -> StoredOrder:
        """The order's figures as `line` gives them; the reference keeps its stored spelling."""
        line = line.model_copy(update={"reference": order.reference})
        await self._tx.write(
            "UPDATE orders SET factory_id = ?, product_name = ?, product_name_zh = ?, quantity = ?, unit_value = ?,"
            " currency = ?, final_inspection = ?, ex_factory = ?, first_order_with_factory = ?, packaging = ?,"
            " production_start = ?, updated_at = ? WHERE id = ?",
            (*_values(line), datetime_to_text(now), order.id),
        )
        return dataclasses.replace(order, line=line, updated_at=now)

    async def without_visit(self, factory_id: str | None = None, limit: int = -1, offset: int = 0,
                            search: OrderSearch | None = None) -> list[StoredOrder]:
        """Orders no visit has been posted for, soonest final inspection first; one factory's
        when `factory_id` is given, those `search` keeps when given; `limit` of them (all: -1)
        after the first `offset`."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM orders o WHERE {_WITHOUT_VISIT} ORDER BY final_inspection, reference LIMIT :limit"
            " OFFSET :offset",
            {**_search(factory_id, search), "limit": limit, "offset": offset},
        )
        return await self._orders(rows)

    async def count_without_visit(self, factory_id: str | None = None, search: OrderSearch | None = None) -> int:
        row = await self._tx.one(f"SELECT COUNT(*) FROM orders o WHERE {_WITHOUT_VISIT}", _search(factory_id, search))
        return int(row[0])

    async def all(self, factory_id: str | None = None) -> list[StoredOrder]:
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM orders WHERE (CAST(? AS TEXT) IS NULL OR factory_id = ?) ORDER BY reference",
            (factory_id, factory_id),
        )
        return await self._orders(rows)

    async def set_items(self, order: StoredOrder, items: tuple[OrderedItem, ...]) -> StoredOrder:
        """The order's items as `items` gives them (() : one product, no items)."""
        await self._tx.write("DELETE FROM order_items WHERE order_id = ?", (order.id,))
        for position, item in enumerate(items):
            await self._tx.write(
                "INSERT INTO order_items (order_id, position, code, name, name_zh, quantity) VALUES (?, ?, ?, ?, ?, ?)",
                (order.id, position, item.code, item.name, item.name_zh, item.quantity),
            )
        return dataclasses.replace(order, items=items)

    async def _orders(self, rows: list[sqlite3.Row]) -> list[StoredOrder]:
        """The rows as orders with their items, read in one query for all of them."""
        if not rows:
            return []
        found = await self._tx.all(
            "SELECT order_id, code, name, name_zh, quantity FROM order_items"
            " WHERE order_id IN (SELECT value FROM json_each(?)) ORDER BY order_id, position",
            (json_to_text([row["id"] for row in rows]),),
        )
        items: dict[int, list[OrderedItem]] = {}
        for item in found:
            items.setdefault(item["order_id"], []).append(
                OrderedItem(item["code"], item["name"], item["name_zh"], item["quantity"]))
        return [dataclasses.replace(_order(row), items=tuple(items.get(row["id"], ()))) for row in rows]


def _search(factory_id: str | None, search: OrderSearch | None) -> dict:
    factories = [factory_id] if factory_id is not None else None
    if search is not None:
        factories = [f for f in search.factories if factory_id is None or f == factory_id]
    return {"factories": None if factories is None else json_to_text(factories),
            "text": None if search is None else search.text,
            "named": json_to_text([] if search is None else list(search.factories_named))}


def _values(line: OrderLine) -> tuple:
    return (
        line.factory,
        line.product_name,
        line.product_name_zh,
        line.quantity,
        None if line.unit_value is None else str(line.unit_value),
        line.currency,
        date_to_text(line.final_inspection),
        date_to_text(line.ex_factory),
        int(line.first_order_with_factory),
        None if line.packaging is None else line.packaging.value,
        None if line.production_start is None else date_to_text(line.production_start),
    )


def _order(row: sqlite3.Row) -> StoredOrder:
    line = OrderLine(
        reference=row["reference"],
        factory=row["factory_id"],
        product_name=row["product_name"],
        product_name_zh=row["product_name_zh"],
        quantity=row["quantity"],
        unit_value=row["unit_value"],
        currency=row["currency"],
        final_inspection=row["final_inspection"],
        ex_factory=row["ex_factory"],
        first_order_with_factory=bool(row["first_order_with_factory"]),
        packaging=row["packaging"],
        production_start=row["production_start"],
    )
    return StoredOrder(row["id"], line, datetime_from_text(row["created_at"]), datetime_from_text(row["updated_at"]))

