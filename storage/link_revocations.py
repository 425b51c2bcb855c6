"""Revoked notice links: a notice and recipient whose links issued before the revocation the
page refuses from then on. Links issued after it (the bot keeps sending some) open the page."""

from __future__ import annotations

from datetime import datetime

from handlers.model import Decision
from storage.codec import datetime_from_text, datetime_to_text
from storage.transaction import Transaction


class LinkRevocations:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def revoke(self, notice_id: int, recipient: str, decision: Decision) -> bool:
        """False when these links were revoked at this very moment already."""
        changed = await self._tx.write(
            "INSERT OR IGNORE INTO notice_link_revocations (notice_id, recipient, revoked_by, revoked_at,"
            " revoked_platform) VALUES (?, ?, ?, ?, ?)",
            (notice_id, recipient, decision.by, datetime_to_text(decision.at), decision.platform.value),
        )
        return changed > 0

    async def is_revoked(self, notice_id: int, recipient: str, issued: datetime) -> bool:
        """Whether a link issued at `issued` (whole seconds) was revoked: a revocation in the
        same second ends it too, as the link's time cannot say which came first."""
        rows = await self._tx.all(
            "SELECT revoked_at FROM notice_link_revocations WHERE notice_id = ? AND recipient = ?",
            (notice_id, recipient),
        )
        return any(datetime_from_text(row["revoked_at"]).replace(microsecond=0) >= issued for row in rows)
