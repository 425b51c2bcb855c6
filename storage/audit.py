"""The audit trail: who changed what, when and from where, written with the change itself.

Who is the person's key (handlers.model.Identity) and, for someone acting on a chat
platform, their user id there: a name can be shared or chosen freely, an account cannot.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from handlers.model import Platform
from storage.codec import (
    datetime_from_text,
    datetime_to_text,
    optional_json_from_text,
    optional_json_to_text,
)
from storage.transaction import Transaction

Snapshot = dict | str | None


@dataclass(frozen=True)
class AuditEvent:
    actor: str
    platform: Platform
    at: datetime
    entity: str
    entity_id: str  # always text: ids of any entity share one column
    action: str
    before: Snapshot
    after: Snapshot
    actor_user_id: str | None = None


class AuditLog:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def record(
        self,
        *,
        actor: str,
        platform: Platform,
        at: datetime,
        entity: str,
        entity_id: str | int,
        action: str,
        before: Snapshot,
        after: Snapshot,
        actor_user_id: str | None = None,
    ) -> None:
        await self._tx.write(
            "INSERT INTO audit_events (actor, actor_user_id, platform, at, entity, entity_id, action, before, after)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                actor,
                actor_user_id,
                platform.value,
                datetime_to_text(at),
                entity,
                str(entity_id),
                action,
                optional_json_to_text(before),
                optional_json_to_text(after),
            ),
        )

    async def for_entity(self, entity: str, entity_id: str | int) -> list[AuditEvent]:
        """Oldest first, in the order they were recorded."""
        rows = await self._tx.all(
            "SELECT actor, actor_user_id, platform, at, entity, entity_id, action, before, after FROM audit_events"
            " WHERE entity = ? AND entity_id = ? ORDER BY id",
            (entity, str(entity_id)),
        )
        return [_event(row) for row in rows]


def _event(row: sqlite3.Row) -> AuditEvent:
    return AuditEvent(
        actor=row["actor"],
        platform=Platform(row["platform"]),
        at=datetime_from_text(row["at"]),
        entity=row["entity"],
        entity_id=row["entity_id"],
        action=row["action"],
        before=optional_json_from_text(row["before"]),
        after=optional_json_from_text(row["after"]),
        actor_user_id=row["actor_user_id"],
    )
