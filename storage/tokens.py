"""Opaque tokens behind buttons: a button's data is a short random token, and the action and
target it stands for stay here (Telegram allows only 64 bytes of callback data, and data the
client sends back must not be trusted to name an action)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime

from storage.codec import datetime_to_text
from storage.transaction import Transaction


TOKEN_BYTES = 12
# What mint() makes: URL-safe base64 of TOKEN_BYTES random bytes, 16 characters.
TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{4 * TOKEN_BYTES // 3}}}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class CallbackTokens:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def mint(self, action: str, target: int, at: datetime, fresh: Callable[[], str] = new_token) -> str:
        """The token for (action, target): the existing one if there is one, so a re-rendered
        message keeps the same buttons; otherwise a new random, URL-safe one (16 chars).
        Tokens never expire: whoever resolves one must check the action is still allowed.
        `fresh` makes a new one (the bot's keeps it out of the logs before it is written)."""
        row = await self._tx.one(
            "SELECT token FROM callback_tokens WHERE action = ? AND target = ?", (action, target)
        )
        if row is not None:
            return str(row["token"])
        # Another replica may be minting the same one: its token, committed first, is kept.
        await self._tx.write(
            "INSERT INTO callback_tokens (token, action, target, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (action, target) DO NOTHING",
            (fresh(), action, target, datetime_to_text(at)),
        )
        row = await self._tx.one(
            "SELECT token FROM callback_tokens WHERE action = ? AND target = ?", (action, target)
        )
        return str(row["token"])

    async def resolve(self, token: object) -> tuple[str, int] | None:
        """(action, target), or None for a token this store never minted. Whatever a client
        sent (any length, any characters, not even a string) is answered without an error:
        what cannot be a token is not looked up (a lone surrogate could not even be bound to
        the query)."""
        if not isinstance(token, str) or not TOKEN.fullmatch(token):
            return None
        row = await self._tx.one("SELECT action, target FROM callback_tokens WHERE token = ?", (token,))
        return None if row is None else (row["action"], row["target"])

    async def every(self) -> list[str]:
        """Every token minted: each may still be on a button in some chat."""
        return [row["token"] for row in await self._tx.all("SELECT token FROM callback_tokens")]
