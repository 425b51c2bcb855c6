"""Which orders the brief's follow-up criteria flag, weighed by SQL over every order at once.

The summary once read 10,000 orders into Python to weigh each: about 70 ms of CPU converting
rows, and 25 ms weighing them. Here the store counts the orders by the set of criteria they meet
and returns only the few most pressing ones. The criteria themselves (what counts as large, when a
window is tight, which factories are troubled) are decided by handlers.queries.factories and
handed in as a `Weighing`; this module only applies them.

Values are compared exactly, as the handlers' Decimals compare: a unit value has at most four
decimal places and fourteen digits (handlers.model.orders.OrderLine), so in ten-thousandths it
is an integer a double holds exactly, and times the quantity an exact BIGINT on both engines.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from handlers.model.orders import PackagingComplexity
from handlers.model.tallies import OrderFacts, Weighing
from storage.codec import json_to_text
from storage.transaction import Transaction

_SCALE = 10_000  # ten-thousandths: the smallest unit a unit value holds


def _value(order: str) -> str:
    """The value of the order aliased `order`, in ten-thousandths, exactly."""
    return f"CAST(ROUND(CAST({order}.unit_value AS DOUBLE PRECISION) * {_SCALE}) AS BIGINT) * {order}.quantity"


# The compared factories' orders (`o`, `compared` as `c`) with their latest visit (`v`, none
# before a visit), and when production ends: as that visit projects it (NULL: none projected),
# or before a visit, the final inspection. `compared` names the factories (factory_id, calendar).
_ENDED = """
    FROM compared c JOIN orders o ON o.factory_id = c.factory_id
    LEFT JOIN visits v ON v.order_key = o.reference_key AND v.newest = 1"""
_PRODUCTION_END = "CASE WHEN v.id IS NULL THEN o.final_inspection ELSE v.projected_completion END"

# Each order weighed once, into a table both answers of `flagged` read: its criteria as bits
# in Criterion's order (handlers.queries.factories). :calendars and :todays are JSON objects
# keyed by factory id; :reached maps "calendar production-end" to the day `tight_window_days`
# working days after it: a window is tight when ex-factory comes before that day, or no end
# is projected. The table holds only what sorting needs (ids, reference, days to the final
# inspection, mask): copying every order's columns into it was a third of the summary's
# weighing; the ten orders shown are read afresh by id.
_WEIGHED = f"""
WITH compared(factory_id, calendar, today, troubled) AS MATERIALIZED (
    SELECT c.key, c.value, t.value, CASE WHEN c.key IN (SELECT value FROM json_each(:troubled)) THEN 32 ELSE 0 END
    FROM json_each(:calendars) c JOIN json_each(:todays) t ON t.key = c.key),
reach(key, reached) AS MATERIALIZED (SELECT key, value FROM json_each(:reached)),
weighed AS MATERIALIZED (
    SELECT o.id AS order_id, v.id AS visit_id, o.reference, julianday(o.final_inspection) - julianday(c.today) AS days,
           o.first_order_with_factory
           + CASE WHEN o.quantity >= :large THEN 2 ELSE 0 END
           + CASE WHEN {_value("o")} >= :valuable THEN 4 ELSE 0 END
           + CASE WHEN :enough > 0 AND ({_PRODUCTION_END} IS NULL OR o.ex_factory < r.reached) THEN 8 ELSE 0 END
           + CASE WHEN o.packaging = :complex THEN 16 ELSE 0 END
           + c.troubled AS mask
    {_ENDED}
    LEFT JOIN reach r ON r.key = c.calendar || ' ' || {_PRODUCTION_END})
"""

# How many criteria a mask holds: most first among the orders shown.
_REASONS = " + ".join(f"(mask / {1 << bit}) % 2" for bit in range(6))


class OrderCriteria:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def counts(self, factories: list[str]) -> dict[str, tuple[int, int]]:
        """Per factory of `factories` with orders: how many, and how many have a unit value."""
        rows = await self._tx.all(
            "SELECT factory_id, COUNT(*) AS orders, COUNT(unit_value) AS valued FROM orders"
            " WHERE factory_id IN (SELECT value FROM json_each(?)) GROUP BY factory_id",
            (json_to_text(factories),),
        )
        return {row["factory_id"]: (row["orders"], row["valued"]) for row in rows}

    async def largest_quantity(self, factories: list[str], rank: int) -> int | None:
        """The `rank`-th largest quantity (0: the largest) among the orders of `factories`;
        None if there are fewer now (PostgreSQL reads what commits between two statements)."""
        row = await self._tx.one(
            "SELECT quantity FROM orders WHERE factory_id IN (SELECT value FROM json_each(?))"
            " ORDER BY quantity DESC LIMIT 1 OFFSET ?",
            (json_to_text(factories), rank),
        )
        return None if row is None else row["quantity"]

    async def largest_value(self, factories: list[str], rank: int) -> Decimal | None:
        """The `rank`-th largest value (unit value × quantity; 0: the largest) among the
        orders of `factories` that have a unit value; None if there are fewer now."""
        row = await self._tx.one(
            f"SELECT {_value('o')} AS value_e4 FROM orders o WHERE o.unit_value IS NOT NULL"
            " AND o.factory_id IN (SELECT value FROM json_each(?)) ORDER BY value_e4 DESC LIMIT 1 OFFSET ?",
            (json_to_text(factories), rank),
        )
        return None if row is None else Decimal(row["value_e4"]) / _SCALE

    async def production_ends(self, calendars: dict[str, int]) -> set[tuple[int, date]]:
        """Each calendar (factory id -> calendar number) with the days its factories' orders'
        production ends on: a few hundred pairs, whatever the number of orders."""
        rows = await self._tx.all(
            "WITH compared(factory_id, calendar) AS MATERIALIZED (SELECT key, value FROM json_each(:calendars))"
            f" SELECT DISTINCT c.calendar AS calendar, {_PRODUCTION_END} AS production_end {_ENDED} WHERE {_PRODUCTION_END} IS NOT NULL",
            {"calendars": _as_text(calendars)},
        )
        return {(int(row["calendar"]), date.fromisoformat(row["production_end"])) for row in rows}

    async def flagged(self, weighing: Weighing, limit: int) -> tuple[dict[int, int], list[tuple[OrderFacts, int]]]:
        """How many orders meet each set of criteria that any order meets (a bit mask, bit n:
        the n-th criterion), and the `limit` most pressing orders with their mask: most
        criteria met, then the soonest final inspection (counted from today at the factory),
        then by reference. Each order is weighed once, into a table both answers read; only the
        orders with as many criteria as the `limit`-th most are sorted."""
        rows = await self._tx.all(
            _WEIGHED + f""",
            masks AS (SELECT mask, COUNT(*) AS orders, {_REASONS} AS reasons FROM weighed WHERE mask > 0 GROUP BY mask),
            fewest AS (SELECT COALESCE(MAX(m.reasons), 0) AS reasons FROM masks m
                       WHERE (SELECT SUM(d.orders) FROM masks d WHERE d.reasons >= m.reasons) >= :limit)
            SELECT mask, orders, NULL AS reference, NULL AS factory_id, NULL AS quantity, NULL AS unit_value,
                   NULL AS currency, NULL AS final_inspection, NULL AS ex_factory, NULL AS first_order_with_factory,
                   NULL AS packaging, NULL AS visit_id, NULL AS projected_completion
            FROM masks
            UNION ALL
            SELECT * FROM (
                SELECT p.mask, CAST(NULL AS BIGINT) AS orders, o.reference, o.factory_id, o.quantity, o.unit_value,
                       o.currency, o.final_inspection, o.ex_factory, o.first_order_with_factory, o.packaging, p.visit_id,
                       v.projected_completion
                FROM (SELECT mask, order_id, visit_id, days FROM weighed
                      WHERE mask IN (SELECT mask FROM masks WHERE reasons >= (SELECT reasons FROM fewest))
                      ORDER BY {_REASONS} DESC, days, reference COLLATE BINARY LIMIT :limit) AS p
                JOIN orders o ON o.id = p.order_id LEFT JOIN visits v ON v.id = p.visit_id
                ORDER BY {_REASONS} DESC, p.days, o.reference COLLATE BINARY) AS pressing""",
            {**_parameters(weighing), "limit": limit},
        )
        return ({row["mask"]: row["orders"] for row in rows if row["orders"] is not None},
                [(_facts(tuple(row)[2:]), row["mask"]) for row in rows if row["orders"] is None])


def _parameters(weighing: Weighing) -> dict:
    valuable = None if weighing.valuable is None else math.ceil(weighing.valuable * _SCALE)
    return {
        "calendars": _as_text(weighing.calendars),
        "todays": json_to_text({f: day.isoformat() for f, day in weighing.todays.items()}),
        "reached": json_to_text({f"{calendar} {end.isoformat()}": reached.isoformat()
                                 for (calendar, end), reached in weighing.reached.items()}),
        "large": weighing.large,
        "valuable": valuable,
        "enough": weighing.tight_window_days,
        "complex": PackagingComplexity.COMPLEX.value,
        "troubled": json_to_text(sorted(weighing.troubled)),
    }


def _as_text(values: dict) -> str:
    """A JSON object of text values: PostgreSQL's json_each gives text, so SQLite's must too
    for `calendar || ' ' || production_end` to read alike."""
    return json_to_text({key: str(value) for key, value in values.items()})


def _facts(row: tuple) -> OrderFacts:
    """An order's columns in OrderFacts' order, with its latest visit's id for `visited`."""
    (reference, factory_id, quantity, unit_value, currency, final_inspection, ex_factory, first_order, packaging,
     visit_id, completion) = row
    return OrderFacts(reference, factory_id, quantity, None if unit_value is None else Decimal(unit_value), currency,
                      date.fromisoformat(final_inspection), date.fromisoformat(ex_factory), bool(first_order),
                      None if packaging is None else PackagingComplexity(packaging), visit_id is not None,
                      None if completion is None else date.fromisoformat(completion))
