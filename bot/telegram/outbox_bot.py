"""The Telegram client the outbox delivers with, apart from the one that answers people.

A reply to someone waiting (a tap's answer, "visit posted") is worth a few client-side retries
of a 429. An outbox delivery is not: the outbox puts that chat's message back for exactly
`retry_after` while the other chats go on, where a retry inside the send would hold a
delivery slot, and PTB's limiter would pause every request, for the whole wait. So the outbox
has its own bot with a limiter that keeps sends within Telegram's rates but never retries.
"""

from __future__ import annotations

import logging

from telegram.ext import AIORateLimiter, ExtBot

from bot.telegram.settings import TelegramEnvironment
from bot.telegram.transport import AiohttpRequest

# Chats are delivered side by side (bot/outbox/dispatcher.py); each may hold a connection.
CONNECTIONS = 16


def outbox_bot(env: TelegramEnvironment, scale: float = 1.0) -> ExtBot:
    """`scale` shortens the limiter's windows as it does the outbox's pacing (bot/outbox/pacing.py):
    a fake whose flood windows are compressed is not held to Telegram's real ones by PTB's."""
    # Without retries the limiter logs each 429 as an error with its traceback; the outbox logs
    # it once, as the warning it is, with when that chat's message goes next.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    # It never polls: its getUpdates client is the same one, not a second session (issue 17).
    request = AiohttpRequest(connection_pool_size=CONNECTIONS)
    limiter = AIORateLimiter(overall_time_period=1 / scale, group_time_period=60 / scale, max_retries=0)
    return ExtBot(env.token, base_url=env.base_url, base_file_url=env.file_base_url, request=request,
                  get_updates_request=request, rate_limiter=limiter)
