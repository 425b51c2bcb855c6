"""What the bot did to chase a notice (reminders, escalations), and the daily overdue alerts.

Each row is written in the transaction that enqueues its message; its key (notice, kind,
round, step) makes a second attempt at the same step fail instead of sending twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.codec import date_to_text, datetime_from_text, datetime_to_text, json_to_text
from storage.transaction import Transaction


@dataclass(frozen=True)
class FollowUp:
    notice_id: int
    kind: str  # reminder, escalation, manager
    round: int
    step: int
    at: datetime
    by: str


class FollowUps:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def record(self, notice_id: int, kind: str, round_: int, at: datetime, by: str) -> FollowUp:
        """The next step of `kind` in this round (read, then written: under the notice's lock)."""
        await self._tx.lock(f"follow-ups:{notice_id}")
        row = await self._tx.one(
            "SELECT COALESCE(MAX(step), 0) + 1 FROM follow_ups WHERE notice_id = ? AND kind = ? AND round = ?",
            (notice_id, kind, round_),
        )
        step = int(row[0])
        await self._tx.write(
            "INSERT INTO follow_ups (notice_id, kind, round, step, at, by) VALUES (?, ?, ?, ?, ?, ?)",
            (notice_id, kind, round_, step, datetime_to_text(at), by),
        )
        return FollowUp(notice_id, kind, round_, step, at, by)

    async def for_notice(self, notice_id: int) -> list[FollowUp]:
        rows = await self._tx.all(
            "SELECT notice_id, kind, round, step, at, by FROM follow_ups WHERE notice_id = ? ORDER BY at, kind, step",
            (notice_id,),
        )
        return [
            FollowUp(r["notice_id"], r["kind"], r["round"], r["step"], datetime_from_text(r["at"]), r["by"])
            for r in rows
        ]

    async def counts(self, notice_ids: list[int], kind: str) -> dict[int, int]:
        """How many follow-ups of `kind` each notice had, in one query (0 where none)."""
        rows = await self._tx.all(
            "SELECT notice_id, COUNT(*) AS n FROM follow_ups"
            " WHERE kind = ? AND notice_id IN (SELECT value FROM json_each(?)) GROUP BY notice_id",
            (kind, json_to_text(notice_ids)),
        )
        found = dict.fromkeys(notice_ids, 0)
        found.update({row["notice_id"]: row["n"] for row in rows})
        return found

    async def alerted_overdue(self, visit_id: int, day: date) -> bool:
        row = await self._tx.one(
            "SELECT 1 FROM overdue_alerts WHERE visit_id = ? AND day = ?", (visit_id, date_to_text(day))
        )
        return row is not None

    async def record_overdue_alert(self, visit_id: int, day: date, at: datetime) -> None:
        await self._tx.write(
            "INSERT INTO overdue_alerts (visit_id, day, at) VALUES (?, ?, ?)",
            (visit_id, date_to_text(day), datetime_to_text(at)),
        )
