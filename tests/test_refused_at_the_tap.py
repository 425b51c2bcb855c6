"""Someone who may not take an action is refused when they tap its button: before the bot asks
them for words (a reply prompt, a Slack form, the console's question) or for photos, so nobody
types or uploads what would be refused. The refusal is audited once, and nothing waits for an
answer. Played on each surface: Telegram and Slack through the real libraries against the fake
servers, the console through its session.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.console.session import ConsoleSession
from handlers.model import Role
from messages import buttons as b
from tests.conftest import approve_and_send, bundle_of, one_finding, person, post_example
from tests.slack_world import BUYER, FACTORY, FACTORY_CHANNEL, running_slack
from tests.telegram_world import FACTORY_CHAT, running
from tests.test_slack_more import ephemerals_to, post as post_on_slack, send_notice as send_notice_on_slack
from tests.test_telegram_more import post as post_on_telegram, send_notice as send_notice_on_telegram

NOT_FOR_A_BUYER = "Sorry, your role (buyer) does not allow that."

pytestmark = pytest.mark.usefixtures("direct_to_fakes")


def refusals(store_path: Path) -> list[tuple[str, str]]:
    """(what was tried, why not) of every refusal audited, oldest first."""
    with sqlite3.connect(store_path) as db:
        rows = db.execute("SELECT after FROM audit_events WHERE action = 'refused' ORDER BY id").fetchall()
    return [(after["attempted"], after["reason"]) for after in (json.loads(row[0]) for row in rows)]


def waiting_for_answers(store_path: Path) -> int:
    with sqlite3.connect(store_path) as db:
        return db.execute("SELECT COUNT(*) FROM pending_inputs").fetchone()[0]


async def test_on_telegram_the_buyer_tapping_the_factorys_dispute_or_done_is_refused_without_a_prompt(
        config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        await post_on_telegram(world, bundle_of(visit_dir, one_finding(example_data)))
        notice = await send_notice_on_telegram(world)
        factory_chat = len(world.chat(FACTORY_CHAT))

        assert await world.tap(world.buyer, FACTORY_CHAT, notice, "有异议") == NOT_FOR_A_BUYER
        assert len(world.chat(FACTORY_CHAT)) == factory_chat  # no reply prompt
        assert refusals(world.app.store.path) == [("DisputeNotice", "not_allowed")]

        await world.tap(world.factory, FACTORY_CHAT, notice, "确认收到")
        await world.tap(world.factory, FACTORY_CHAT, notice, "更新整改进度")  # the group's keyboard, opened
        factory_chat = len(world.chat(FACTORY_CHAT))
        assert await world.tap(world.buyer, FACTORY_CHAT, notice, "F1 整改完成") == NOT_FOR_A_BUYER
        assert len(world.chat(FACTORY_CHAT)) == factory_chat  # no request for photos
        assert refusals(world.app.store.path)[1:] == [("ReportDone", "not_allowed")]
        assert waiting_for_answers(world.app.store.path) == 0


async def test_on_slack_the_buyer_clicking_the_factorys_dispute_or_done_is_refused_without_a_form(
        config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post_on_slack(world, bundle_of(visit_dir, one_finding(example_data)))
        notice = await send_notice_on_slack(world)

        await world.click(BUYER, FACTORY_CHANNEL, notice, "有异议")
        await world.settled()
        assert world.fake.views == []  # no form opened
        assert ephemerals_to(world, FACTORY_CHANNEL, BUYER) == [NOT_FOR_A_BUYER]
        assert refusals(world.app.store.path) == [("DisputeNotice", "not_allowed")]

        await world.click(FACTORY, FACTORY_CHANNEL, notice, "确认收到")
        await world.settled()
        acknowledged = next(m for m in world.channel(FACTORY_CHANNEL) if m.ts == notice.ts)
        in_channel = len(world.channel(FACTORY_CHANNEL))
        await world.click(BUYER, FACTORY_CHANNEL, acknowledged, "F1 整改完成")
        await world.settled()
        assert len(world.channel(FACTORY_CHANNEL)) == in_channel  # no request for photos in the thread
        assert ephemerals_to(world, FACTORY_CHANNEL, BUYER) == [NOT_FOR_A_BUYER] * 2
        assert refusals(world.app.store.path)[1:] == [("ReportDone", "not_allowed")]
        assert waiting_for_answers(world.app.store.path) == 0 and world.fake.views == []


async def test_on_the_console_the_buyer_tapping_the_factorys_dispute_is_refused_before_being_asked(
        app, config, transcript, tmp_path):
    visit_id = await post_example(app, config)
    await approve_and_send(app, config, visit_id)
    await app.dispatcher.deliver_pending()
    asked = []

    async def ask(action: str, target: int):
        asked.append(action)

    session = ConsoleSession(app, transcript, colour=False, charts=tmp_path)
    buyer = person(config, Role.BUYER)
    dispute = next(n for n, button in app.console.buttons.items() if button.action == b.DISPUTE)
    reply = await session.tap(buyer, dispute, ask=ask)

    assert asked == [] and reply.code == "not_allowed"
    assert transcript.lines[-1] == f"  ↳ bot to {buyer.name}: {NOT_FOR_A_BUYER}"
    assert refusals(app.store.path) == [("DisputeNotice", "not_allowed")]
    assert waiting_for_answers(app.store.path) == 0
