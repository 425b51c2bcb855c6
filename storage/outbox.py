"""Messages the bot owes people, written in the same transaction as the change causing them.

Each destination (a platform's chat) reads its messages in order: only the oldest unsent
message of a destination is ever handed out (`claim_due`). A dispatcher claims it in a
write transaction, for a limited time, before sending, so two dispatchers on one database
never send it both; it then marks it sent, reschedules it after a transient failure, or
fails it for good. A message failed for a reason about the chat holds the messages behind
it; one failed for its own content does not.

A claim is a short lease that the dispatcher renews while the send is in flight. If the
process dies between sending and marking sent, its successor releases the claim at once (see
`claimants` and `release`), or, where it cannot tell the claimant is dead (another machine),
the lease runs out; the message is sent again: that one message may arrive twice, never any
other, and none is lost.

Several replicas on PostgreSQL claim without the store's global lock (docs/claims.md): a
claim takes its destination's lock only if nobody holds it (`try_lock`, SKIP LOCKED's
counterpart: a busy chat is passed over, never waited for) and sets the claim only if the
message is still the due head of its queue. Adding a message holds the same lock shared, so
a claim never sees a later message of a chat while an earlier one is still uncommitted: ids
come from a sequence, and without it two transactions could commit them out of order.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Container
from datetime import datetime
from typing import Any

from handlers.model import OutgoingMessage, Platform
from handlers.model.message_kinds import MessageKind
from storage.codec import (
    datetime_to_text,
    json_from_text,
    json_to_text,
    optional_datetime_from_text,
)
from storage.errors import NotFound
from storage.transaction import Transaction

COLUMNS = "id, platform, destination, kind, payload, locale, timezone, sent_at, attempts"
DELIVERY_COLUMNS = (
    "next_attempt_at, retrying_since, failed_at, failure_reason, holds_destination, claimed_by, claimed_until,"
    " parts, last_error"
)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A message this dispatcher may send now, and the parts of it already delivered."""

    message: OutgoingMessage
    parts: dict[str, Any]
    retrying_since: datetime | None


@dataclasses.dataclass(frozen=True)
class Owed:
    """An unsent message as an operator sees it (`followup outbox`)."""

    message: OutgoingMessage
    state: str  # pending, sending, retrying, held, failed
    next_attempt_at: datetime | None
    failed_at: datetime | None
    failure_reason: str | None
    last_error: str | None
    behind: int | None  # held: the failed message it waits behind
    alerts: tuple[int, ...] = ()  # failed: the alerts telling the buyer about it
    claimed_by: str | None = None  # sending: who


class Outbox:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(self, msg: OutgoingMessage) -> OutgoingMessage:
        if msg.id is not None:
            raise ValueError(f"message already has id {msg.id}; add each message once")
        await self._tx.lock(queue_key(msg.platform, msg.destination), shared=True)
        message_id = await self._tx.insert(
            "INSERT INTO outbox (platform, destination, kind, payload, locale, timezone, sent_at, attempts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                msg.platform.value,
                msg.destination,
                msg.kind,
                json_to_text(msg.payload),
                msg.locale,
                msg.timezone,
                None if msg.sent_at is None else datetime_to_text(msg.sent_at),
                msg.attempts,
            ),
        )
        return dataclasses.replace(msg, id=message_id)

    async def get(self, message_id: int) -> OutgoingMessage | None:
        row = await self._tx.one(f"SELECT {COLUMNS} FROM outbox WHERE id = ?", (message_id,))
        return None if row is None else _message(row)

    async def pending(self, platform: Platform | None = None, limit: int = 100) -> list[OutgoingMessage]:
        """Unsent messages not failed for good, oldest first: due now, waiting for a retry, or
        waiting behind an earlier message to the same destination."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
            " AND (CAST(?1 AS TEXT) IS NULL OR platform = ?1) ORDER BY id LIMIT ?2",
            (None if platform is None else platform.value, limit),
        )
        return [_message(row) for row in rows]

    async def on_its_way(self, platform: Platform, destination: str, kind: str,
                         since: datetime) -> list[OutgoingMessage]:
        """The messages of `kind` to one destination still to be delivered (not failed for
        good) or delivered at `since` or later, oldest first: what a repeated request would
        only send again."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM outbox WHERE platform = ? AND destination = ? AND kind = ? AND failed_at IS NULL"
            " AND (sent_at IS NULL OR sent_at >= ?) ORDER BY id",
            (platform.value, destination, kind, datetime_to_text(since)),
        )
        return [_message(row) for row in rows]

    async def last_behind(self, message: OutgoingMessage, kinds: list[str], visit_id: int) -> int | None:
        """The last message of `kinds` about the visit waiting behind `message` in its
        destination's queue (so delivered after it), None when none does: its payload names
        the visit, or an instruction or notice of it."""
        row = await self._tx.one(
            "SELECT MAX(o.id) FROM outbox o WHERE o.platform = ?1 AND o.destination = ?2 AND o.id > ?3"
            " AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.kind IN (SELECT value FROM json_each(?4))"
            " AND CAST(?5 AS INTEGER) IN (CAST(json_extract(o.payload, '$.visit_id') AS INTEGER),"
            " (SELECT i.visit_id FROM instructions i"
            " WHERE i.id = CAST(json_extract(o.payload, '$.instruction_id') AS INTEGER)),"
            " (SELECT n.visit_id FROM notices n WHERE n.id = CAST(json_extract(o.payload, '$.notice_id') AS INTEGER)))",
            (message.platform.value, message.destination, message.id, json_to_text(kinds), visit_id),
        )
        return None if row is None or row[0] is None else int(row[0])

    async def repeated_later(self, message: OutgoingMessage) -> bool:
        """Whether the same message (its kind and payload) waits behind `message` in its
        destination's queue, so is delivered after it."""
        row = await self._tx.one(
            "SELECT 1 FROM outbox WHERE platform = ? AND destination = ? AND id > ? AND sent_at IS NULL"
            " AND failed_at IS NULL AND kind = ? AND payload = ? LIMIT 1",
            (message.platform.value, message.destination, message.id, message.kind, json_to_text(message.payload)),
        )
        return row is not None

    async def counts(self) -> dict[Platform, int]:
        """Unsent messages not failed for good, by platform."""
        rows = await self._tx.all(
            "SELECT platform, COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY platform")
        return {Platform(row[0]): row[1] for row in rows}

    async def due(self, platforms: list[Platform], now: datetime) -> list[OutgoingMessage]:
        """The message at the head of each destination's queue that may be sent now: not
        failed, its retry time come, nobody's claim on it running. Oldest first."""
        return [_message(row) for row in await self._due_rows(platforms, now)]

    async def claim_next(
        self, platforms: list[Platform], now: datetime, claimant: str, until: datetime,
        skip: Container[tuple[Platform, str]] = frozenset(),
    ) -> Claim | None:
        """Claims the oldest due message, outside the `skip` destinations, for `claimant`
        until `until` (`claim_due` of one)."""
        claims = await self.claim_due(platforms, now, claimant, until, skip, 1)
        return claims[0] if claims else None

    async def claim_due(
        self, platforms: list[Platform], now: datetime, claimant: str, until: datetime,
        skip: Container[tuple[Platform, str]] = frozenset(), up_to: int = 1,
    ) -> list[Claim]:
        """Claims the oldest due messages, up to `up_to`, one per destination outside the
        `skip` destinations, for `claimant` until `until`, from one read of the queues' heads:
        claimed one at a time, each claim read them all again, and a round's last found
        nothing, two reads of every queued row per delivery (a burst of decisions queues a
        hundred). Run it in a unit of work of claims only (a round claims its free slots in
        one) and commit at once. On SQLite the write lock (BEGIN IMMEDIATE) makes two replicas'
        claims exclusive; on PostgreSQL the destination's lock, taken only if free, and a claim
        set only on a message still due at the head of its queue."""
        claims: list[Claim] = []
        for candidate in await self._due_rows(platforms, now):
            if len(claims) >= up_to:
                break
            where = (Platform(candidate["platform"]), candidate["destination"])
            if where in skip or not await self._tx.try_lock(queue_key(*where)):
                continue
            row = await self._tx.one(
                "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2 WHERE id = ?3 AND sent_at IS NULL"
                " AND failed_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?4)"
                " AND (claimed_until IS NULL OR claimed_until <= ?4) AND NOT EXISTS (SELECT 1 FROM outbox AS e"
                " WHERE e.platform = outbox.platform AND e.destination = outbox.destination AND e.id < outbox.id"
                " AND e.sent_at IS NULL AND (e.failed_at IS NULL OR e.holds_destination = 1))"
                f" RETURNING {COLUMNS}, parts, retrying_since",
                (claimant, datetime_to_text(until), candidate["id"], datetime_to_text(now)),
            )
            if row is not None:  # else another replica claimed, sent or failed it meanwhile
                claims.append(Claim(_message(row), json_from_text(row["parts"]),
                                    optional_datetime_from_text(row["retrying_since"])))
        return claims

    async def _due_rows(self, platforms: list[Platform], now: datetime) -> list[sqlite3.Row]:
        """The heads of the destinations' queues that may go now. A head is an unsent message
        with no earlier one of its destination still queued (a message failed for its own
        content has left the queue; one failed for a reason about the chat stays at its head
        and holds the rest): one probe of outbox_queue per unsent row, where a window function
        numbered every row of the queue, sorted, first (169 -> 62 us with one chat's 104
        decisions queued; the dispatcher runs it for every claim, on the event loop,
        bot/outbox/dispatcher.py)."""
        return await self._tx.all(
            f"SELECT {COLUMNS}, {DELIVERY_COLUMNS} FROM outbox AS o WHERE sent_at IS NULL AND failed_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS e WHERE e.platform = o.platform AND e.destination = o.destination"
            " AND e.id < o.id AND e.sent_at IS NULL AND (e.failed_at IS NULL OR e.holds_destination = 1))"
            " AND platform IN (SELECT value FROM json_each(?1))"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)"
            " AND (claimed_until IS NULL OR claimed_until <= ?2) ORDER BY id",
            (json_to_text([p.value for p in platforms]), datetime_to_text(now)),
        )

    async def renew(self, message_id: int, claimant: str, until: datetime) -> bool:
        """Extends `claimant`'s claim on an unsent message; False when it holds it no more."""
        return await self._tx.write(
            "UPDATE outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
            (datetime_to_text(until), message_id, claimant),
        ) > 0

    async def claimants(self, now: datetime) -> list[str]:
        """Who holds a claim on an unsent message that has not run out."""
        rows = await self._tx.all(
            "SELECT DISTINCT claimed_by FROM outbox WHERE sent_at IS NULL AND claimed_until > ?",
            (datetime_to_text(now),),
        )
        return [row[0] for row in rows]

    async def release(self, claimant: str) -> int:
        """Lets go of every claim of `claimant` (a process known to be dead); returns how many.
        The messages become due at once, their delivered parts still recorded."""
        return await self._tx.write(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND sent_at IS NULL",
            (claimant,),
        )

    async def record_parts(self, message_id: int, parts: dict[str, Any]) -> None:
        """The parts of the message delivered so far (see `Claim.parts`)."""
        await self._update("UPDATE outbox SET parts = ? WHERE id = ?", (json_to_text(parts), message_id), message_id)

    async def mark_sent(self, message_id: int, at: datetime, platform_ref: str | None = None) -> None:
        """`platform_ref` is the platform's id for the delivered message (to edit it later)."""
        await self._update(
            "UPDATE outbox SET sent_at = ?, platform_ref = ?, next_attempt_at = NULL, retrying_since = NULL,"
            " claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (datetime_to_text(at), platform_ref, message_id),
            message_id,
        )

    async def reschedule(self, message_id: int, now: datetime, next_attempt_at: datetime, error: str) -> None:
        """A transient failure: try again at `next_attempt_at`; the claim is let go."""
        await self._update(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            " retrying_since = COALESCE(retrying_since, ?), claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (error, datetime_to_text(next_attempt_at), datetime_to_text(now), message_id),
            message_id,
        )

    async def fail(self, message_id: int, at: datetime, reason: str, error: str, holds_destination: bool) -> None:
        """A permanent failure: never tried again unless `requeue`d."""
        await self._update(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ?, failure_reason = ?,"
            " holds_destination = ?, next_attempt_at = NULL, claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (error, datetime_to_text(at), reason, int(holds_destination), message_id),
            message_id,
        )

    async def requeue(self, message_id: int) -> None:
        """Due again at once, as if new (the parts already delivered stay delivered)."""
        await self._update(
            "UPDATE outbox SET attempts = 0, failed_at = NULL, failure_reason = NULL, holds_destination = 0,"
            " next_attempt_at = NULL, retrying_since = NULL WHERE id = ? AND sent_at IS NULL",
            (message_id,),
            message_id,
        )

    async def owed(self, now: datetime, limit: int = 500, only: int | None = None) -> list[Owed]:
        """Every unsent message (or `only` that one), failed ones included, oldest first,
        with its state."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS}, {DELIVERY_COLUMNS}, (SELECT h.id FROM outbox h WHERE h.sent_at IS NULL"
            " AND h.holds_destination = 1 AND h.platform = o.platform AND h.destination = o.destination"
            " AND h.id < o.id ORDER BY h.id LIMIT 1) AS behind,"
            " (SELECT COALESCE(json_group_array(a.id), '[]') FROM outbox a WHERE a.kind = ?3"
            " AND a.id > o.id AND CAST(json_extract(a.payload, '$.outbox_id') AS INTEGER) = o.id) AS alerts"
            " FROM outbox o WHERE sent_at IS NULL AND (CAST(?1 AS INTEGER) IS NULL OR id = ?1) ORDER BY id LIMIT ?2",
            (only, limit, MessageKind.DELIVERY_FAILED),
        )
        return [_owed(row, datetime_to_text(now)) for row in rows]

    async def _update(self, sql: str, params: tuple[object, ...], message_id: int) -> None:
        if await self._tx.write(sql, params) == 0:
            raise NotFound("outgoing message", message_id)


def queue_key(platform: Platform, destination: str) -> str:
    """The lock of one destination's queue (see the module's docstring)."""
    return f"outbox:{platform.value}:{destination}"


def _message(row: sqlite3.Row) -> OutgoingMessage:
    return OutgoingMessage(
        platform=Platform(row["platform"]),
        destination=row["destination"],
        kind=row["kind"],
        payload=json_from_text(row["payload"]),
        locale=row["locale"],
        timezone=row["timezone"],
        id=row["id"],
        sent_at=optional_datetime_from_text(row["sent_at"]),
        attempts=row["attempts"],
    )


def _owed(row: sqlite3.Row, now: str) -> Owed:
    if row["failed_at"] is not None:
        state = "failed"
    elif row["behind"] is not None:
        state = "held"
    elif row["claimed_until"] is not None and row["claimed_until"] > now:
        state = "sending"
    elif row["next_attempt_at"] is not None and row["next_attempt_at"] > now:
        state = "retrying"
    else:
        state = "pending"
    return Owed(
        message=_message(row),
        state=state,
        next_attempt_at=optional_datetime_from_text(row["next_attempt_at"]),
        failed_at=optional_datetime_from_text(row["failed_at"]),
        failure_reason=row["failure_reason"],
        last_error=row["last_error"],
        behind=row["behind"],
        alerts=tuple(sorted(json_from_text(row["alerts"]))),
        claimed_by=row["claimed_by"] if state == "sending" else None,
    )
