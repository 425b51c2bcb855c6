"""A Slack Web API call the bot makes on every repeated click (chat.postEphemeral), sent on
the client's own aiohttp session without slack_sdk's per-call machinery: its retry state, its
debug line built whether logged or not, aiohttp's content-type sniffing of the answer and the
response object. That machinery was a third of the call's CPU on the loop (56 of 186 µs,
sending and answering on loopback), and the call a fifth of a repeated click's.

What slack_sdk would do otherwise, it still does: a call that could not be sent or was
answered 429 (nothing posted either way) is made again through the client, whose handlers
reconnect or wait Retry-After; any other answer but 200 with `ok` raises SlackApiError as
slack_sdk raises it."""

from __future__ import annotations

import functools
import json

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.internal_utils import get_user_agent

RATE_LIMITED = 429


async def call(client: AsyncWebClient, method: str, args: dict) -> None:
    """`method` with `args` (and the client's own, e.g. its team) as JSON."""
    session = client.session
    if session is None or session.closed or not client.token:
        await client.api_call(method, json=args)
        return
    url, body = client.base_url + method, {**client.default_params, **args}
    try:
        async with session.post(url, data=json.dumps(body).encode(), headers=_headers(client),
                                timeout=aiohttp.ClientTimeout(total=client.timeout)) as response:
            status, headers, text = response.status, response.headers, await response.read()
    except aiohttp.ClientConnectionError:  # e.g. a kept-alive connection the server had closed
        status = None
    if status is None or status == RATE_LIMITED:
        await client.api_call(method, json=args)
        return
    try:
        data = json.loads(text)
    except ValueError:
        data = {}
    if status != 200 or not isinstance(data, dict) or not data.get("ok"):
        AsyncSlackResponse(client=client, http_verb="POST", api_url=url, req_args={"json": body},
                           data=data if isinstance(data, dict) else {}, headers=dict(headers),
                           status_code=status).validate()


def _headers(client: AsyncWebClient) -> dict[str, str]:
    """slack_sdk's headers for a JSON call."""
    return {"Content-Type": "application/json;charset=utf-8", "Authorization": f"Bearer {client.token}",
            "User-Agent": _user_agent(), **client.headers}


@functools.cache
def _user_agent() -> str:
    """Worked out once: slack_sdk reads the platform and versions anew for every call."""
    return get_user_agent()
