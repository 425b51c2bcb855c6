"""The analysis' verdict kept on each visit, and the basis each factory's verdicts were judged
under (see handlers.verdicts and migration 0009)."""

from __future__ import annotations

import sqlite3

from handlers.model.tallies import VisitTally
from handlers.model.verdicts import JudgedVisit, Option, Status, Verdict
from storage.codec import date_from_text, date_to_text, json_from_text, json_to_text
from storage.transaction import Transaction

# The columns a verdict is kept in, in `columns_of` order.
VERDICT_COLUMNS = ("status", "verified_pct", "reported_pct", "gap_pts", "options", "projected_completion")

_JUDGED = f"id, order_reference, factory_id, final_inspection, {', '.join(VERDICT_COLUMNS)}"


def columns_of(verdict: Verdict) -> tuple:
    """The verdict as the values of VERDICT_COLUMNS."""
    return (verdict.status.value, verdict.verified_pct, verdict.reported_pct, verdict.gap_pts,
            json_to_text([option.value for option in verdict.options]),
            None if verdict.projected_completion is None else date_to_text(verdict.projected_completion))


class Verdicts:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def bases(self) -> dict[str, str]:
        rows = await self._tx.all("SELECT factory_id, basis FROM verdict_bases")
        return {row["factory_id"]: row["basis"] for row in rows}

    async def record_basis(self, factory_id: str, basis: str) -> None:
        await self._tx.write("INSERT INTO verdict_bases (factory_id, basis) VALUES (?, ?)"
                             " ON CONFLICT (factory_id) DO UPDATE SET basis = excluded.basis", (factory_id, basis))

    async def latest_visits(self, factory_id: str) -> list[int]:
        """The ids of the latest visit of each of the factory's orders: the ones listings read."""
        rows = await self._tx.all("SELECT id FROM visits WHERE factory_id = ? AND newest = 1 ORDER BY id",
                                  (factory_id,))
        return [row["id"] for row in rows]

    async def store(self, visit_id: int, verdict: Verdict) -> None:
        assignments = ", ".join(f"{column} = ?" for column in VERDICT_COLUMNS)
        await self._tx.write(f"UPDATE visits SET {assignments} WHERE id = ?", (*columns_of(verdict), visit_id))

    async def judged_visits(self, visit_ids: list[int]) -> dict[int, JudgedVisit]:
        """Several visits as a listing reads them, by id; every id must have been judged."""
        rows = await self._tx.all(f"SELECT {_JUDGED} FROM visits WHERE id IN (SELECT value FROM json_each(?))",
                                  (json_to_text(visit_ids),))
        return {row["id"]: _judged(row) for row in rows}

    async def tallies(self, factory_id: str | None = None) -> dict[str, VisitTally]:
        """Per factory (one, or every factory: None), its orders' latest visits counted by
        verdict, from the covering index of migration 0022: no report is read."""
        rows = await self._tx.all(
            "SELECT v.factory_id, COUNT(*) AS visited,"
            " COUNT(CASE WHEN v.status = ? THEN 1 END) AS late, COUNT(CASE WHEN v.status = ? THEN 1 END) AS at_risk,"
            " AVG(v.gap_pts) AS gap, COUNT(CASE WHEN o.id IS NULL THEN 1 END) AS without_order"
            " FROM visits v LEFT JOIN orders o ON o.reference_key = v.order_key AND o.factory_id = v.factory_id"
            " WHERE v.newest = 1 AND (CAST(? AS TEXT) IS NULL OR v.factory_id = ?) GROUP BY v.factory_id",
            (Status.LATE.value, Status.AT_RISK.value, factory_id, factory_id),
        )
        return {row["factory_id"]: VisitTally(row["visited"], row["late"], row["at_risk"], row["gap"],
                                              row["without_order"]) for row in rows}


def _judged(row: sqlite3.Row) -> JudgedVisit:
    completion = row["projected_completion"]
    verdict = Verdict(Status(row["status"]), row["verified_pct"], row["reported_pct"], row["gap_pts"],
                      tuple(Option(code) for code in json_from_text(row["options"])),
                      None if completion is None else date_from_text(completion))
    return JudgedVisit(row["id"], row["order_reference"], row["factory_id"], date_from_text(row["final_inspection"]),
                       verdict)
