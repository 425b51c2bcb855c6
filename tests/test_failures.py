"""What each platform's errors mean for a message: tried again later, or failed for good and why.

Why: retrying a chat that no longer exists spams the log for a day and holds the factory's
other messages; giving up on a 502 loses a notice. The errors here are the client libraries'
own exception objects, built as the libraries build them from the platforms' answers (the
stories in test_delivery_telegram / test_delivery_slack get them from the fake servers).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from telegram import Bot
from telegram.error import (
    BadRequest, ChatMigrated, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut,
)

from bot.outbox.failures import Permanent, Reason, Transient
from bot.outbox.surface import Target
from bot.slack.failures import classify as slack
from bot.telegram.adapter import TelegramAdapter
from bot.telegram.failures import classify as telegram
from bot.telegram.transport import AiohttpRequest
from handlers.clock import SystemClock
from tests.fake_telegram import FakeTelegram

TOKEN = "7000000001:AAE-secret-looking-token"


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """As `followup run` sets it: RetryAfter.retry_after as a timedelta, without a warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.mark.parametrize(("error", "reason"), [
    (BadRequest("Bad Request: chat not found"), Reason.CHAT_NOT_FOUND),
    (Forbidden("Forbidden: bot was blocked by the user"), Reason.BOT_BLOCKED),
    (Forbidden("Forbidden: bot was kicked from the group chat"), Reason.BOT_KICKED),
    (Forbidden("Forbidden: bot is not a member of the channel chat"), Reason.BOT_KICKED),
    (Forbidden("Forbidden: user is deactivated"), Reason.ACCOUNT_INACTIVE),
    (Forbidden("Forbidden: bot can't initiate conversation with a user"), Reason.FORBIDDEN),
    (BadRequest("Bad Request: not enough rights to send text messages to the chat"), Reason.FORBIDDEN),
    (ChatMigrated(-1001234567890), Reason.CHAT_NOT_FOUND),
    (InvalidToken(), Reason.INVALID_AUTH),
    (EndPointNotFound("Endpoint 'editMessageText' not found in Bot API"), Reason.INVALID_AUTH),
    (BadRequest("Bad Request: message is too long"), Reason.REJECTED),
])
def test_telegram_errors_that_no_retry_can_fix(error: Exception, reason: Reason) -> None:
    failure = telegram(error, TOKEN)
    assert isinstance(failure, Permanent) and failure.reason is reason
    assert failure.holds_destination is (reason is not Reason.REJECTED)


async def test_an_edit_refused_for_a_revoked_token_fails_for_good_as_a_send_does() -> None:
    """The outbox edits through do_api_request, which PTB raises a 401 from as EndPointNotFound
    once the bot is initialized (InvalidToken from its own methods): both are the token."""
    async with FakeTelegram() as fake:
        request = AiohttpRequest()
        bot = Bot(fake.token, base_url=fake.base_url, request=request, get_updates_request=request)
        adapter = TelegramAdapter(bot, None, None, SystemClock(), None)
        to = Target("1", 1, None, None, None)
        async with bot:
            fake.token = "7000000002:AAE-another-token"  # revoked: Telegram answers 401
            for call in (lambda: adapter.edit(to, "1:1", "x", ()), lambda: bot.send_message(1, "x")):
                with pytest.raises((InvalidToken, EndPointNotFound)) as refused:
                    await call()
                failure = adapter.classify(refused.value)
                assert isinstance(failure, Permanent) and failure.reason is Reason.INVALID_AUTH


@pytest.mark.parametrize("error", [
    TimedOut(),
    NetworkError("Bad Gateway"),
    NetworkError("Unknown error in HTTP implementation: RemoteProtocolError('Server disconnected')"),
])
def test_telegram_errors_that_pass(error: Exception) -> None:
    failure = telegram(error, TOKEN)
    assert isinstance(failure, Transient) and failure.retry_after is None


def test_telegrams_flood_control_passes_after_the_wait_it_names() -> None:
    failure = telegram(RetryAfter(timedelta(seconds=17)), TOKEN)  # built here: PTB_TIMEDELTA is set by now
    assert failure == Transient("RetryAfter: Flood control exceeded. Retry in 0:00:17", 17.0)


def test_the_bot_token_never_reaches_the_detail_that_is_logged_and_stored() -> None:
    failure = telegram(NetworkError(f"Unknown error: POST http://127.0.0.1/bot{TOKEN}/sendMessage"), TOKEN)
    assert TOKEN not in failure.detail and "<token>" in failure.detail


def test_an_error_telegram_does_not_raise_is_left_to_the_dispatcher() -> None:
    assert telegram(KeyError("photos"), TOKEN) is None


def slack_error(status: int, body: dict, headers: dict | None = None) -> SlackApiError:
    response = AsyncSlackResponse(client=None, http_verb="POST", api_url="http://127.0.0.1/api/chat.postMessage",
                                  req_args={}, data=body, headers=headers or {}, status_code=status)
    return SlackApiError("The request to the Slack API failed.", response)


@pytest.mark.parametrize(("error", "reason"), [
    ("channel_not_found", Reason.CHAT_NOT_FOUND),
    ("is_archived", Reason.CHANNEL_ARCHIVED),
    ("not_in_channel", Reason.NOT_IN_CHANNEL),
    ("account_inactive", Reason.ACCOUNT_INACTIVE),
    ("invalid_auth", Reason.INVALID_AUTH),
    ("token_revoked", Reason.INVALID_AUTH),
    ("invalid_blocks", Reason.REJECTED),
])
def test_slack_errors_that_no_retry_can_fix(error: str, reason: Reason) -> None:
    failure = slack(slack_error(200, {"ok": False, "error": error}))
    assert failure == Permanent(reason, f"SlackApiError: {error} (HTTP 200)")


@pytest.mark.parametrize(("error", "expected"), [
    (slack_error(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}),
     Transient("SlackApiError: ratelimited (HTTP 429)", 30.0)),
    (slack_error(500, {}), Transient("SlackApiError: HTTP 500")),  # an HTML error page: no JSON
    (slack_error(200, {"ok": False, "error": "fatal_error"}), Transient("SlackApiError: fatal_error (HTTP 200)")),
    (slack_error(503, {"ok": False, "error": "service_unavailable"}, {"retry-after": "5"}),
     Transient("SlackApiError: service_unavailable (HTTP 503)", 5.0)),
])
def test_slack_errors_that_pass(error: SlackApiError, expected: Transient) -> None:
    assert slack(error) == expected


@pytest.mark.parametrize("error", [asyncio.TimeoutError(), aiohttp.ServerDisconnectedError(),
                                   aiohttp.ClientConnectionError("Connection refused")])
def test_slack_timeouts_and_dropped_connections_pass(error: Exception) -> None:
    assert isinstance(slack(error), Transient)
