"""Why a delivery failed, in words the dispatcher understands whatever the platform.

Each adapter turns its client library's exceptions into one of these (the Telegram and Slack
packages know their own errors; the dispatcher knows none of them): a `Transient` failure is
tried again later, a `Permanent` one is not, until an operator has fixed its cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Why a message can never be delivered as things stand. The words shown to the buyer
    are in messages/wording.py under the same codes."""

    CHAT_NOT_FOUND = "chat_not_found"
    BOT_BLOCKED = "bot_blocked"
    BOT_KICKED = "bot_kicked"
    FORBIDDEN = "forbidden"
    CHANNEL_ARCHIVED = "channel_archived"
    NOT_IN_CHANNEL = "not_in_channel"
    ACCOUNT_INACTIVE = "account_inactive"
    INVALID_AUTH = "invalid_auth"
    ADDRESS_REFUSED = "address_refused"  # a mail server's 5xx to a recipient
    REJECTED = "rejected"
    GAVE_UP = "gave_up"


# The platform refused this one message (its content); the chat itself is fine, so the
# messages after it still go. Every other reason is about the chat (or the bot's access to
# it): later messages would fail the same way, so they wait behind the failed one.
MESSAGE_REASONS = frozenset({Reason.REJECTED})


@dataclass(frozen=True)
class Transient:
    """Worth trying again: a timeout, a dropped connection, a 5xx, a rate limit.
    `retry_after` is the server's own wait in seconds, when it gave one."""

    detail: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Permanent:
    reason: Reason
    detail: str

    @property
    def holds_destination(self) -> bool:
        """Whether later messages to the same chat must wait until this one is resent."""
        return self.reason not in MESSAGE_REASONS


Failure = Transient | Permanent


def describe(error: BaseException) -> str:
    """An error as one log-friendly line: its type and message."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
