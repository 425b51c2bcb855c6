"""Delivery you can trust, on Telegram: the outbox meets a Bot API that says "slow down",
fails with 500s, answers too late or hangs up, chats that are gone, a second dispatcher on
the same database, and a crash in the middle of a send.

Why: the buyer decides on what the findings say and the factory acts on the notice; a message
lost, doubled or out of order in either chat is a wrong decision or a wrong action. The real
python-telegram-bot client talks HTTP to the fake Bot API server, which counts what reached
each chat; the clock is a fake one that the tests move instead of waiting for retries.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app import App, build_app, deliver_on_slack, deliver_on_telegram
from bot.outbox.backoff import Backoff
from bot.cli.outbox import report
from bot.config import Config, Slack
from bot.outbox.dispatcher import LEASE
from bot.running import telegram_runtime
from bot.telegram.settings import TelegramEnvironment
from handlers.commands import AcknowledgeNotice
from handlers.delivery import requeue
from handlers.model import OutgoingMessage, Platform, Role
from tests.conftest import Delivering, actor, approve_and_send, outbox_table, owe_again, post_example
from slack_sdk.web.async_client import AsyncWebClient
from tests.fake_slack import FakeSlack
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.slack_world import BUYER_CHANNEL
from tests.fakes import FakeClock
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, telegram_config

CLIENT_TIMEOUT = 0.5  # seconds the client waits for an answer; a stall outlasts it
ORDER = "PO-2026-0142"
# The buyer's chat after the example visit: its summary, then each item's photos and text.
EXAMPLE_CHAT = ["summary", "📷", "📷", "F1", "📷", "F2", "📷", "F3", "📷", "M3", "📷", "P1", "📷", "P2", "P3"]


pytestmark = pytest.mark.usefixtures("direct_to_fakes")


@dataclass
class Delivery(Delivering):
    """The fake Bot API and the bot's replicas: processes sharing one SQLite file."""

    fake: FakeTelegram
    config: Config
    clock: FakeClock
    platform = Platform.TELEGRAM
    client_timeout: float = CLIENT_TIMEOUT
    replicas: list[App] = field(default_factory=list)
    _bots: list[Bot] = field(default_factory=list)

    @property
    def app(self) -> App:
        return self.replicas[0]

    async def start_replica(self) -> App:
        app = await build_app(self.config, self.clock)
        request = HTTPXRequest(read_timeout=self.client_timeout, connection_pool_size=8)  # chats at once
        bot = Bot(self.fake.token, base_url=self.fake.base_url, base_file_url=self.fake.base_file_url,
                  request=request)
        await bot.initialize()
        deliver_on_telegram(app, bot)
        app.dispatcher.backoff = Backoff(random=lambda: 1.0)
        self.replicas.append(app)
        self._bots.append(bot)
        return app

    def chat(self, chat_id: int) -> list[str]:
        """What a person in the chat sees, in order: 📷 per photo, "PDF" per document, else the
        item's label ("summary", "F1"), "⚠" for an alert or "text" (a notice's text)."""
        return [_shape(m) for m in self.fake.transcript(chat_id)]


def _shape(message: SentMessage) -> str:
    if message.photos:
        return "📷"
    if message.document is not None:
        return "PDF"
    text = message.plain
    if text.startswith("━━ Visit findings"):
        return "summary"
    if text.startswith("["):
        return text[1:text.index("]")]
    return "⚠" if text.startswith("⚠") else "text"


@asynccontextmanager
async def delivering(config: Config, clock: FakeClock, replicas: int = 1, client_timeout: float = CLIENT_TIMEOUT,
                     **changes) -> AsyncIterator[Delivery]:
    async with FakeTelegram() as fake:
        world = Delivery(fake, telegram_config(config).model_copy(update=changes), clock, client_timeout=client_timeout)
        try:
            for _ in range(replicas):
                await world.start_replica()
            yield world
        finally:
            for bot in world._bots:
                await bot.shutdown()
            for app in world.replicas:
                await app.close()


# --- Telegram having a bad day ------------------------------------------------------------------


async def test_429s_500s_timeouts_and_hang_ups_delay_the_findings_but_each_arrives_once_in_order(
    config: Config, clock: FakeClock
) -> None:
    async with delivering(config, clock) as world:
        world.fake.fail_next("sendMessage", times=2, error_code=429, retry_after=3)
        world.fake.fail_next("sendMessage", times=2, error_code=500)
        world.fake.stall_next("sendMessage", seconds=CLIENT_TIMEOUT * 2)
        world.fake.drop_next("sendMessage")
        world.fake.fail_next("sendMediaGroup", error_code=502)
        await post_example(world.app, config, Platform.TELEGRAM)

        await world.app.dispatcher.deliver_pending()
        summary = outbox_table(world.app)[0]
        assert datetime.fromisoformat(summary["next_attempt_at"]) == clock.now() + timedelta(seconds=3)
        assert world.chat(BUYER_CHAT) == []  # the findings wait for their summary
        await world.deliver_until_done()

        assert world.chat(BUYER_CHAT) == EXAMPLE_CHAT
        assert len(world.fake.calls("sendMessage")) == 8 + 6  # every failure was really met
        assert [row["attempts"] for row in outbox_table(world.app)][:2] == [6, 1]  # the summary, then F1's photos


async def test_photos_already_in_the_chat_are_not_sent_again_when_the_text_after_them_fails(
    config: Config, clock: FakeClock
) -> None:
    async with delivering(config, clock) as world:
        visit_id = await world.example_delivered()
        await owe_again(world.app, Platform.TELEGRAM, str(BUYER_CHAT), visit_id, "findings.0")
        world.fake.fail_next("sendMessage", error_code=500)

        await world.deliver_until_done()

        assert world.chat(BUYER_CHAT) == [*EXAMPLE_CHAT, "📷", "📷", "F1"]
        assert len(world.fake.calls("sendMediaGroup")) == 2  # once in the example, once for the repeat


# --- chats side by side -------------------------------------------------------------------------


async def test_a_rate_limited_factory_chat_waits_its_turn_while_the_buyer_hears_at_once(
    config: Config, clock: FakeClock
) -> None:
    """Through the outbox's client as `followup run` builds it: a 429 is not retried inside the
    send, the outbox puts that chat's message back for exactly retry_after, and the other chat
    goes on; a send that hangs holds up only its own chat."""
    async with delivering(config, clock) as world:
        cfg = world.config
        runtime = telegram_runtime(world.app, TelegramEnvironment(world.fake.token, world.fake.base_url,
                                                                  world.fake.base_file_url), cfg.telegram, lambda: None)
        await runtime.outbox_bot.initialize()  # the adapter on the dispatcher is now the runtime's
        try:
            visit_id = await post_example(world.app, config, Platform.TELEGRAM)
            for source in ("findings.0", "findings.1"):
                await owe_again(world.app, Platform.TELEGRAM, str(FACTORY_CHAT), visit_id, source)
            world.fake.rate_limit(FACTORY_CHAT, retry_after=30)

            await world.app.dispatcher.deliver_pending()
            assert world.chat(BUYER_CHAT) == EXAMPLE_CHAT
            assert world.chat(FACTORY_CHAT) == []
            assert len([c for c in world.fake.calls("sendMediaGroup") if c["chat_id"] == FACTORY_CHAT]) == 1
            waiting = [row for row in outbox_table(world.app) if row["destination"] == str(FACTORY_CHAT)]
            assert datetime.fromisoformat(waiting[0]["next_attempt_at"]) == clock.now() + timedelta(seconds=30)
            assert waiting[1]["attempts"] == 0  # behind it, in order

            world.fake.restore_chat(FACTORY_CHAT)
            clock.advance(seconds=29)
            assert await world.app.dispatcher.deliver_pending() == 0  # not before the wait asked for
            clock.advance(seconds=1)
            world.fake.hold(FACTORY_CHAT)
            await owe_again(world.app, Platform.TELEGRAM, str(BUYER_CHAT), visit_id, "findings.2")
            sending = asyncio.create_task(world.app.dispatcher.deliver_pending())
            await world.fake.wait_for(lambda: world.chat(BUYER_CHAT)[len(EXAMPLE_CHAT):] == ["📷", "F3"])
            assert world.fake.held(FACTORY_CHAT) and not sending.done()  # the factory's photos still going
            world.fake.let_go(FACTORY_CHAT)
            assert await sending == 3
            assert world.chat(FACTORY_CHAT) == ["📷", "📷", "F1", "📷", "F2"]
        finally:
            await runtime.outbox_bot.shutdown()


async def test_at_most_four_chats_are_sent_to_at_once_and_their_claims_are_renewed_while_in_flight(
    config: Config, clock: FakeClock
) -> None:
    """Slow chats hold a bounded number of sends; while a send hangs its claim is renewed, so no
    other replica takes the message over however long the upload takes."""
    chats = [600_001, 600_002, 600_003, 600_004, 600_005]
    async with delivering(config, clock, client_timeout=60) as world:  # held sends do not time out
        world.app.dispatcher.lease = timedelta(seconds=0.3)  # renewed every 0.1 s of real time
        visit_id = await post_example(world.app, config, Platform.TELEGRAM)
        await world.deliver_until_done()
        async with world.app.store.unit_of_work() as uow:
            for chat in chats:
                await uow.outbox.add(OutgoingMessage(Platform.TELEGRAM, str(chat), "visit_summary",
                                                     {"visit_id": visit_id}, "en"))
            await uow.commit()
        for chat in chats:
            world.fake.hold(chat)

        sending = asyncio.create_task(world.app.dispatcher.deliver_pending())
        await world.fake.wait_for(lambda: sum(map(world.fake.held, chats)) == 4)
        assert [world.fake.held(chat) for chat in chats] == [True] * 4 + [False]
        clock.advance(minutes=1)

        def renewed() -> bool:
            claimed = [row["claimed_until"] for row in outbox_table(world.app) if row["claimed_by"]]
            return len(claimed) == 4 and {datetime.fromisoformat(c) for c in claimed} == {
                clock.now() + timedelta(seconds=0.3)}
        await world.fake.wait_for(renewed)
        for chat in chats[:4]:
            world.fake.let_go(chat)
        await world.fake.wait_for(lambda: world.fake.held(chats[4]))
        world.fake.let_go(chats[4])
        assert await sending == 5
        assert [world.chat(chat) for chat in chats] == [["summary"]] * 5


# --- chats that no retry brings back -----------------------------------------------------------


async def test_a_factory_chat_that_is_gone_fails_the_notice_and_tells_the_buyer_in_their_chat(
    config: Config, clock: FakeClock
) -> None:
    async with delivering(config, clock) as world:
        world.fake.delete_chat(FACTORY_CHAT)
        visit_id = await post_example(world.app, config, Platform.TELEGRAM)
        notice_id = await approve_and_send(world.app, config, visit_id, Platform.TELEGRAM)
        await world.deliver_until_done()
        answered = await world.app.bus.handle(AcknowledgeNotice(notice_id), actor(config, Role.FACTORY))
        assert answered.ok
        await world.deliver_until_done()

        tries = len([c for c in world.fake.calls("sendMessage") if c["chat_id"] == FACTORY_CHAT])
        assert tries == 1  # refused once, never tried again
        failed = [row for row in outbox_table(world.app) if row["failed_at"]]
        assert [(row["kind"], row["failure_reason"]) for row in failed] == [("notice", "chat_not_found")]
        alert = world.fake.transcript(BUYER_CHAT)[-2]  # before "Li Wei acknowledged"
        assert alert.plain.splitlines() == [
            "⚠ Not delivered: corrective notice CN-2026-0001 to Ningbo Evergreen Homeware Co., Ltd.",
            f"    Where: Telegram {FACTORY_CHAT}",
            "    Reason: the chat does not exist, or the bot is not in it",
            "    Later messages to this chat wait until this one is sent.",
            f"    Once the cause is fixed, an operator resends it with: followup outbox retry {failed[0]['id']}",
        ]

        world.fake.restore_chat(FACTORY_CHAT)  # the bot is added to the chat again
        async with world.app.store.unit_of_work() as uow:
            await requeue(uow, clock.now(), failed[0]["id"], "admin:operator")
            await uow.commit()
        await world.deliver_until_done()
        factory_chat = world.fake.transcript(FACTORY_CHAT)
        assert world.chat(FACTORY_CHAT) == ["text", "text", "PDF"]  # the notice, in two parts, then its PDF
        assert factory_chat[0].plain.startswith("整改通知书 CN-2026-0001")
        # Sent after the factory answered: no Acknowledge / Dispute, only what now applies.
        assert list(factory_chat[1].buttons) == ["更新整改进度"]


async def test_a_factory_contact_who_blocked_the_bot_is_reported_to_a_chinese_buyer_in_chinese(
    config: Config, clock: FakeClock
) -> None:
    people = tuple(p.model_copy(update={"locale": "zh_Hans_CN"}) if p.role is Role.BUYER else p
                   for p in telegram_config(config).people)
    async with delivering(config, clock, people=people) as world:
        world.fake.block_bot(FACTORY_CHAT)
        visit_id = await post_example(world.app, config, Platform.TELEGRAM)
        await approve_and_send(world.app, config, visit_id, Platform.TELEGRAM)
        await world.deliver_until_done()

        alert = world.fake.transcript(BUYER_CHAT)[-1].plain
        assert alert.startswith("⚠ 未送达：整改通知书CN-2026-0001（发往Ningbo Evergreen Homeware Co., Ltd.）")
        assert "原因：对方已屏蔽机器人" in alert
        assert [row["failure_reason"] for row in outbox_table(world.app) if row["failed_at"]] == ["bot_blocked"]


async def test_a_buyer_who_blocked_the_bot_on_telegram_hears_of_it_once_on_slack_in_their_language(
    config: Config, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The alert goes to the buyer's chat on the other platform; while no bot runs Slack it
    waits, and `followup outbox` says so (and, by the failed message, who was alerted)."""
    people = tuple(p.model_copy(update={"locale": "zh_Hans_CN"}) if p.role is Role.BUYER else p
                   for p in telegram_config(config).people)
    async with delivering(config, clock, people=people, slack=Slack(buyer_channel=BUYER_CHANNEL)) as world, \
            FakeSlack() as slack:
        world.fake.block_bot(BUYER_CHAT)
        await post_example(world.app, config, Platform.TELEGRAM)
        await world.app.dispatcher.announce()  # as the running bot's delivery loop does: Telegram only
        assert "outbox messages for slack wait (8): this bot does not run slack" in caplog.text
        await world.app.dispatcher.deliver_pending()
        assert await world.app.dispatcher.deliver_pending() == 0  # nothing spins on Slack

        failed = [row for row in outbox_table(world.app) if row["failed_at"]]
        assert [(row["kind"], row["failure_reason"]) for row in failed] == [("visit_summary", "bot_blocked")]
        async with world.app.store.unit_of_work() as uow:
            listing = report(await uow.outbox.owed(clock.now()), await uow.deliverers.running(clock.now()))
        (alert_id,) = [row["id"] for row in outbox_table(world.app) if row["kind"] == "delivery_failed"]
        (failed_line,) = [line for line in listing[3:] if line.split()[0] == str(failed[0]["id"])]
        assert "failed" in failed_line and "bot_blocked" in failed_line
        assert failed_line.endswith(f"[buyer alerted: {alert_id}]")
        (waiting,) = [line for line in listing[3:] if line.split()[0] == str(alert_id)]
        assert "pending" in waiting and waiting.endswith("waits: slack not running (no running bot has SLACK_BOT_TOKEN)")

        slack.add_channel(BUYER_CHANNEL, "buyer-qc")
        client = AsyncWebClient(token=slack.token, base_url=slack.api_url)
        deliver_on_slack(world.app, client)
        await world.deliver_until_done()
        await world.deliver_until_done()

        alerts = [m.text for m in slack.messages(BUYER_CHANNEL) if "未送达" in m.text]
        assert len(alerts) == 1, alerts
        assert "未送达：关于PO-2026-0142的消息（发往您的会话）" in alerts[0]
        assert f"Telegram {BUYER_CHAT}" in alerts[0] and "对方已屏蔽机器人" in alerts[0]


# --- replicas and crashes ----------------------------------------------------------------------


async def test_two_dispatchers_on_one_database_never_send_a_message_twice(config: Config, clock: FakeClock) -> None:
    chats = [BUYER_CHAT, 600_001, 600_002, 600_003]
    async with delivering(config, clock, replicas=2) as world:
        first, second = world.replicas
        visit_id = await post_example(first, config, Platform.TELEGRAM)
        async with first.store.unit_of_work() as uow:  # the same visit owed to three more chats
            for chat in chats[1:]:
                for kind, source in [("visit_summary", None)] + [("finding", f"findings.{i}") for i in range(3)]:
                    payload = {"visit_id": visit_id} | ({"source": source} if source else {})
                    await uow.outbox.add(OutgoingMessage(Platform.TELEGRAM, str(chat), kind, payload, "en"))
            await uow.commit()
        # Each replica alone first, so each surely does a share whatever the scheduling: the first
        # delivers one chat while three wait for a retry; the second, once the retry is due,
        # one of those three while two fail again. Then both at once over what is left.
        world.fake.fail_next("sendMessage", times=3, error_code=500)
        delivered = [await first.dispatcher.deliver_pending(), 0]
        clock.advance(minutes=10)
        world.fake.fail_next("sendMessage", times=2, error_code=500)
        delivered[1] = await second.dispatcher.deliver_pending()
        clock.advance(minutes=10)
        world.fake.fail_next("sendPhoto", times=2, error_code=429, retry_after=1)

        for _ in range(30):
            counts = await asyncio.gather(first.dispatcher.deliver_pending(), second.dispatcher.deliver_pending())
            delivered = [a + b for a, b in zip(delivered, counts, strict=True)]
            clock.advance(minutes=10)

        assert world.chat(BUYER_CHAT) == EXAMPLE_CHAT
        for chat in chats[1:]:
            assert world.chat(chat) == ["summary", "📷", "📷", "F1", "📷", "F2", "📷", "F3"]
        assert sum(delivered) == len(outbox_table(first)) and all(delivered)  # both did their share


async def test_a_crash_between_sending_and_marking_sent_repeats_that_message_only(
    config: Config, clock: FakeClock
) -> None:
    async with delivering(config, clock) as world:
        crashed = world.app
        await post_example(crashed, config, Platform.TELEGRAM)
        world.fake.stall_next("sendMessage", seconds=30, handled=True)  # the summary arrives; the answer does not

        sending = asyncio.create_task(crashed.dispatcher.deliver_pending())
        await world.fake.wait_for(lambda: world.fake.transcript(BUYER_CHAT))
        sending.cancel()  # the process dies before it hears back
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        restarted = await world.start_replica()

        assert await restarted.dispatcher.deliver_pending() == 0  # the dead process's claim still runs
        clock.advance(seconds=LEASE.total_seconds())
        await restarted.dispatcher.deliver_pending()

        assert world.chat(BUYER_CHAT) == ["summary", *EXAMPLE_CHAT]
        assert all(row["sent_at"] for row in outbox_table(restarted))
