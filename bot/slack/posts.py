"""The ways the bot answers one person on Slack: an ephemeral reply where they acted, a DM,
a message in a channel or thread. Shared by the listeners and the tap surface."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from handlers.results import Reply
from messages.environment import mrkdwn_escape
from messages.i18n import Language
from messages.replies import reply_text
from messages.slack_blocks import text_blocks


def said(reply: Reply, language: Language) -> str:
    """A bus reply as Slack text: escaped, for it quotes names and words people typed, where a
    `<` would start a link or a mention."""
    return mrkdwn_escape(reply_text(reply, language))


async def ephemeral(client: AsyncWebClient, channel: str | None, user: str, text: str) -> None:
    """Seen by `user` alone where they acted; in their DM when Slack names no channel."""
    if channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        await dm(client, user, text)


async def dm(client: AsyncWebClient, user: str, text: str) -> None:
    await post(client, await dm_channel(client, user), text)


async def dm_channel(client: AsyncWebClient, user: str) -> str:
    """The bot's DM with the user, opened if need be."""
    return (await client.conversations_open(users=user))["channel"]["id"]


async def post(client: AsyncWebClient, channel: str, mrkdwn: str, thread_ts: str | None = None) -> None:
    await client.chat_postMessage(channel=channel, text=mrkdwn[:3000], blocks=text_blocks(mrkdwn), thread_ts=thread_ts)
