"""Where a message about a subject went, in the platform's own terms, so that a later
decision edits that message in place instead of sending a new one.

A subject is "instruction:12", "notice:3", "visit:5"…; a ref is whatever the platform
needs to edit the message ("chat_id:message_id" on Telegram, "channel:ts" on Slack).
One ref per (platform, destination, subject): the message last sent there.
"""

from __future__ import annotations

from datetime import datetime

from handlers.model import Platform
from storage.codec import datetime_to_text
from storage.transaction import Transaction


class MessageRefs:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def remember(self, platform: Platform, destination: str, subject: str, ref: str, at: datetime) -> None:
        """Replaces the ref remembered before for the same destination and subject."""
        await self._tx.write(
            "INSERT INTO message_refs (platform, subject, destination, ref, remembered_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, subject, destination)"
            " DO UPDATE SET ref = excluded.ref, remembered_at = excluded.remembered_at",
            (platform.value, subject, destination, ref, datetime_to_text(at)),
        )

    async def first_of(self, platform: Platform, subject: str, destinations: list[str]) -> str | None:
        """The ref of the subject's message in the first of `destinations` that has one."""
        for destination in destinations:
            if (ref := await self.find(platform, destination, subject)) is not None:
                return ref
        return None

    async def sharing(self, platform: Platform, destination: str, ref: str) -> list[str]:
        """The subjects one message shows (several findings to a message, in a crowded chat)."""
        rows = await self._tx.all(
            "SELECT subject FROM message_refs WHERE platform = ? AND destination = ? AND ref = ? ORDER BY subject",
            (platform.value, destination, ref),
        )
        return [str(row["subject"]) for row in rows]

    async def find(self, platform: Platform, destination: str, subject: str) -> str | None:
        row = await self._tx.one(
            "SELECT ref FROM message_refs WHERE platform = ? AND subject = ? AND destination = ?",
            (platform.value, subject, destination),
        )
        return None if row is None else str(row["ref"])
