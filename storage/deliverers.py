"""The running dispatchers and the platforms each delivers (migration 0011), so that an
operator reading `followup outbox` learns that a message waits for a platform no bot runs,
rather than for a retry."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.model import Platform
from storage.codec import datetime_to_text, json_from_text, json_to_text
from storage.transaction import Transaction

# A dispatcher writes its row about once a minute; one not seen for this long has died.
GONE_AFTER = timedelta(minutes=3)


class Deliverers:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def seen(self, replica: str, platforms: list[Platform], now: datetime) -> None:
        """`replica` delivers `platforms` as of `now`; rows of dispatchers gone long ago go."""
        await self._tx.write(
            "INSERT INTO deliverers (replica, platforms, seen_at) VALUES (?1, ?2, ?3)"
            " ON CONFLICT (replica) DO UPDATE SET platforms = ?2, seen_at = ?3",
            (replica, json_to_text(sorted(p.value for p in platforms)), datetime_to_text(now)),
        )
        await self._tx.write("DELETE FROM deliverers WHERE seen_at < ?",
                             (datetime_to_text(now - GONE_AFTER * 10),))

    async def gone(self, replica: str) -> None:
        await self._tx.write("DELETE FROM deliverers WHERE replica = ?", (replica,))

    async def replicas(self) -> list[str]:
        return [row[0] for row in await self._tx.all("SELECT replica FROM deliverers")]

    async def running(self, now: datetime) -> set[Platform]:
        """The platforms some dispatcher seen lately delivers."""
        rows = await self._tx.all("SELECT platforms FROM deliverers WHERE seen_at >= ?",
                                  (datetime_to_text(now - GONE_AFTER),))
        return {Platform(value) for row in rows for value in json_from_text(row[0])}
