"""Long polling that outlives what Telegram answers `getUpdates` with.

A 409 Conflict (another process polls with this token, or a webhook is set), a 400, a 5xx or
an unreachable server are passing troubles for an operator to see in the log: polling waits,
longer each time in a row (bot/outbox/backoff.py), and tries again, while the outbox keeps
delivering. A refused token is not: nothing will work until the operator sets another, so
polling ends with `TokenRefused` and the process stops with its own exit code.

An update counts as received only once `receive` has stored it: if storing fails, the same
offset is asked for again, and Telegram sends the update again.

Updates come as the JSON Telegram sent, not as PTB's objects: they are stored as that JSON,
and read into objects once, when handled. Reading every update into objects here and back
into JSON to store it cost more than a tap's whole decision (issue 17).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.outbox.backoff import Backoff
from bot.refused import TokenRefused
from bot.telegram.limits import seconds

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_BACKOFF = Backoff(first=timedelta(seconds=1), cap=timedelta(minutes=2))


def token_refused() -> TokenRefused:
    return TokenRefused("Telegram", "TELEGRAM_BOT_TOKEN")


class Poller:
    def __init__(self, bot: Bot, receive: Callable[[list[dict]], Awaitable[None]],
                 timeout: int, backoff: Backoff = POLL_BACKOFF):
        self.bot = bot
        self.receive = receive
        self.timeout = timeout
        self.backoff = backoff
        self.offset: int | None = None  # the first update not yet stored; None before the first

    async def run(self, offset: int | None) -> None:
        """Polls from `offset` until cancelled; raises TokenRefused when the token is refused."""
        self.offset = offset
        failures = 0
        while True:
            try:
                await self._once()
            except InvalidToken:
                raise token_refused() from None
            except RetryAfter as exc:
                wait = seconds(exc.retry_after)
                log.warning("Telegram asks to wait %.0f s before polling again (offset %s)", wait, self.offset)
            except Exception as exc:  # noqa: BLE001 - polling must outlive it; logged, retried later
                failures += 1
                wait = self.backoff.delay(failures).total_seconds()
                log.error("polling Telegram failed (offset %s, failures in a row: %d): %s; trying again in %.1f s",
                          self.offset, failures, _why(exc), wait, exc_info=not isinstance(exc, TelegramError))
            else:
                failures = 0
                continue
            await asyncio.sleep(wait)

    async def _once(self) -> None:
        # Bot.get_updates less its reading into objects: the same request, its long wait added
        # to the read timeout as PTB adds it.
        asked = {"timeout": self.timeout, "allowed_updates": ALLOWED_UPDATES}
        if self.offset is not None:
            asked["offset"] = self.offset
        read_timeout = (self.bot.request.read_timeout or 0) + self.timeout
        updates = await self.bot._post("getUpdates", asked, read_timeout=read_timeout)  # noqa: SLF001
        if updates:
            await self.receive(updates)
            self.offset = updates[-1]["update_id"] + 1  # the next call confirms only stored updates


def _why(exc: Exception) -> str:
    """What the operator reads: the likely cause first, then what the server said."""
    if isinstance(exc, Conflict):
        return f"another process polls with this bot token, or a webhook is set (Telegram: {exc.message})"
    if isinstance(exc, BadRequest):
        return f"Telegram refused the request (Telegram: {exc.message})"
    if isinstance(exc, NetworkError):
        return f"Telegram unreachable or failing ({exc.message})"
    if isinstance(exc, TelegramError):
        return f"Telegram answered with an error ({type(exc).__name__}: {exc.message})"
    return f"storing the updates failed ({type(exc).__name__}: {exc})"
