"""Secrets the replicas of one installation share, kept in the store they share.

Made once: the first replica to need one offers a fresh value and every other, at once or
later, reads the value that won (INSERT … ON CONFLICT DO NOTHING, then read: the same on SQLite
and PostgreSQL, and race-free on both). Values never leave this repository but to the caller,
and never reach the audit trail."""

from __future__ import annotations

from datetime import datetime

from storage.codec import datetime_to_text
from storage.transaction import Transaction


class SharedSecrets:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def get_or_make(self, name: str, offered: str, now: datetime) -> tuple[str, bool]:
        """The secret called `name`, `offered` stored as it when there is none yet; and whether
        it was made now."""
        made = await self._tx.write(
            "INSERT INTO shared_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            (name, offered, datetime_to_text(now)))
        value = await self.get(name)
        if value is None:
            raise RuntimeError(f"shared secret {name!r} neither stored nor found")
        return value, made == 1

    async def get(self, name: str) -> str | None:
        """The secret called `name`, None when none was made yet."""
        row = await self._tx.one("SELECT value FROM shared_secrets WHERE name = ?", (name,))
        return None if row is None else str(row[0])
