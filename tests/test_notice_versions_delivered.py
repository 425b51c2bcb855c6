"""A notice reaches the factory as the version it was sent as, however late it arrives.

Why: a copy of version 1 held up by a rate limit once reached the factory labelled 第1版 with
wording the buyer wrote only after the factory's dispute. Each delivery of version N now
shows version N's stored wording, items and photos, and its PDF is rendered once per
version (in the CPU pool) and sent as the same bytes on every platform and every attempt.

The factory is on Telegram and Slack at once; the real python-telegram-bot and slack-sdk
clients deliver to the fake servers, people act through the bus, the clock is moved.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot

from bot.app import build_app, deliver_on_slack, deliver_on_telegram
from bot.outbox.backoff import Backoff
from handlers.commands import ApproveInstruction, DisputeNotice, EditInstruction, RejectInstruction, SendNotice
from handlers.model import Platform, Role
from tests.conftest import actor, deliver_until_done, post_example
from tests.fake_slack import FakeSlack
from tests.fake_telegram import FakeTelegram
from tests.pdf_reading import pdf_text
from tests.slack_world import BUYER_CHANNEL, FACTORY_CHANNEL, free_port, slack_config
from tests.telegram_world import FACTORY_CHAT, telegram_config

pytestmark = pytest.mark.usefixtures("direct_to_fakes")

V1_ONLY = "所有包装材料须最迟于2026年12月1日（含当日）到厂。"  # P3, rejected in version 2
NEW_NOTE = "Use 5-ply BC flute cartons, 44 ECT; send a photo of the first packed carton."


async def test_a_held_copy_of_version_one_arrives_after_the_dispute_and_edit_as_version_one(
    config, clock, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="bot.outbox.notice_documents")
    async with FakeTelegram() as telegram, FakeSlack() as slack:
        slack.add_channel(BUYER_CHANNEL, "buyer-qc")
        slack.add_channel(FACTORY_CHANNEL, "evergreen-connect")
        cfg = slack_config(telegram_config(config), free_port())
        app = await build_app(cfg, clock)
        bot = Bot(telegram.token, base_url=telegram.base_url, base_file_url=telegram.base_file_url)
        await bot.initialize()
        client = AsyncWebClient(token=slack.token, base_url=slack.api_url)
        deliver_on_telegram(app, bot)
        deliver_on_slack(app, client)
        app.dispatcher.backoff = Backoff(random=lambda: 1.0)
        try:
            buyer, factory = actor(cfg, Role.BUYER, Platform.SLACK), actor(cfg, Role.FACTORY, Platform.SLACK)
            visit_id = await post_example(app, cfg, Platform.SLACK)
            async with app.store.unit_of_work() as uow:
                ids = {i.source: i.id for i in await uow.instructions.for_visit(visit_id)}
            for source, instruction_id in ids.items():
                await app.bus.handle(RejectInstruction(instruction_id) if source == "findings.2"
                                     else ApproveInstruction(instruction_id), buyer)
            await deliver_until_done(app, clock)

            # Version 1: Telegram tells the factory's chat to slow down for an hour; Slack's first
            # PDF upload fails. The chat, not the next sendMessage: the buyer's "notice sent" goes
            # out beside the notice and may reach Telegram first.
            telegram.rate_limit(FACTORY_CHAT, retry_after=3600)
            slack.fail_next("files.getUploadURLExternal", status=500, error="internal_error")
            notice_id = (await app.bus.handle(SendNotice(visit_id), buyer)).params["notice_id"]
            await app.dispatcher.deliver_pending()
            clock.advance(seconds=30)
            await app.dispatcher.deliver_pending()  # Slack's second attempt; Telegram still waits
            assert telegram.transcript(FACTORY_CHAT) == [] and len(slack.files(FACTORY_CHANNEL)) == 1

            # The factory disputes on Slack; the buyer rewords one instruction, drops another, sends v2.
            await app.bus.handle(DisputeNotice(notice_id, "纸箱规格请按五层BC楞确认。"), factory)
            await app.bus.handle(EditInstruction(ids["packaging.checks.0"], note=NEW_NOTE), buyer)
            await app.bus.handle(RejectInstruction(ids["packaging.checks.2"], reason="Boxes arrived."), buyer)
            for source in ("findings.0", "findings.1", "materials.2", "packaging.checks.1"):
                await app.bus.handle(ApproveInstruction(ids[source]), buyer)
            sent = await app.bus.handle(SendNotice(visit_id, english_only_confirmed=True), buyer)  # Send anyway
            assert sent.params["version"] == 2
            clock.advance(hours=1)  # Telegram lets the held copy of version 1 through
            telegram.restore_chat(FACTORY_CHAT)
            await deliver_until_done(app, clock)

            on_telegram = telegram.transcript(FACTORY_CHAT)
            pdf_at = [i for i, m in enumerate(on_telegram) if m.document is not None]
            assert len(pdf_at) == 2 and pdf_at[1] == len(on_telegram) - 1  # each version's text, then its PDF
            first = on_telegram[:pdf_at[0]]
            second = on_telegram[pdf_at[0] + 1:pdf_at[1]]
            v1_text, v2_text = ("\n".join(m.plain for m in part) for part in (first, second))
            assert v1_text.startswith("整改通知书 CN-2026-0001（第1版）") and V1_ONLY in v1_text
            assert NEW_NOTE not in v1_text and not first[-1].buttons  # disputed already: nothing to tap
            assert v2_text.startswith("整改通知书 CN-2026-0001（第2版）") and NEW_NOTE in v2_text
            assert V1_ONLY not in v2_text and "确认收到" in second[-1].buttons

            v1_post, v2_post = [m for m in slack.messages(FACTORY_CHANNEL) if m.thread_ts is None]
            v1_shown = _section_text(v1_post)
            assert v1_post.edited and "第1版" in v1_shown and V1_ONLY in v1_shown and NEW_NOTE not in v1_shown
            assert "有异议" in v1_shown and not v1_post.buttons  # the dispute shown, on version 1's words
            assert "第2版" in _section_text(v2_post) and NEW_NOTE in _section_text(v2_post)

            telegram_pdfs = [on_telegram[i].document.content for i in pdf_at]
            slack_pdfs = [f.content for f in slack.files(FACTORY_CHANNEL)]
            assert telegram_pdfs == slack_pdfs and telegram_pdfs[0] != telegram_pdfs[1]
            v1_pdf, v2_pdf = (pdf_text(pdf) for pdf in telegram_pdfs)
            assert "（第1版）" in v1_pdf and "（第2版）" in v2_pdf
            assert "5-ply BC flute" not in v1_pdf and "5-ply BC flute" in v2_pdf

            # Five attempts sent a PDF or tried to (Slack twice for v1), each version rendered once.
            renders = [r.getMessage() for r in caplog.records if r.name == "bot.outbox.notice_documents"]
            assert len(renders) == 2 and "CN-2026-0001 version 1" in renders[0]
            with sqlite3.connect(app.store.path) as db:
                stored = db.execute("SELECT version, sha256 FROM notice_pdfs ORDER BY version").fetchall()
            assert stored == [(n, hashlib.sha256(pdf).hexdigest()) for n, pdf in enumerate(telegram_pdfs, 1)]
        finally:
            await bot.shutdown()
            await app.close()


def _section_text(message) -> str:
    return "\n".join(b["text"]["text"] for b in message.blocks if b.get("type") == "section")


