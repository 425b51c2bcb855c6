"""Each notice version's PDF as first rendered, so every delivery sends the same bytes."""

from __future__ import annotations

import hashlib
from datetime import datetime

from storage.codec import datetime_to_text
from storage.transaction import Transaction


class NoticePdfs:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def get(self, notice_id: int, version: int) -> bytes | None:
        row = await self._tx.one("SELECT pdf FROM notice_pdfs WHERE notice_id = ? AND version = ?",
                                 (notice_id, version))
        return None if row is None else bytes(row["pdf"])

    async def keep(self, notice_id: int, version: int, pdf: bytes, at: datetime) -> bytes:
        """Stores `pdf` unless the version has one already (another replica, or this one
        racing itself, rendered it first) and returns the stored one: the first kept wins."""
        await self._tx.write(
            "INSERT INTO notice_pdfs (notice_id, version, sha256, pdf, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (notice_id, version) DO NOTHING",
            (notice_id, version, hashlib.sha256(pdf).hexdigest(), pdf, datetime_to_text(at)),
        )
        return await self.get(notice_id, version)  # there now, in this transaction
