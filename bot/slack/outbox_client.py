"""The Slack client the outbox delivers with, apart from the one that answers people.

An answer to someone waiting is worth the client's own retry of a 429. An outbox delivery is
not: the outbox puts that channel's message back for Retry-After while the other channels go
on (bot/outbox/dispatcher.py), where a retry inside the send would hold a delivery slot for the
whole wait. So the outbox's client has no rate-limit retry handler. Its HTTP session (its
connections) is the runtime's, once the runtime starts (bot/slack/runtime.py).
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.settings import SlackEnvironment


def outbox_client(env: SlackEnvironment) -> AsyncWebClient:
    return AsyncWebClient(token=env.bot_token, base_url=env.api_url)
