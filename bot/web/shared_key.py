"""The key the web links are signed with, the same for every replica and command of one
installation: a link minted by one replica (or `followup notice link`) must open on any other.

FOLLOWUP_WEB_SECRET when the operator sets it (it wins: a key kept in a secrets manager, or
rotated by hand); otherwise a random key made once, by whichever replica needs one first, and
kept in the store they share (storage/shared_secrets.py), never one per process. It moves with
`followup db copy`, so links already handed out keep opening after a move."""

from __future__ import annotations

import secrets

from bot.web.links import LinkSigner
from handlers.clock import Clock
from handlers.model import Platform

KEY = "web_link_key"
MADE_BY = "system:web"


async def link_signer(store, clock: Clock) -> LinkSigner:
    """BadWebSecret for a FOLLOWUP_WEB_SECRET too short to use."""
    return LinkSigner.from_environment() or LinkSigner((await stored_key(store, clock)).encode())


async def stored_key(store, clock: Clock) -> str:
    """The store's key, made now if it has none; its making is audited, its value never is."""
    now = clock.now()
    async with store.unit_of_work() as uow:
        key, made = await uow.shared_secrets.get_or_make(KEY, secrets.token_urlsafe(32), now)
        if made:
            await uow.audit.record(actor=MADE_BY, platform=Platform.CONSOLE, at=now, entity="shared_secret",
                                   entity_id=KEY, action="made", before=None, after=None)
        await uow.commit()
    return key
