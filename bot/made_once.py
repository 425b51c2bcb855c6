"""A value made once per installation and kept in the store every replica shares (the web
links' key, the installation id): whichever replica needs it first makes it, the others read
the one that won (storage/shared_secrets.py). Its making is audited, its value never is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from handlers.model import Platform


async def made_once(store, name: str, offered: str, now: datetime, made_by: str,
                    on_made: Callable[[str], None] = lambda _: None) -> str:
    """The store's value called `name`, `offered` kept as it if there is none yet; `on_made`
    is told a value made now before it is committed, so no other replica sees it earlier."""
    async with store.unit_of_work() as uow:
        value, made = await uow.shared_secrets.get_or_make(name, offered, now)
        if made:
            await uow.audit.record(actor=made_by, platform=Platform.CONSOLE, at=now, entity="shared_secret",
                                   entity_id=name, action="made", before=None, after=None)
            on_made(value)
        await uow.commit()
    return value
