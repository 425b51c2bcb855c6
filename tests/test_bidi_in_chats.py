"""Bidirectional overrides and zero-width characters never disguise what a chat or a PDF shows,
on Telegram and on Slack. An inspector's report carrying them is refused at the door, each
character named with its field and position, nothing stored; a factory's typed dispute carrying
them reaches the buyer's chat as it reads: the reversed PO number shows as the characters it is
made of, nothing is hidden, and the Chinese stays as written."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import bundle_of, changed, one_finding
from tests.pdf_reading import pdf_text
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, INSPECTOR, running_slack
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, INSPECTOR_ID, running

HIDDEN = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u200b\u200c\u2060\ufeff\u00ad")
DESCRIPTION = "Glaze crawling on \u202e2410-6202-OP\u202c units\u200b"  # shows as "…on PO-2026-0142 units"
SHOWN = "Glaze crawling on 2410-6202-OP units"
DESCRIPTION_ZH = "手柄连接处缩釉\u2066，局部露胎\u2069。"
SHOWN_ZH = "手柄连接处缩釉，局部露胎。"
REASON = "请核对\u202e 0142-6202-OP \u202c尺寸\u200b，见确认样。"
SHOWN_REASON = "请核对 0142-6202-OP 尺寸，见确认样。"


@pytest.fixture(autouse=True)
def direct(direct_to_fakes) -> None:
    """The fakes listen on 127.0.0.1: no proxy."""


@pytest.fixture
def hidden_bundle(visit_dir, example_data) -> bytes:
    data = changed(one_finding(example_data), "findings.0.description", DESCRIPTION)
    data = changed(data, "findings.0.description_zh", DESCRIPTION_ZH)
    data = changed(data, "visit.inspector", "Chen\u200b Jing\u202e")
    return bundle_of(visit_dir, data)


@pytest.fixture
def bundle(visit_dir, example_data) -> bytes:
    data = changed(one_finding(example_data), "findings.0.description", SHOWN)
    data = changed(data, "findings.0.description_zh", SHOWN_ZH)
    return bundle_of(visit_dir, data)


REFUSALS = ("visit.inspector: contains the invisible character U+200B ZERO WIDTH SPACE at position 5",
            "findings.0.description: contains the invisible character U+202E RIGHT-TO-LEFT OVERRIDE",
            "findings.0.description_zh: contains the invisible character U+2066 LEFT-TO-RIGHT ISOLATE")


def visits_stored(app) -> int:
    with sqlite3.connect(app.store.path) as db:
        (count,) = db.execute("SELECT count(*) FROM visits").fetchone()
    return count


def stored_reason(app) -> str:
    with sqlite3.connect(app.store.path) as db:
        (reason,) = db.execute("SELECT dispute_reason FROM notices").fetchone()
    return reason


async def test_on_telegram_hidden_characters_are_refused_in_a_report_and_shown_for_what_they_are_in_a_dispute(
    config, clock, bundle, hidden_bundle
) -> None:
    async with running(config, clock) as world:
        before = visits_stored(world.app)
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", hidden_bundle)
        refused = await world.fake.wait_for(
            lambda: next((m.text for m in world.chat(INSPECTOR_ID) if "refused" in (m.text or "")), None))
        assert all(problem in refused for problem in REFUSALS) and visits_stored(world.app) == before

        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", bundle)
        await world.fake.wait_for(lambda: any("posted" in (m.text or "") for m in world.chat(INSPECTOR_ID)))
        await world.settled()
        f1 = world.finding("F1")
        assert SHOWN in f1.plain

        await world.tap(world.buyer, BUYER_CHAT, f1, "Approve")
        await world.tap(world.buyer, BUYER_CHAT, world.last_with_button(BUYER_CHAT, "Send notice"), "Send notice")
        notice = world.last_with_button(FACTORY_CHAT, "有异议")
        assert SHOWN_ZH in notice.plain and SHOWN in notice.plain
        (pdf,) = [m.document for m in world.chat(FACTORY_CHAT) if m.document]
        printed = pdf_text(pdf.content)
        assert SHOWN_ZH in printed and not HIDDEN & set(printed)

        await world.tap(world.factory, FACTORY_CHAT, notice, "有异议")
        prompt = world.chat(FACTORY_CHAT)[-1]
        await world.say(world.factory, FACTORY_CHAT, REASON, reply_to=prompt.message_id)
        assert stored_reason(world.app) == SHOWN_REASON
        told = [m.plain for m in world.chat(BUYER_CHAT) if "disputes notice" in m.plain]
        assert told and SHOWN_REASON in told[-1]

        shown = "".join(m.text or m.caption or "" for m in world.chat(BUYER_CHAT) + world.chat(FACTORY_CHAT))
        assert not HIDDEN & set(shown)


async def test_on_slack_hidden_characters_are_refused_in_a_report_and_shown_for_what_they_are_in_a_dispute(
    config, clock, bundle, hidden_bundle
) -> None:
    async with running_slack(config, clock) as world:
        dm = world.fake.dm_channel(INSPECTOR)
        before = visits_stored(world.app)
        file = world.fake.add_uploaded_file("visit.zip", hidden_bundle)
        await world.event(world.fake.message_event(INSPECTOR, dm, "", files=[file]))
        refused = await world.fake.wait_for(
            lambda: next((m.text for m in world.channel(dm) if m.from_bot and "refused" in m.text), None))
        assert all(problem in refused for problem in REFUSALS) and visits_stored(world.app) == before

        file = world.fake.add_uploaded_file("visit.zip", bundle)
        await world.event(world.fake.message_event(INSPECTOR, dm, "", files=[file]))
        await world.fake.wait_for(lambda: [m for m in world.channel(dm) if m.from_bot and "posted" in m.text])
        await world.settled()
        f1 = world.finding("F1")
        assert SHOWN in f1.text

        await world.click(BUYER, BUYER_CHANNEL, f1, "Approve")
        send = next(m for m in reversed(world.channel(BUYER_CHANNEL)) if any("Send notice" in b for b in m.buttons))
        await world.click(BUYER, BUYER_CHANNEL, send, "Send notice")
        notice = next(m for m in reversed(world.channel(FACTORY_CHANNEL)) if any("有异议" in b for b in m.buttons))
        assert SHOWN_ZH in notice.text

        await world.click(FACTORY, FACTORY_CHANNEL, notice, "有异议")
        modal = world.fake.views[-1]
        status, _ = await world.send("interactive", world.fake.view_submission(
            FACTORY, values={"text": {"text": REASON}}, view_id=modal.id))
        assert status == 200
        await world.settled()
        assert stored_reason(world.app) == SHOWN_REASON
        told = [m.text for m in world.channel(BUYER_CHANNEL) if "disputes notice" in m.text]
        assert told and SHOWN_REASON in told[-1]

        everything = json.dumps([m.blocks for m in world.channel(BUYER_CHANNEL) + world.channel(FACTORY_CHANNEL)]
                                + [m.text for m in world.channel(BUYER_CHANNEL)], ensure_ascii=False)
        assert not HIDDEN & set(everything)
