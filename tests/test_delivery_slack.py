"""Delivery you can trust, on Slack: the outbox meets a Web API that rate-limits with
Retry-After, fails with 500s, answers too late or hangs up, and channels that are archived or
gone.

Why: as on Telegram, a finding or a notice lost, doubled or out of order is a wrong decision
or a wrong action. The real slack-sdk client talks HTTP to the fake Web API, which counts
what reached each channel; the fake clock is moved instead of waiting for retries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App, build_app, deliver_on_slack
from bot.config import Config
from bot.outbox.backoff import Backoff
from bot.running import slack_runtime
from bot.slack.settings import SlackEnvironment
from handlers.model import OutgoingMessage, Platform
from tests.conftest import Delivering, approve_and_send, outbox_table, owe_again, post_example
from tests.fake_slack import FakeSlack, SlackMessage
from tests.fakes import FakeClock
from tests.slack_world import BUYER_CHANNEL, FACTORY_CHANNEL, free_port, slack_config

CLIENT_TIMEOUT = 0.5
# Photos are inside the findings; the summary's details are the first reply in its thread.
EXAMPLE_CHANNEL = ["summary", "details", "F1", "F2", "F3", "M3", "P1", "P2", "P3"]
PHOTOS = 7  # in the example visit, each uploaded once


pytestmark = pytest.mark.usefixtures("direct_to_fakes")


@dataclass
class Delivery(Delivering):
    fake: FakeSlack
    app: App
    config: Config
    clock: FakeClock
    platform = Platform.SLACK

    def channel(self, channel: str) -> list[str]:
        """What the channel shows, in order: "summary", "details" (the summary's, in its thread),
        the item's label, "⚠" for an alert, "text" for anything else (a notice)."""
        return [_shape(m) for m in self.fake.messages(channel)]


def _shape(message: SlackMessage) -> str:
    text = message.text.lstrip("*")
    if "Visit findings" in text.split("\n")[0]:
        return "summary"
    if text.startswith("Details · "):
        return "details"
    if text.startswith("["):
        return text[1:text.index("]")]
    return "⚠" if text.startswith("⚠") else "text"


@asynccontextmanager
async def delivering(config: Config, clock: FakeClock, factory_channel: str = FACTORY_CHANNEL
                     ) -> AsyncIterator[Delivery]:
    async with FakeSlack() as fake:
        fake.add_channel(BUYER_CHANNEL, "buyer-qc")
        fake.add_channel(FACTORY_CHANNEL, "evergreen-connect")
        cfg = slack_config(config, free_port())
        cfg = cfg.model_copy(update={"factories": tuple(f.model_copy(update={"slack_channel": factory_channel})
                                                        for f in cfg.factories)})
        app = await build_app(cfg, clock)
        client = AsyncWebClient(token=fake.token, base_url=fake.api_url, timeout=CLIENT_TIMEOUT)
        deliver_on_slack(app, client)
        app.dispatcher.backoff = Backoff(random=lambda: 1.0)
        try:
            yield Delivery(fake, app, cfg, clock)
        finally:
            await app.close()


async def test_rate_limits_500s_timeouts_and_hang_ups_delay_the_findings_but_each_arrives_once_in_order(
    config: Config, clock: FakeClock
) -> None:
    async with delivering(config, clock) as world:
        world.fake.fail_next("chat.postMessage", times=2, retry_after=4)
        world.fake.fail_next("chat.postMessage", times=2, status=500, error="internal_error")
        world.fake.stall_next("chat.postMessage", seconds=CLIENT_TIMEOUT * 2)
        world.fake.drop_next("chat.postMessage", times=2)  # the client itself retries one
        world.fake.fail_next("files.getUploadURLExternal", status=503, error="service_unavailable")
        await post_example(world.app, config, Platform.SLACK)

        await world.app.dispatcher.deliver_pending()
        summary = outbox_table(world.app)[0]
        assert datetime.fromisoformat(summary["next_attempt_at"]) == clock.now() + timedelta(seconds=4)
        await world.deliver_until_done()

        assert world.channel(BUYER_CHANNEL) == EXAMPLE_CHANNEL
        assert len(world.fake.calls("files.getUploadURLExternal")) == PHOTOS + 1  # each once, and the 503
        assert len(world.fake.calls("files.completeUploadExternal")) == 6  # a call per finding: F1 has two photos
        assert [row["attempts"] for row in outbox_table(world.app)][:2] == [6, 1]


async def test_through_the_bots_own_client_a_429_waits_in_the_outbox_while_the_other_channel_goes_on(
    config: Config, clock: FakeClock
) -> None:
    """The client `followup run` builds does not retry a 429 itself: the outbox puts that
    channel's message back for Retry-After, and the other channel's message goes at once.
    The factory's channel is the one rate-limited, not the next post anywhere: both channels'
    messages are claimed in one round, and the buyer's post, behind its photo's upload, could
    otherwise take the 429 while the factory's summary and its details went out."""
    async with delivering(config, clock) as world:
        env = SlackEnvironment(world.fake.token, "signing-secret", api_url=world.fake.api_url)
        slack_runtime(world.app, env, world.config.slack, lambda: None)  # its adapter is now the dispatcher's
        visit_id = await post_example(world.app, config, Platform.SLACK)
        async with world.app.store.unit_of_work() as uow:  # only the two summaries owed
            await uow.outbox.add(OutgoingMessage(Platform.SLACK, FACTORY_CHANNEL, "visit_summary",
                                                 {"visit_id": visit_id}, "en"))
            await uow.commit()
        await world.deliver_until_done()
        world.fake.rate_limit(FACTORY_CHANNEL, retry_after=30)
        await owe_again(world.app, Platform.SLACK, BUYER_CHANNEL, visit_id, "findings.1")
        async with world.app.store.unit_of_work() as uow:
            await uow.outbox.add(OutgoingMessage(Platform.SLACK, FACTORY_CHANNEL, "visit_summary",
                                                 {"visit_id": visit_id}, "en"))
            await uow.commit()
        posts = len(world.fake.calls("chat.postMessage"))

        assert await world.app.dispatcher.deliver_pending() == 1
        assert len(world.fake.calls("chat.postMessage")) == posts + 2  # the 429 and the other channel's post
        (waiting,) = [row for row in outbox_table(world.app) if row["next_attempt_at"]]
        assert waiting["destination"] == FACTORY_CHANNEL
        assert datetime.fromisoformat(waiting["next_attempt_at"]) == clock.now() + timedelta(seconds=30)
        clock.advance(seconds=30)
        world.fake.restore_channel(FACTORY_CHANNEL)
        assert await world.app.dispatcher.deliver_pending() == 1


async def test_a_failed_details_reply_is_posted_again_alone_in_the_summarys_thread(config: Config,
                                                                                  clock: FakeClock) -> None:
    async with delivering(config, clock) as world:
        world.fake.pass_next("chat.postMessage")  # the summary itself
        world.fake.fail_next("chat.postMessage", status=500, error="internal_error")  # its details
        await post_example(world.app, config, Platform.SLACK)

        await world.deliver_until_done()

        assert world.channel(BUYER_CHANNEL) == EXAMPLE_CHANNEL  # the summary once, its details once
        row = outbox_table(world.app)[0]
        assert row["attempts"] == 1 and row["last_error"] == "SlackApiError: internal_error (HTTP 500)"
        summary, details = world.fake.messages(BUYER_CHANNEL)[:2]
        assert details.thread_ts == summary.ts


async def test_photos_already_uploaded_are_not_uploaded_again_when_the_post_after_them_fails(
    config: Config, clock: FakeClock
) -> None:
    async with delivering(config, clock) as world:
        visit_id = await world.example_delivered()
        uploads = len(world.fake.calls("files.getUploadURLExternal"))
        await owe_again(world.app, Platform.SLACK, BUYER_CHANNEL, visit_id, "findings.0")
        world.fake.fail_next("chat.postMessage", status=500, error="internal_error")

        await world.deliver_until_done()

        assert world.channel(BUYER_CHANNEL) == [*EXAMPLE_CHANNEL, "F1"]
        assert len(world.fake.calls("files.getUploadURLExternal")) == uploads + 2  # F1's two photos, once
        assert len(world.fake.messages(BUYER_CHANNEL)[-1].blocks) >= 3  # text, both photos, buttons


@pytest.mark.parametrize(("break_channel", "reason", "words"), [
    (lambda fake: fake.archive_channel(FACTORY_CHANNEL), "channel_archived", "the channel is archived"),
    (lambda fake: fake.remove_bot(FACTORY_CHANNEL), "not_in_channel", "the bot is not a member of the channel"),
])
async def test_a_factory_channel_the_bot_cannot_post_in_fails_the_notice_and_tells_the_buyer(
    config: Config, clock: FakeClock, break_channel, reason: str, words: str
) -> None:
    async with delivering(config, clock) as world:
        break_channel(world.fake)
        visit_id = await post_example(world.app, config, Platform.SLACK)
        await approve_and_send(world.app, config, visit_id, Platform.SLACK)
        await world.deliver_until_done()

        failed = [(row["kind"], row["failure_reason"], row["attempts"]) for row in outbox_table(world.app)
                  if row["failed_at"]]
        assert failed == [("notice", reason, 1)]
        alert = world.fake.messages(BUYER_CHANNEL)[-1].text
        assert alert.startswith("*⚠ Not delivered: corrective notice CN-2026-0001 to Ningbo Evergreen Homeware")
        assert f"Where: Slack {FACTORY_CHANNEL}" in alert and f"Reason: {words}" in alert


async def test_a_factory_channel_that_does_not_exist_is_reported_as_not_found(
    config: Config, clock: FakeClock
) -> None:
    async with delivering(config, clock, factory_channel="C0GONE") as world:
        visit_id = await post_example(world.app, config, Platform.SLACK)
        await approve_and_send(world.app, config, visit_id, Platform.SLACK)
        await world.deliver_until_done()

        assert [row["failure_reason"] for row in outbox_table(world.app) if row["failed_at"]] == ["chat_not_found"]
        alert = world.fake.messages(BUYER_CHANNEL)[-1].text
        assert "Reason: the chat does not exist, or the bot is not in it" in alert
