"""What a factory reads is Chinese: once the free text people wrote (shown as written and
labelled) is set aside, no English word may remain in a factory-facing message."""

from __future__ import annotations

import re

from handlers import catalog
from handlers.commands import AcknowledgeNotice, ApproveInstruction, PostVisit, RejectInstruction, SendNotice
from handlers.model import Role
from handlers.queries.status import order_status
from handlers.views import load_view
from messages.environment import render
from messages.i18n import CHINESE, Language
from messages.render import Answers, render_view
from tests.conftest import actor, example_report, person

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
ALLOWED = {"AQL", "ISO", "CST"}  # codes factories use as they are


def free_texts(view) -> list[str]:
    """Everything a person wrote or named: shown as written, never translated."""
    report = view.visit.report
    texts = [report.order.reference, report.order.buyer or "", report.order.product.name, report.visit.inspector,
             view.factory.name, "Li Wei", "Anna Schmidt", *(c.contact for c in view.contacts if c.contact)]
    for item in view.items:
        x = item.item
        texts += [getattr(x, name, None) or "" for name in ("description", "description_zh", "note", "note_zh",
                                                             "reference", "name", "name_zh", "substitute", "approved")]
        texts += list(x.photos)
        if item.instruction:
            instruction = item.instruction
            kind = catalog.BY_KEY[instruction.kind]
            verbatim = [str(instruction.params[p.name]) for p in kind.params if not p.describes]
            texts += [instruction.note or "", instruction.note_zh or "", *verbatim, *item.params_zh.values()]
    return sorted((t for t in texts if t), key=len, reverse=True)


def english_left(text: str, view) -> set[str]:
    for free in free_texts(view):
        text = text.replace(free, " ")
    return set(ENGLISH_WORD.findall(text)) - ALLOWED


async def test_the_notice_status_and_answers_a_factory_reads_are_chinese(app, config, clock) -> None:
    report, photos = example_report(config)
    posted = await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    visit_id = posted.params["visit_id"]
    async with app.store.unit_of_work() as uow:
        ids = [i.id for i in await uow.instructions.for_visit(visit_id)]
    buyer = actor(config, Role.BUYER)
    await app.bus.handle(RejectInstruction(ids[2]), buyer)
    for instruction_id in ids[:2] + ids[3:]:
        await app.bus.handle(ApproveInstruction(instruction_id), buyer)
    sent = await app.bus.handle(SendNotice(visit_id), buyer)
    await app.bus.handle(AcknowledgeNotice(sent.params["notice_id"]), actor(config, Role.FACTORY))
    zh = Language(CHINESE, "Asia/Shanghai")

    async with app.store.unit_of_work() as uow:
        notice = await load_view(uow, app.settings, "notice", {"notice_id": sent.params["notice_id"]})
        closed = await load_view(uow, app.settings, "notice_closed", {"notice_id": sent.params["notice_id"]})
    chinese_part = render("text", "notice/section.txt.j2", zh, v=notice)
    assert english_left(chinese_part, notice) == set()
    on_paper = render("text", "notice/section.txt.j2", zh, v=notice, answers=Answers.PRINTED)
    assert "联系人：买方 Anna Schmidt" in on_paper and english_left(on_paper, notice) == set()
    assert english_left(render_view("telegram", closed, zh).text, closed) == set()

    status = await order_status(app.store, app.settings, person(config, Role.FACTORY), "PO-2026-0142", clock.now())
    rendered = render("telegram", "chat/status.j2", zh, s=status)
    assert english_left(rendered, notice) == set()
    assert english_left(render("telegram", "chat/help.j2", zh), notice) == {"status", "orders", "factories", "late"}  # the commands
