"""What a chat runtime stored before its last stop but never handled, handed back at start,
oldest first, however many there are: read a page at a time, since handling one may take a
while and a unit of work must not be held meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator

from handlers.model import Platform
from storage.inbox import InboxEntry

PAGE = 100


async def waiting(store, platform: Platform, page: int = PAGE) -> AsyncIterator[InboxEntry]:
    after = None
    while True:
        async with store.unit_of_work() as uow:
            entries = await uow.inbox.unhandled(platform, after=after, limit=page)
        for entry in entries:
            yield entry
        if len(entries) < page:
            return
        after = entries[-1].update_id
