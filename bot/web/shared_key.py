"""The key the web links are signed with, the same for every replica and command of one
installation: a link minted by one replica (or `followup notice link`) must open on any other.

FOLLOWUP_WEB_SECRET when the operator sets it (it wins: a key kept in a secrets manager, or
rotated by hand); otherwise a random key made once, by whichever replica needs one first, and
kept in the store they share (storage/shared_secrets.py), never one per process. It moves with
`followup db copy`, so links already handed out keep opening after a move."""

from __future__ import annotations

import secrets

from bot.made_once import made_once
from bot.web.links import LinkSigner
from handlers.clock import Clock

KEY = "web_link_key"
MADE_BY = "system:web"


async def link_signer(store, clock: Clock) -> LinkSigner:
    """BadWebSecret for a FOLLOWUP_WEB_SECRET too short to use."""
    return LinkSigner.from_environment() or LinkSigner((await stored_key(store, clock)).encode())


async def stored_key(store, clock: Clock) -> str:
    """The store's key, made now if it has none; its making is audited, its value never is."""
    return await made_once(store, KEY, secrets.token_urlsafe(32), clock.now(), MADE_BY)
