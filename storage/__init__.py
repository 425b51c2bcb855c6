"""The store behind the platform-neutral core: SQLite through aiosqlite.

Callers open a store once (`await open_store("sqlite:///data/followup.sqlite3")`) and make
every change inside a unit of work, so a state change, its audit event and the messages
it causes are committed together or not at all:

    async with store.unit_of_work() as uow:
        visit = await uow.visits.add(report, photos, posted, verdict)
        await uow.audit.record(...)
        await uow.outbox.add(message)
        await uow.commit()

Repositories take and return the domain objects of `handlers.model`; rows never leave
this package. The schema is owned by the numbered SQL files in `storage/migrations/`.
"""

from __future__ import annotations

from storage.audit import AuditEvent
from storage.errors import MigrationError, NotFound, StoreError, UpdateAlreadyHandled
from storage.inbox import InboxEntry
from storage.invites import (
    RedeemExpired,
    RedeemOk,
    RedeemResult,
    RedeemUnknown,
    RedeemUsed,
)
from storage.sqlite import SqliteStore, open_store, store_from_url
from storage.unit_of_work import UnitOfWork

__all__ = [
    "AuditEvent",
    "InboxEntry",
    "MigrationError",
    "NotFound",
    "RedeemExpired",
    "RedeemOk",
    "RedeemResult",
    "RedeemUnknown",
    "RedeemUsed",
    "SqliteStore",
    "StoreError",
    "UnitOfWork",
    "UpdateAlreadyHandled",
    "open_store",
    "store_from_url",
]
