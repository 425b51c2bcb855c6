"""Posted visit reports. The report is kept whole, as JSON, so what was posted is what is read."""

from __future__ import annotations

import math
import sqlite3
from datetime import datetime

from handlers.model import Decision, StoredVisit
from handlers.model.orders import reference_key
from handlers.model.report import VisitReport
from handlers.model.search import Search
from handlers.model.verdicts import ATTENTION_ORDER, Status, Verdict
from storage.codec import (
    date_to_text,
    datetime_to_text,
    decision_from_columns,
    decision_to_columns,
    json_from_text,
    json_to_text,
)
from storage.instructions import HELD_TO, OPEN_AT_FACTORY
from storage.transaction import Transaction
from storage.verdicts import VERDICT_COLUMNS, columns_of

COLUMNS = "id, order_reference, factory_id, report, photos, posted_by, posted_at, posted_platform"
# "Newest" is the latest visit date; visits posted for the same day go by posting order.
NEWEST_FIRST = "visit_date DESC, id DESC"


# handlers.queries.status.PortfolioLine.attention (and NotVisited.attention), from stored columns:
# status, instructions overdue or disputed, notices past their acknowledgement deadline, gap, days
# to the final inspection, reference (BINARY: as Python compares strings). Only orders whose status
# is in :statuses. Orders not visited yet (:planned factories) rank in the tier _TIER gives them.
# {total}: COUNT(*) OVER () when the rows must be counted as they are ranked (a text search);
# otherwise NULL, and _COUNTED counts them from the index.
_TIER = "CASE WHEN julianday(o.final_inspection) - julianday(t.day) <= :soon THEN 'at_risk' ELSE 'on_track' END"
_TIERS = frozenset({Status.AT_RISK.value, Status.ON_TRACK.value})  # what _TIER can say
_UNVISITED = """
 FROM orders o JOIN today t ON t.factory_id = o.factory_id
 WHERE o.factory_id IN (SELECT value FROM json_each(:planned))
   AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.order_key = o.reference_key)"""
_RANKED = """
-- today: materialised, so it is indexed rather than rescanned for each row
WITH today(factory_id, day) AS MATERIALIZED (SELECT key, value FROM json_each(:todays)),
latest AS (
 SELECT 'visit' AS kind, id, order_reference, factory_id, status, gap_pts, final_inspection FROM visits
 WHERE newest = 1 AND :visited = 1 AND (CAST(:factory AS TEXT) IS NULL OR factory_id = :factory)
   AND status IN (SELECT value FROM json_each(:statuses))),
shown AS (
 SELECT l.*, t.day FROM latest l JOIN today t ON t.factory_id = l.factory_id
 WHERE CAST(:text AS TEXT) IS NULL OR (:text <> '' AND (
   instr(reference_key(l.order_reference), :text) > 0 OR l.factory_id IN (SELECT value FROM json_each(:named))
   OR instr((SELECT reference_key(json_extract(v.report, '$.order.product.name'))
             || ' ' || reference_key(json_extract(v.report, '$.order.product.name_zh'))
             || ' ' || reference_key((SELECT group_concat(json_extract(i.value, '$.code') || ' '
                  || json_extract(i.value, '$.name') || ' ' || coalesce(json_extract(i.value, '$.name_zh'), ''), ' ')
                FROM json_each(v.report, '$.order.items') i))
             FROM visits v WHERE v.id = l.id), :text) > 0))),
unvisited AS (
 SELECT * FROM (SELECT 'order' AS kind, o.id, o.reference AS order_reference, o.factory_id, {tier} AS status,
                0.0 AS gap_pts, o.final_inspection, t.day {unvisited}
   AND (CAST(:text AS TEXT) IS NULL OR (:text <> '' AND (instr(o.reference_key, :text) > 0 OR instr(reference_key(o.product_name), :text) > 0
        OR instr(reference_key(o.product_name_zh), :text) > 0 OR o.factory_id IN (SELECT value FROM json_each(:named))))))
 AS candidate WHERE status IN (SELECT value FROM json_each(:statuses))),
ranked AS (SELECT * FROM shown UNION ALL SELECT * FROM unvisited)
SELECT kind, id, {total} AS total FROM ranked s
ORDER BY
 CASE status {status_rank} END,
 CASE kind WHEN 'visit' THEN (SELECT COUNT(*) FROM instructions i WHERE i.visit_id = s.id
   AND i.state IN ('disputed', {open_at_factory}) AND (i.state = 'disputed' OR {held_to} < s.day)) ELSE 0 END DESC,
 CASE kind WHEN 'visit' THEN (SELECT COUNT(*) FROM notices n WHERE n.visit_id = s.id AND n.state = 'sent'
   AND n.acknowledge_by < :now) ELSE 0 END DESC,
 gap_pts DESC,
 coalesce(julianday(final_inspection) - julianday(day), 0),
 order_reference COLLATE BINARY
LIMIT :limit OFFSET :offset
""".replace("{status_rank}", " ".join(f"WHEN '{status}' THEN {rank}" for rank, status in enumerate(ATTENTION_ORDER))
            ).replace("{open_at_factory}", OPEN_AT_FACTORY).replace("{held_to}", HELD_TO.format(i="i")
                                                                    ).replace("{tier}", _TIER
                                                                              ).replace("{unvisited}", _UNVISITED)

# How many orders of each status _RANKED would rank (without a text search), from the index.
_COUNTED = """
WITH today(factory_id, day) AS MATERIALIZED (SELECT key, value FROM json_each(:todays))
SELECT status, COUNT(*) AS n FROM (
 SELECT status FROM visits v JOIN today t ON t.factory_id = v.factory_id
 WHERE newest = 1 AND :visited = 1 AND (CAST(:factory AS TEXT) IS NULL OR v.factory_id = :factory)
 UNION ALL SELECT {tier} AS status {unvisited}) AS counted
WHERE status IN (SELECT value FROM json_each(:statuses))
GROUP BY status
""".replace("{tier}", _TIER).replace("{unvisited}", _UNVISITED)


class Visits:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(self, report: VisitReport, photos: dict[str, str], posted: Decision,
                  verdict: Verdict) -> StoredVisit:
        """`verdict`: the analysis' conclusion, kept for listing and ranking the portfolio."""
        visit_id = await self._tx.insert(
            "INSERT INTO visits (order_reference, order_key, factory_id, visit_date, report, photos,"
            f" posted_by, posted_at, posted_platform, final_inspection, {', '.join(VERDICT_COLUMNS)})"
            f" VALUES ({', '.join('?' * (10 + len(VERDICT_COLUMNS)))})",
            (
                report.order.reference,
                reference_key(report.order.reference),
                report.order.factory,
                date_to_text(report.visit.date),
                json_to_text(report.model_dump(mode="json")),
                json_to_text(photos),
                *decision_to_columns(posted),
                date_to_text(report.order.final_inspection),
                *columns_of(verdict),
            ),
        )
        return StoredVisit(
            id=visit_id,
            order_reference=report.order.reference,
            factory_id=report.order.factory,
            report=report,
            photos=dict(photos),
            posted=posted,
        )

    async def get(self, visit_id: int) -> StoredVisit | None:
        row = await self._tx.one(f"SELECT {COLUMNS} FROM visits WHERE id = ?", (visit_id,))
        return None if row is None else _visit(row)

    async def get_many(self, visit_ids: list[int]) -> dict[int, StoredVisit]:
        """Several visits in one query (a portfolio page), by id."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM visits WHERE id IN (SELECT value FROM json_each(?))", (json_to_text(visit_ids),)
        )
        return {row["id"]: _visit(row) for row in rows}

    async def for_order(self, reference: str) -> list[StoredVisit]:
        """Newest first; `order_reference` is NOCASE, so "po-1" finds "PO-1"."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM visits WHERE order_reference = ? ORDER BY {NEWEST_FIRST}",
            (reference.strip(),),
        )
        return [_visit(row) for row in rows]

    async def latest_for_key(self, key: str) -> list[StoredVisit]:
        """The newest visit of each order whose reference, without case or separators, is `key`:
        one, or several written alike (PO-1-23 and PO-12-3)."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM ("
            f" SELECT *, ROW_NUMBER() OVER (PARTITION BY order_reference ORDER BY {NEWEST_FIRST}) AS rank"
            " FROM visits WHERE order_key = ?"
            ") AS numbered WHERE rank = 1 ORDER BY order_reference",
            (key,),
        )
        return [_visit(row) for row in rows]

    async def references(self) -> list[tuple[str, str]]:
        """Each order's reference and factory, without reading a report."""
        rows = await self._tx.all("SELECT DISTINCT order_reference, factory_id FROM visits ORDER BY order_reference")
        return [(row["order_reference"], row["factory_id"]) for row in rows]

    async def ranked(self, search: Search, now: datetime, limit: int = -1,
                     offset: int = 0) -> tuple[list[tuple[str, int]], int]:
        """The newest visit of each order `search` keeps, and the orders not visited yet it
        keeps, most urgent first, ranked in SQL from stored verdicts and counts, never from the
        reports (unless searching product names): `limit` of them (all: -1) after the first
        `offset`, each as ("visit", visit id) or ("order", order id), and how many there are."""
        statuses = [search.status] if search.status else [status.value for status in ATTENTION_ORDER]
        params = {"todays": json_to_text(search.todays), "factory": search.one_factory,
                  "statuses": json_to_text(statuses), "text": search.text,
                  "named": json_to_text(list(search.factories_named)), "now": datetime_to_text(now),
                  "planned": _planned(search, statuses), "visited": int(search.visited),
                  "soon": search.soon_days}
        if search.text is None:
            counts = {row["status"]: row["n"] for row in await self._tx.all(_COUNTED, params)}
            spanned, before = _statuses_spanned(statuses, counts, limit, offset)
            rows = await self._tx.all(_RANKED.format(total="NULL"), {
                **params, "statuses": json_to_text(spanned), "planned": _planned(search, spanned), "limit": limit,
                "offset": offset - before,
            }) if spanned else []
            return [(row["kind"], row["id"]) for row in rows], sum(counts.values())
        ranked = _RANKED.format(total="COUNT(*) OVER ()")
        rows = await self._tx.all(ranked, {**params, "limit": limit, "offset": offset})
        if rows:
            return [(row["kind"], row["id"]) for row in rows], rows[0]["total"]
        counted = await self._tx.all(ranked, {**params, "limit": 1, "offset": 0})
        return [], counted[0]["total"] if counted else 0

    async def latest_per_order(self) -> list[StoredVisit]:
        """The newest visit of each order (references compared case-insensitively), by reference."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM ("
            f" SELECT *, ROW_NUMBER() OVER (PARTITION BY order_reference ORDER BY {NEWEST_FIRST}) AS rank"
            " FROM visits"
            ") AS numbered WHERE rank = 1 ORDER BY order_reference"
        )
        return [_visit(row) for row in rows]


def _planned(search: Search, statuses: list[str]) -> str:
    """The factories whose orders not visited yet are ranked: none when no status ranked is one
    they can have (`_TIER`). The first page of a large portfolio is often the late orders alone,
    and looking among 10,000 orders for unvisited ones was a third of ranking it."""
    return json_to_text(list(search.planned) if _TIERS.intersection(statuses) else [])


def _statuses_spanned(statuses: list[str], counts: dict[str, int], limit: int,
                      offset: int) -> tuple[list[str], int]:
    """The statuses (in rank order) whose orders rows `offset` to `offset + limit` fall among,
    and how many orders rank before them. Status is the first thing ranked by, so only those
    orders need counting and sorting: the first page of a large portfolio is often the late
    orders alone, not all 8,000."""
    end = offset + limit if limit >= 0 else math.inf
    spanned, before, seen = [], 0, 0
    for status in statuses:
        n = counts.get(status, 0)
        if seen + n <= offset:
            before += n
        elif seen < end:
            spanned.append(status)
        seen += n
    return spanned, before


def _visit(row: sqlite3.Row) -> StoredVisit:
    return StoredVisit(
        id=row["id"],
        order_reference=row["order_reference"],
        factory_id=row["factory_id"],
        report=VisitReport.model_validate(json_from_text(row["report"])),
        photos=json_from_text(row["photos"]),
        posted=decision_from_columns(row["posted_by"], row["posted_at"], row["posted_platform"]),
    )
