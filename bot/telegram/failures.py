"""What python-telegram-bot's errors mean for a message of the outbox.

PTB maps the Bot API's answers to exceptions: 429 with retry_after → RetryAfter (which
AIORateLimiter retries a few times itself before giving up), 400 → BadRequest, 403 →
Forbidden, 401/404 → InvalidToken (EndPointNotFound through Bot.do_api_request, which the
outbox edits with, once the bot is initialized), a 5xx, a dropped connection or anything else on the
wire → NetworkError, a client timeout → TimedOut. The description says which 400 or 403
it was; Telegram's wording is stable but not a contract, so what is not recognised here
counts as the platform refusing the message itself.
"""

from __future__ import annotations

from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from bot.outbox.failures import Failure, Permanent, Reason, Transient, describe
from bot.telegram.limits import seconds

# Lower-case fragments of Telegram's descriptions, first match wins.
_FORBIDDEN = (
    ("blocked by the user", Reason.BOT_BLOCKED),
    ("kicked", Reason.BOT_KICKED),
    ("not a member", Reason.BOT_KICKED),
    ("deactivated", Reason.ACCOUNT_INACTIVE),
)
_BAD_REQUEST = (
    ("chat not found", Reason.CHAT_NOT_FOUND),
    ("user not found", Reason.CHAT_NOT_FOUND),
    ("peer_id_invalid", Reason.CHAT_NOT_FOUND),
    ("group chat was deactivated", Reason.CHAT_NOT_FOUND),
    ("not enough rights", Reason.FORBIDDEN),
    ("have no rights", Reason.FORBIDDEN),
    ("chat_write_forbidden", Reason.FORBIDDEN),
    ("need administrator rights", Reason.FORBIDDEN),
)


def classify(error: Exception, token: str = "") -> Failure | None:
    """`token` is blanked out of the detail, which is logged and stored."""
    detail = describe(error).replace(token, "<token>") if token else describe(error)
    if isinstance(error, RetryAfter):
        return Transient(detail, seconds(error.retry_after))
    if isinstance(error, ChatMigrated):
        # A group became a supergroup under a new id: the configuration must follow.
        return Permanent(Reason.CHAT_NOT_FOUND, f"{detail} (new chat id {error.new_chat_id})")
    if isinstance(error, Forbidden):
        return Permanent(_reason(detail, _FORBIDDEN, Reason.FORBIDDEN), detail)
    if isinstance(error, (InvalidToken, EndPointNotFound)):  # our calls' endpoints exist: the token
        return Permanent(Reason.INVALID_AUTH, detail)
    if isinstance(error, BadRequest):  # before NetworkError: it is one
        return Permanent(_reason(detail, _BAD_REQUEST, Reason.REJECTED), detail)
    if isinstance(error, NetworkError):  # TimedOut, 5xx, a connection dropped or refused
        return Transient(detail)
    return None


def _reason(detail: str, table: tuple[tuple[str, Reason], ...], otherwise: Reason) -> Reason:
    text = detail.lower()
    return next((reason for fragment, reason in table if fragment in text), otherwise)
