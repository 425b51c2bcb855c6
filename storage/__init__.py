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

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

# Each name is imported from its module when first asked for: a process that only keeps photos
# (storage.media, `visit post`'s child) need not import aiosqlite, asyncio and the repositories.
_FROM = {
    "AuditEvent": "storage.audit",
    "InboxEntry": "storage.inbox",
    "MigrationError": "storage.errors",
    "NotFound": "storage.errors",
    "RedeemExpired": "storage.invites",
    "RedeemOk": "storage.invites",
    "RedeemResult": "storage.invites",
    "RedeemUnknown": "storage.invites",
    "RedeemUsed": "storage.invites",
    "SqliteStore": "storage.sqlite",
    "StoreError": "storage.errors",
    "UnitOfWork": "storage.unit_of_work",
    "UpdateAlreadyHandled": "storage.errors",
    "open_store": "storage.sqlite",
    "store_from_url": "storage.sqlite",
}

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


def __getattr__(name: str) -> object:
    if name not in _FROM:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    return getattr(importlib.import_module(_FROM[name]), name)
