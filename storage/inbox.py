"""Raw chat updates, kept from the moment they arrive until they are handled.

An adapter adds an update and commits BEFORE confirming it to the platform (for Telegram:
before asking for updates past it). A crash after that loses nothing: the update is still
`unhandled()` on restart. Handle it, then mark it handled: with its effects, or later and
many at once when handling it again changes nothing, its effects being remembered under its
key (bot/chat/handled_marks.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from handlers.model import Platform
from storage.codec import (
    datetime_from_text,
    datetime_to_text,
    json_from_text,
    json_to_text,
    optional_datetime_from_text,
)
from storage.errors import NotFound
from storage.transaction import Transaction

MARKED_AT_ONCE = 500  # well under SQLite's limit on a statement's parameters
COLUMNS = "platform, update_id, payload, received_at, handled_at, quarantined_at, quarantine_reason"


@dataclass(frozen=True)
class InboxEntry:
    platform: Platform
    update_id: int
    payload: dict
    received_at: datetime
    handled_at: datetime | None
    quarantined_at: datetime | None = None
    quarantine_reason: str | None = None


class Inbox:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(self, platform: Platform, update_id: int, payload: dict, at: datetime) -> bool:
        """False if the update is already here: platforms redeliver, and that is no error.
        The first copy is kept, handled or not."""
        changed = await self._tx.write(
            "INSERT INTO inbox (platform, update_id, payload, received_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (platform, update_id) DO NOTHING",
            (platform.value, update_id, json_to_text(payload), datetime_to_text(at)),
        )
        return changed == 1

    async def add_keyed(self, platform: Platform, key: str, payload: dict, at: datetime) -> int | None:
        """Stores a request that its platform numbers in no order (Slack): it gets the next
        number, and `payload` must carry `key`, which tells a redelivery of it (None then: the
        first copy is kept, handled or not)."""
        if payload.get("key") != key:
            raise ValueError("the payload must carry the request's key")
        # The next number is read, then written: two requests numbered at once would get the
        # same one, and the second be taken for a redelivery. The platform's lock orders them.
        await self._tx.lock(f"inbox-number:{platform.value}")
        row = await self._tx.one(
            "INSERT INTO inbox (platform, update_id, payload, received_at)"
            " SELECT ?, COALESCE(MAX(update_id), 0) + 1, ?, ? FROM inbox WHERE platform = ?"
            " ON CONFLICT DO NOTHING RETURNING update_id",
            (platform.value, json_to_text(payload), datetime_to_text(at), platform.value),
        )
        return None if row is None else row["update_id"]

    async def unhandled(self, platform: Platform, after: int | None = None, limit: int = 100) -> list[InboxEntry]:
        """Oldest first, from the one after `after`: the platform's update ids are its order of
        arrival. Quarantined updates are not among them."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM inbox WHERE platform = ? AND handled_at IS NULL"
            " AND quarantined_at IS NULL AND update_id > ? ORDER BY update_id LIMIT ?",
            (platform.value, -1 if after is None else after, limit),
        )
        return [_entry(row) for row in rows]

    async def quarantine(self, platform: Platform, update_id: int, at: datetime, reason: str) -> None:
        """Sets aside an update that cannot be handled: kept, never replayed, listed by
        `quarantined()` for an operator."""
        changed = await self._tx.write(
            "UPDATE inbox SET quarantined_at = ?, quarantine_reason = ? WHERE platform = ? AND update_id = ?",
            (datetime_to_text(at), reason[:500], platform.value, update_id),
        )
        if changed == 0:
            raise NotFound("inbox update", f"{platform.value}:{update_id}")

    async def quarantined(self) -> list[InboxEntry]:
        """Every update set aside, on every platform, oldest first."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM inbox WHERE quarantined_at IS NOT NULL ORDER BY quarantined_at, platform, update_id"
        )
        return [_entry(row) for row in rows]

    async def mark_handled(self, platform: Platform, update_id: int, at: datetime) -> None:
        await self.mark_all_handled(platform, [update_id], at)

    async def mark_all_handled(self, platform: Platform, update_ids: list[int], at: datetime) -> None:
        """Many at once, so that marking what was handled meanwhile costs one transaction."""
        wanted = sorted(set(update_ids))
        for start in range(0, len(wanted), MARKED_AT_ONCE):
            chunk = wanted[start:start + MARKED_AT_ONCE]
            changed = await self._tx.write(
                f"UPDATE inbox SET handled_at = ? WHERE platform = ? AND update_id IN ({', '.join('?' * len(chunk))})",
                (datetime_to_text(at), platform.value, *chunk),
            )
            if changed != len(chunk):
                raise NotFound("inbox update", f"{platform.value}:{chunk}")

    async def prune(self, before: datetime) -> dict[Platform, int]:
        """Forgets updates handled before `before`, how many per platform. Never one not yet
        handled (it is still to be acted on) or set aside (an operator has yet to see it), and
        never a platform's newest: `next_offset` and Slack's numbering count on from it."""
        rows = await self._tx.all(
            "DELETE FROM inbox WHERE handled_at IS NOT NULL AND handled_at < ? AND quarantined_at IS NULL"
            " AND update_id < (SELECT MAX(newest.update_id) FROM inbox AS newest WHERE newest.platform = inbox.platform)"
            " RETURNING platform",
            (datetime_to_text(before),),
        )
        pruned: dict[Platform, int] = {}
        for row in rows:
            platform = Platform(row["platform"])
            pruned[platform] = pruned.get(platform, 0) + 1
        return pruned

    async def next_offset(self, platform: Platform) -> int | None:
        """The first update id not yet received (Telegram's getUpdates offset), or None when
        nothing was ever received. Handled or not: an unhandled update is already safe here."""
        row = await self._tx.one("SELECT MAX(update_id) FROM inbox WHERE platform = ?", (platform.value,))
        return None if row is None or row[0] is None else int(row[0]) + 1


def _entry(row: sqlite3.Row) -> InboxEntry:
    return InboxEntry(
        platform=Platform(row["platform"]),
        update_id=row["update_id"],
        payload=json_from_text(row["payload"]),
        received_at=datetime_from_text(row["received_at"]),
        handled_at=optional_datetime_from_text(row["handled_at"]),
        quarantined_at=optional_datetime_from_text(row["quarantined_at"]),
        quarantine_reason=row["quarantine_reason"],
    )
