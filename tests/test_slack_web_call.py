"""The bot's lean Slack Web API call (bot/slack/web_call.py) against the fake Slack: what
slack_sdk would have made of each answer, it makes of it too."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.web_call import call
from tests.fake_slack import FakeSlack

CHANNEL, USER = "C0FOLLOWUP", "U0QA"
SAID = {"channel": CHANNEL, "user": USER, "text": "Already approved."}


@pytest.fixture
async def slack():
    async with FakeSlack() as fake, aiohttp.ClientSession() as session:
        fake.add_user(USER, "Anna Schmidt")
        fake.add_channel(CHANNEL, "buyer-qc")
        client = AsyncWebClient(token=fake.token, base_url=fake.api_url, session=session)
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
        yield fake, client


async def test_an_ephemeral_is_posted_once_as_slack_sdk_posts_it(slack):
    fake, client = slack
    await call(client, "chat.postEphemeral", SAID)
    await client.chat_postEphemeral(**SAID)
    lean, sdk = fake.calls("chat.postEphemeral")
    assert lean == sdk
    assert [m.text for m in fake.ephemerals(CHANNEL)] == ["Already approved."] * 2


async def test_a_refused_call_raises_slack_sdks_error_with_slacks_reason(slack):
    fake, client = slack
    fake.fail_next("chat.postEphemeral", error="user_not_in_channel")
    with pytest.raises(SlackApiError) as refused:
        await call(client, "chat.postEphemeral", SAID)
    assert refused.value.response["error"] == "user_not_in_channel"
    assert fake.ephemerals(CHANNEL) == []


async def test_a_rate_limited_or_dropped_call_is_made_again_through_the_client_and_posted_once(slack):
    fake, client = slack
    fake.fail_next("chat.postEphemeral")  # 429, Retry-After: 1
    await call(client, "chat.postEphemeral", SAID)
    fake.drop_next("chat.postEphemeral")
    await call(client, "chat.postEphemeral", SAID)
    assert [m.text for m in fake.ephemerals(CHANNEL)] == ["Already approved."] * 2
