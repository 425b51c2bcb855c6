"""Posted visit reports. The report is kept whole, as JSON, so what was posted is what is read."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from handlers.model import Decision, StoredVisit
from handlers.orders.model import reference_key
from handlers.reports.schema import VisitReport
from storage.codec import (
    date_from_text,
    date_to_text,
    datetime_to_text,
    decision_from_columns,
    decision_to_columns,
    json_from_text,
    json_to_text,
)
from storage.transaction import Transaction

COLUMNS = "id, order_reference, factory_id, report, photos, posted_by, posted_at, posted_platform"
# "Newest" is the latest visit date; visits posted for the same day go by posting order.
NEWEST_FIRST = "visit_date DESC, id DESC"


@dataclass(frozen=True)
class RankingRow:
    visit_id: int
    order_reference: str
    factory_id: str
    status: str | None  # None: posted before verdicts were kept
    gap_pts: float | None
    final_inspection: date | None
    overdue_or_disputed: int
    past_deadline: int


class Visits:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(self, report: VisitReport, photos: dict[str, str], posted: Decision,
                  verdict: tuple[str, float] | None = None) -> StoredVisit:
        """`verdict`: the analysis' status and progress gap, kept for ranking the portfolio."""
        status, gap_pts = verdict or (None, None)
        visit_id = await self._tx.insert(
            "INSERT INTO visits (order_reference, order_key, factory_id, visit_date, report, photos,"
            " posted_by, posted_at, posted_platform, status, gap_pts, final_inspection)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                report.order.reference,
                reference_key(report.order.reference),
                report.order.factory,
                date_to_text(report.visit.date),
                json_to_text(report.model_dump(mode="json")),
                json_to_text(photos),
                *decision_to_columns(posted),
                status,
                gap_pts,
                date_to_text(report.order.final_inspection),
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
            ") WHERE rank = 1 ORDER BY order_reference",
            (key,),
        )
        return [_visit(row) for row in rows]

    async def references(self) -> list[tuple[str, str]]:
        """Each order's reference and factory, without reading a report."""
        rows = await self._tx.all("SELECT DISTINCT order_reference, factory_id FROM visits ORDER BY order_reference")
        return [(row["order_reference"], row["factory_id"]) for row in rows]

    async def ranking_rows(self, factory_id: str | None, todays: dict[str, str], now: datetime) -> list[RankingRow]:
        """What the portfolio ranks by, for the newest visit of each order (one factory's when
        `factory_id` is given), read from summary columns and counts, never from the reports.
        `todays` maps a factory id to today's date at the factory, what overdue is counted against."""
        rows = await self._tx.all(
            "WITH latest AS ("
            " SELECT id, order_reference, factory_id, status, gap_pts, final_inspection FROM ("
            "  SELECT id, order_reference, factory_id, status, gap_pts, final_inspection,"  # never the report
            f"  ROW_NUMBER() OVER (PARTITION BY order_reference ORDER BY {NEWEST_FIRST}) AS rank"
            "   FROM visits WHERE (?1 IS NULL OR factory_id = ?1)"
            " ) WHERE rank = 1)"
            " SELECT l.*,"
            "  (SELECT COUNT(*) FROM instructions i WHERE i.visit_id = l.id AND (i.state = 'disputed'"
            "    OR (i.state IN ('sent', 'acknowledged', 'reopened') AND CASE WHEN i.commitment = 'accepted'"
            "     AND i.committed IS NOT NULL THEN i.committed ELSE i.due END"
            "     < json_extract(?2, '$.\"' || l.factory_id || '\"')))) AS overdue_or_disputed,"
            "  (SELECT COUNT(*) FROM notices n WHERE n.visit_id = l.id AND n.state = 'sent'"
            "    AND n.acknowledge_by < ?3) AS past_deadline"
            " FROM latest l",
            (factory_id, json_to_text(todays), datetime_to_text(now)),
        )
        return [RankingRow(row["id"], row["order_reference"], row["factory_id"], row["status"], row["gap_pts"],
                           None if row["final_inspection"] is None else date_from_text(row["final_inspection"]),
                           row["overdue_or_disputed"], row["past_deadline"]) for row in rows]

    async def latest_per_order(self) -> list[StoredVisit]:
        """The newest visit of each order (references compared case-insensitively), by reference."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM ("
            f" SELECT *, ROW_NUMBER() OVER (PARTITION BY order_reference ORDER BY {NEWEST_FIRST}) AS rank"
            " FROM visits"
            ") WHERE rank = 1 ORDER BY order_reference"
        )
        return [_visit(row) for row in rows]


def _visit(row: sqlite3.Row) -> StoredVisit:
    return StoredVisit(
        id=row["id"],
        order_reference=row["order_reference"],
        factory_id=row["factory_id"],
        report=VisitReport.model_validate(json_from_text(row["report"])),
        photos=json_from_text(row["photos"]),
        posted=decision_from_columns(row["posted_by"], row["posted_at"], row["posted_platform"]),
    )
