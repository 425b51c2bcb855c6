"""Visit drafts: the report an inspector fills in on the form, saved at every change."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from handlers.model.drafts import VisitDraft
from storage.codec import datetime_from_text, datetime_to_text, json_from_text, json_to_text, \
    optional_datetime_from_text
from storage.transaction import Transaction

_COLUMNS = "id, order_reference, opened_by, report, photos, created_at, updated_at, submitted_at, visit_id"


class VisitDrafts:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(self, draft_id: str, order_reference: str, opened_by: str, report: dict[str, Any],
                  now: datetime) -> VisitDraft:
        at = datetime_to_text(now)
        await self._tx.write(
            f"INSERT INTO visit_drafts ({_COLUMNS}) VALUES (?, ?, ?, ?, '{{}}', ?, ?, NULL, NULL)",
            (draft_id, order_reference, opened_by, json_to_text(report), at, at),
        )
        return VisitDraft(draft_id, order_reference, opened_by, report, {}, now, now)

    async def get(self, draft_id: str) -> VisitDraft | None:
        row = await self._tx.one(f"SELECT {_COLUMNS} FROM visit_drafts WHERE id = ?", (draft_id,))
        return None if row is None else _draft(row)

    async def open_for(self, order_reference: str, opened_by: str) -> VisitDraft | None:
        """The draft this person has not submitted yet for the order, the latest first."""
        row = await self._tx.one(
            f"SELECT {_COLUMNS} FROM visit_drafts WHERE order_reference = ? AND opened_by = ?"
            " AND submitted_at IS NULL ORDER BY updated_at DESC LIMIT 1", (order_reference, opened_by))
        return None if row is None else _draft(row)

    async def save(self, draft: VisitDraft, report: dict[str, Any], photos: dict[str, str],
                   now: datetime) -> VisitDraft:
        """The report and photos as given; a draft already submitted is refused by the trigger."""
        await self._tx.write(
            "UPDATE visit_drafts SET report = ?, photos = ?, updated_at = ? WHERE id = ?",
            (json_to_text(report), json_to_text(photos), datetime_to_text(now), draft.id),
        )
        return VisitDraft(draft.id, draft.order_reference, draft.opened_by, report, photos, draft.created_at, now)

    async def submitted(self, draft_id: str, visit_id: int, now: datetime) -> None:
        await self._tx.write(
            "UPDATE visit_drafts SET submitted_at = ?, visit_id = ?, updated_at = ? WHERE id = ?",
            (datetime_to_text(now), visit_id, datetime_to_text(now), draft_id),
        )


def _draft(row: sqlite3.Row) -> VisitDraft:
    return VisitDraft(
        id=row["id"], order_reference=row["order_reference"], opened_by=row["opened_by"],
        report=json_from_text(row["report"]), photos=json_from_text(row["photos"]),
        created_at=datetime_from_text(row["created_at"]), updated_at=datetime_from_text(row["updated_at"]),
        submitted_at=optional_datetime_from_text(row["submitted_at"]), visit_id=row["visit_id"],
    )
