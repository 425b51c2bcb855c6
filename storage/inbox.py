"""Raw chat updates, kept from the moment they arrive until they are handled.

An adapter adds an update and commits BEFORE confirming it to the platform (for Telegram:
before asking for updates past it). A crash after that loses nothing: the update is still
`unhandled()` on restart. Handle it, then mark it handled: with its effects, or later and
many at once when handling it again changes nothing, its effects being remembered under its
key (bot/chat/handled_marks.py).

Several replicas share one inbox: each stored update is held by the replica that stored it,
for a lease it renews while the update waits or is being handled (`Hold`, `renew`). An update
whose lease has run out, or whose holder is known to be dead, is `adopt`ed by a survivor;
marking it handled lets go of it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
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
ADDED_AT_ONCE = 100  # six parameters a row: under SQLite's limit too
COLUMNS = "platform, update_id, payload, received_at, handled_at, quarantined_at, quarantine_reason"


@dataclass(frozen=True)
class Hold:
    """Who holds an update (a replica, as bot/outbox/replica.py names it), and until when."""

    claimant: str
    until: datetime


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

    async def add(self, platform: Platform, update_id: int, payload: dict, at: datetime,
                  hold: Hold | None = None) -> bool:
        """False if the update is already here: platforms redeliver, and that is no error.
        The first copy is kept, handled or not. `hold`: who is about to handle it (None: any
        replica may adopt it at once)."""
        return update_id in await self.add_all(platform, {update_id: payload}, at, hold)

    async def add_all(self, platform: Platform, payloads: dict[int, dict], at: datetime,
                      hold: Hold | None = None) -> set[int]:
        """`add` for a polled batch (update id -> payload), in one statement per chunk: the ids
        not here before. A statement per update put a trip to the store's thread on every tap
        (issue 17)."""
        added: set[int] = set()
        rows = list(payloads.items())
        for start in range(0, len(rows), ADDED_AT_ONCE):
            chunk = rows[start:start + ADDED_AT_ONCE]
            values = [value for update_id, payload in chunk
                      for value in (platform.value, update_id, json_to_text(payload), datetime_to_text(at),
                                    *_held(hold))]
            inserted = await self._tx.all(
                "INSERT INTO inbox (platform, update_id, payload, received_at, claimed_by, claimed_until) VALUES "
                + ", ".join("(?, ?, ?, ?, ?, ?)" for _ in chunk)
                + " ON CONFLICT (platform, update_id) DO NOTHING RETURNING update_id",
                values,
            )
            added.update(row[0] for row in inserted)
        return added

    async def add_keyed(self, platform: Platform, key: str, payload: dict, at: datetime,
                        hold: Hold | None = None) -> int | None:
        """Stores a request that its platform numbers in no order (Slack): it gets the next
        number, and `payload` must carry `key`, which tells a redelivery of it (None then: the
        first copy is kept, handled or not)."""
        if payload.get("key") != key:
            raise ValueError("the payload must carry the request's key")
        # The next number is read, then written: two requests numbered at once would get the
        # same one, and the second be taken for a redelivery. The platform's lock orders them.
        await self._tx.lock(f"inbox-number:{platform.value}")
        row = await self._tx.one(
            "INSERT INTO inbox (platform, update_id, payload, received_at, claimed_by, claimed_until)"
            " SELECT ?, COALESCE(MAX(update_id), 0) + 1, ?, ?, ?, ? FROM inbox WHERE platform = ?"
            " ON CONFLICT DO NOTHING RETURNING update_id",
            (platform.value, json_to_text(payload), datetime_to_text(at), *_held(hold), platform.value),
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

    async def holders(self, platform: Platform, now: datetime) -> list[str]:
        """Who holds an unhandled update of `platform` for a lease still running."""
        rows = await self._tx.all(
            "SELECT DISTINCT claimed_by FROM inbox WHERE platform = ? AND handled_at IS NULL"
            " AND quarantined_at IS NULL AND claimed_until > ?",
            (platform.value, datetime_to_text(now)),
        )
        return [row[0] for row in rows]

    async def adopt(self, platform: Platform, now: datetime, hold: Hold, dead: Sequence[str] = (),
                    limit: int = 100) -> list[InboxEntry]:
        """Takes for `hold` the oldest unhandled updates nobody holds: no lease, a lease run
        out by `now`, or a holder among `dead`; oldest first, at most `limit`. On PostgreSQL
        the rows another replica is taking or marking at this moment are passed over."""
        free = await self._tx.free_rows(
            "SELECT update_id FROM inbox WHERE platform = ?1 AND handled_at IS NULL AND quarantined_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until <= ?2 OR claimed_by IN (SELECT value FROM json_each(?3)))"
            " ORDER BY update_id LIMIT ?4",
            (platform.value, datetime_to_text(now), json_to_text(list(dead)), limit),
        )
        if not free:
            return []
        ids = [row[0] for row in free]
        rows = await self._tx.all(
            f"UPDATE inbox SET claimed_by = ?, claimed_until = ? WHERE platform = ?"
            f" AND update_id IN ({', '.join('?' * len(ids))}) RETURNING {COLUMNS}",
            (*_held(hold), platform.value, *ids),
        )
        return sorted((_entry(row) for row in rows), key=lambda entry: entry.update_id)

    async def renew(self, platform: Platform, update_ids: list[int], hold: Hold) -> None:
        """Extends `hold`'s lease on those of `update_ids` it still holds, unhandled."""
        for chunk in _chunks(update_ids):
            await self._tx.write(
                "UPDATE inbox SET claimed_until = ? WHERE platform = ? AND claimed_by = ? AND handled_at IS NULL"
                f" AND update_id IN ({', '.join('?' * len(chunk))})",
                (datetime_to_text(hold.until), platform.value, hold.claimant, *chunk),
            )

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
        for chunk in _chunks(update_ids):
            changed = await self._tx.write(
                "UPDATE inbox SET handled_at = ?, claimed_by = NULL, claimed_until = NULL"
                f" WHERE platform = ? AND update_id IN ({', '.join('?' * len(chunk))})",
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


def _chunks(update_ids: list[int]) -> list[list[int]]:
    """The ids in order, in as many statements as SQLite's limit on parameters asks."""
    wanted = sorted(set(update_ids))
    return [wanted[start:start + MARKED_AT_ONCE] for start in range(0, len(wanted), MARKED_AT_ONCE)]


def _held(hold: Hold | None) -> tuple[str | None, str | None]:
    return (None, None) if hold is None else (hold.claimant, datetime_to_text(hold.until))


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
