"""Every message kind the bot sends on Telegram, in English and Chinese, is valid Telegram
HTML within Telegram's limits, whatever the inspector typed (<, >, & and quotes included)."""

from __future__ import annotations

import pytest

from bot.telegram.limits import split_message
from handlers.commands import (
    AcknowledgeNotice,
    ApproveInstruction,
    PostVisit,
    RejectInstruction,
    ReopenInstruction,
    ReportDone,
    SendNotice,
)
from handlers.model import Role
from handlers.views import load_view
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.render import render_view
from tests.conftest import actor, example_report
from tests.fake_telegram import TEXT_LIMIT, check_body, check_caption

HOSTILE = 'Carton <5-ply> & "wrong" </b><script>'


async def every_kind(app, config) -> list[tuple[str, dict]]:
    report, photos = example_report(config)
    findings = [f.model_copy(update={"description": f"{HOSTILE} {f.description}"}) for f in report.findings]
    report = report.model_copy(update={"findings": findings})
    bus = app.bus
    posted = await bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    visit_id = posted.params["visit_id"]
    async with app.store.unit_of_work() as uow:
        ids = [i.id for i in await uow.instructions.for_visit(visit_id)]
    buyer, factory = actor(config, Role.BUYER), actor(config, Role.FACTORY)
    await bus.handle(RejectInstruction(ids[2], reason=HOSTILE), buyer)
    for instruction_id in ids[:2] + ids[3:]:
        await bus.handle(ApproveInstruction(instruction_id), buyer)
    sent = await bus.handle(SendNotice(visit_id), buyer)
    await bus.handle(AcknowledgeNotice(sent.params["notice_id"]), factory)
    await bus.handle(ReportDone(ids[0], photos=("abc",)), factory)
    await bus.handle(ReopenInstruction(ids[0], reason=HOSTILE), buyer)
    async with app.store.unit_of_work() as uow:
        return [(m.kind, m.payload) for m in await uow.outbox.pending()]


@pytest.mark.parametrize("locale", [ENGLISH, CHINESE])
async def test_every_message_kind_is_valid_telegram_html_within_limits(app, config, locale) -> None:
    messages = await every_kind(app, config)
    kinds = {kind for kind, _ in messages}
    assert kinds >= {"visit_summary", "finding", "instruction_decided", "notice", "notice_sent",
                     "notice_answered", "notice_closed", "done_reported", "instruction_reopened"}
    language = Language(locale, "Asia/Shanghai")
    for kind, payload in messages:
        async with app.store.unit_of_work() as uow:
            view = await load_view(uow, app.settings, kind, payload)
        rendered = render_view("telegram", view, language)
        for chunk in split_message(rendered.text):
            check_body(chunk, "HTML", limit=TEXT_LIMIT, too_long="message is too long")
        if kind == "finding":
            check_caption(render("telegram", "chat/caption.j2", language, it=view.item), "HTML")
        assert HOSTILE not in rendered.text  # never raw
