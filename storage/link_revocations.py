"""Revoked notice links: a notice and recipient whose links the page refuses from now on."""

from __future__ import annotations

from handlers.model import Decision
from storage.codec import datetime_to_text
from storage.transaction import Transaction


class LinkRevocations:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def revoke(self, notice_id: int, recipient: str, decision: Decision) -> bool:
        """False when these links were revoked already (the first revocation stands)."""
        changed = await self._tx.write(
            "INSERT OR IGNORE INTO notice_link_revocations (notice_id, recipient, revoked_by, revoked_at,"
            " revoked_platform) VALUES (?, ?, ?, ?, ?)",
            (notice_id, recipient, decision.by, datetime_to_text(decision.at), decision.platform.value),
        )
        return changed > 0

    async def is_revoked(self, notice_id: int, recipient: str) -> bool:
        row = await self._tx.one(
            "SELECT 1 FROM notice_link_revocations WHERE notice_id = ? AND recipient = ?", (notice_id, recipient)
        )
        return row is not None
