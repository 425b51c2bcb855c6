"""Messages the bot owes people, written in the same transaction as the change causing them.

A sender delivers `pending()` messages after commit and marks them sent. If the process
dies in between, the rows are still pending on restart: a message may be sent twice
(at-least-once), but never lost.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime

from handlers.model import OutgoingMessage, Platform
from storage.codec import (
    datetime_to_text,
    json_from_text,
    json_to_text,
    optional_datetime_from_text,
)
from storage.errors import NotFound
from storage.transaction import Transaction

COLUMNS = "id, platform, destination, kind, payload, locale, timezone, sent_at, attempts"


class Outbox:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(self, msg: OutgoingMessage) -> OutgoingMessage:
        if msg.id is not None:
            raise ValueError(f"message already has id {msg.id}; add each message once")
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

    async def pending(self, platform: Platform | None = None, limit: int = 100) -> list[OutgoingMessage]:
        """Unsent messages, oldest first (including ones that failed before: the sender decides
        when to give up, from `attempts`)."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM outbox WHERE sent_at IS NULL AND (?1 IS NULL OR platform = ?1)"
            " ORDER BY id LIMIT ?2",
            (None if platform is None else platform.value, limit),
        )
        return [_message(row) for row in rows]

    async def mark_sent(self, message_id: int, at: datetime, platform_ref: str | None = None) -> None:
        """`platform_ref` is the platform's id for the delivered message (to edit it later)."""
        await self._update(
            "UPDATE outbox SET sent_at = ?, platform_ref = ? WHERE id = ?",
            (datetime_to_text(at), platform_ref, message_id),
            message_id,
        )

    async def record_failure(self, message_id: int, error: str) -> None:
        await self._update(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
            (error, message_id),
            message_id,
        )

    async def _update(self, sql: str, params: tuple[object, ...], message_id: int) -> None:
        if await self._tx.write(sql, params) == 0:
            raise NotFound("outgoing message", message_id)


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
