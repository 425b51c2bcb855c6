"""Keys of chat updates already handled, so a redelivered update is a no-op.

Remember the key in the same unit of work as the update's effects: then either both
are committed or neither, and a redelivery finds the key exactly when the effects exist.
"""

from __future__ import annotations

from datetime import datetime

from storage.codec import datetime_to_text, json_from_text, json_to_text
from storage.errors import UpdateAlreadyHandled
from storage.transaction import Transaction

KEPT_AT_ONCE = 300  # three parameters each: well under SQLite's limit on a statement's parameters


class HandledUpdates:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def result_of(self, key: str) -> dict | None:
        """What handling the update produced, or None if it was never handled."""
        row = await self._tx.one("SELECT result FROM handled_updates WHERE key = ?", (key,))
        return None if row is None else json_from_text(row["result"])

    async def remember(self, key: str, result: dict, at: datetime) -> None:
        changed = await self._tx.write(
            "INSERT INTO handled_updates (key, result, handled_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            (key, json_to_text(result), datetime_to_text(at)),
        )
        if changed == 0:
            raise UpdateAlreadyHandled(key)

    async def keep_all(self, results: dict[str, dict], at: datetime) -> None:
        """Many keys at once (repeats answered from a read, handlers/bus.py), each unless kept
        already: the first answer stands."""
        rows = list(results.items())
        for start in range(0, len(rows), KEPT_AT_ONCE):
            chunk = rows[start:start + KEPT_AT_ONCE]
            await self._tx.write(
                "INSERT INTO handled_updates (key, result, handled_at) VALUES "
                + ", ".join("(?, ?, ?)" for _ in chunk) + " ON CONFLICT (key) DO NOTHING",
                [value for key, result in chunk for value in (key, json_to_text(result), datetime_to_text(at))],
            )

    async def prune(self, before: datetime) -> int:
        """Forgets keys of updates handled before `before`, which no platform redelivers any
        more; returns how many. A key is kept while an update received before it is still
        waiting in the inbox: handling that one at the next start must find the key if it was
        acted on already (a crash between its effects and its inbox mark)."""
        return await self._tx.write(  # no two-argument MIN: PostgreSQL has none (LEAST), SQLite no LEAST
            "DELETE FROM handled_updates WHERE handled_at < ? AND NOT EXISTS (SELECT 1 FROM inbox"
            " WHERE handled_at IS NULL AND quarantined_at IS NULL AND received_at <= handled_updates.handled_at)",
            (datetime_to_text(before),),
        )
