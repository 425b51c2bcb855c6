"""What slack-sdk's errors mean for a message of the outbox.

The Web API answers HTTP 200 with `{"ok": false, "error": "channel_not_found"}` for most
refusals, 429 with a Retry-After header when rate limited (the client's retry handler waits
out a few of those itself), and 5xx when Slack is having trouble. A timeout or a dropped
connection raises aiohttp's or asyncio's own errors. An error code not listed here is taken
as Slack refusing this one message (invalid_blocks, msg_too_long …).
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.outbox.failures import Failure, Permanent, Reason, Transient, describe

PERMANENT = {
    "channel_not_found": Reason.CHAT_NOT_FOUND,
    "user_not_found": Reason.CHAT_NOT_FOUND,
    "is_archived": Reason.CHANNEL_ARCHIVED,
    "not_in_channel": Reason.NOT_IN_CHANNEL,
    "account_inactive": Reason.ACCOUNT_INACTIVE,
    "user_disabled": Reason.ACCOUNT_INACTIVE,
    "invalid_auth": Reason.INVALID_AUTH,
    "not_authed": Reason.INVALID_AUTH,
    "token_revoked": Reason.INVALID_AUTH,
    "token_expired": Reason.INVALID_AUTH,
    "missing_scope": Reason.FORBIDDEN,
    "restricted_action": Reason.FORBIDDEN,
    "cannot_dm_bot": Reason.FORBIDDEN,
}
TRANSIENT = frozenset({"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"})


def classify(error: Exception) -> Failure | None:
    if isinstance(error, SlackApiError):
        return _api_error(error)
    if isinstance(error, (TimeoutError, aiohttp.ClientError)):
        return Transient(describe(error))
    return None


def _api_error(error: SlackApiError) -> Failure:
    response = error.response
    data = response.data if isinstance(response.data, dict) else {}
    code, status = data.get("error"), response.status_code
    detail = f"SlackApiError: {code} (HTTP {status})" if code else f"SlackApiError: HTTP {status}"
    if status == 429 or status >= 500 or code in TRANSIENT:
        return Transient(detail, _retry_after(response.headers))
    return Permanent(PERMANENT.get(code, Reason.REJECTED), detail)


def _retry_after(headers) -> float | None:
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
