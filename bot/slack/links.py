"""Links to the bot's own Slack messages (chat.getPermalink), for a status answer to point at
the findings thread and the notice."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.answers import Links
from handlers.model import Platform

log = logging.getLogger(__name__)


def slack_links(client: AsyncWebClient) -> Links:
    async def permalink(ref: str) -> str | None:
        channel, _, ts = ref.rpartition(":")
        try:
            found = await client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError as exc:  # a deleted message or an archived channel: no link, still an answer
            log.info("no permalink for %s: %s", ref, exc.response.get("error"))
            return None
        return found.get("permalink")

    return Links(Platform.SLACK, permalink)
