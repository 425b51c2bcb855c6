"""One-time invite codes: a buyer invites a factory contact, who redeems the code once.

A code is single use: once redeemed, every later redeem (by anyone, the same person too)
is `RedeemUsed`, so a forwarded code cannot bind a second account. The caller decides what
to tell each case; the store only reports it (as handlers.model's `RedeemResult`).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from handlers.model import Platform, RedeemExpired, RedeemOk, RedeemResult, RedeemUnknown, RedeemUsed
from storage.codec import datetime_from_text, datetime_to_text
from storage.transaction import Transaction


class Invites:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def create(self, factory_id: str, created_by: str, at: datetime, expires_at: datetime) -> str:
        """A new code: 22 random URL-safe characters (A-Za-z0-9_-), which a Telegram deep
        link carries as its start parameter unchanged. `expires_at` must be after `at`."""
        code = secrets.token_urlsafe(16)
        await self._tx.write(
            "INSERT INTO invites (code, factory_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (code, factory_id, created_by, datetime_to_text(at), datetime_to_text(expires_at)),
        )
        return code

    async def redeem(self, code: str, platform: Platform, user_id: str, at: datetime) -> RedeemResult:
        """Use the code for `user_id` unless it is unknown, already used or expired (checked
        in that order: a used code says who used it, even once it has also expired). A code
        is still good at its `expires_at` instant. Safe against a concurrent redeem: SQLite's
        unit of work holds the write lock from its start, PostgreSQL's locks the code's row."""
        await self._tx.lock_rows("SELECT code FROM invites WHERE code = ?", (code,))
        row = await self._tx.one(
            "SELECT factory_id, created_by, expires_at, used_by_platform, used_by, used_at FROM invites WHERE code = ?",
            (code,),
        )
        if row is None:
            return RedeemUnknown()
        if row["used_at"] is not None:
            return RedeemUsed(Platform(row["used_by_platform"]), row["used_by"], datetime_from_text(row["used_at"]))
        expires_at = datetime_from_text(row["expires_at"])
        if at > expires_at:
            return RedeemExpired(expires_at)
        await self._tx.write(
            "UPDATE invites SET used_by_platform = ?, used_by = ?, used_at = ? WHERE code = ?",
            (platform.value, user_id, datetime_to_text(at), code),
        )
        return RedeemOk(row["factory_id"], row["created_by"])
