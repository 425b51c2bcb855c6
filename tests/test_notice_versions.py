"""A disputed notice is not a dead end: the buyer decides each instruction again and sends
the notice's next version under the same number; the version the factory disputed stays
readable as it was."""

from __future__ import annotations

from handlers.commands import (
    AcknowledgeNotice,
    ApproveInstruction,
    DisputeNotice,
    EditInstruction,
    PostVisit,
    RejectInstruction,
    SendNotice,
)
from handlers.model import InstructionState as S
from handlers.model import NoticeState, Role
from handlers.views import load_notice_version, load_view
from messages.i18n import CHINESE, Language
from messages.render import render_notice
from messages.replies import reply_text
from tests.conftest import actor, example_report


async def test_the_buyer_revises_a_disputed_notice_and_version_one_stays_readable(app, config) -> None:
    buyer, factory = actor(config, Role.BUYER), actor(config, Role.FACTORY)
    report, photos = example_report(config)
    visit_id = (await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))).params["visit_id"]
    async with app.store.unit_of_work() as uow:
        ids = {i.source: i.id for i in await uow.instructions.for_visit(visit_id)}
    for source, instruction_id in ids.items():
        command = RejectInstruction(instruction_id) if source == "findings.2" else ApproveInstruction(instruction_id)
        await app.bus.handle(command, buyer)
    first = await app.bus.handle(SendNotice(visit_id), buyer)
    notice_id = first.params["notice_id"]
    await app.bus.handle(DisputeNotice(notice_id, "纸箱规格请按五层BC楞确认。"), factory)

    not_yet = await app.bus.handle(SendNotice(visit_id), buyer)
    assert (not_yet.ok, not_yet.code, not_yet.params["undecided"]) == (False, "notice_not_ready", 6)

    new_note = "Use 5-ply BC flute cartons, 44 ECT; send a photo of the first packed carton."
    await app.bus.handle(EditInstruction(ids["packaging.checks.0"], note=new_note), buyer)
    await app.bus.handle(RejectInstruction(ids["packaging.checks.2"], reason="Boxes arrived."), buyer)
    for source in ("findings.0", "findings.1", "materials.2", "packaging.checks.1"):
        await app.bus.handle(ApproveInstruction(ids[source]), buyer)
    # The new note reaches the factory in English only: the first Send warns, the second sends.
    held = await app.bus.handle(SendNotice(visit_id), buyer)
    assert (held.ok, held.code, held.params) == (True, "notice_english_only", {"count": 1})
    second = await app.bus.handle(SendNotice(visit_id), buyer)

    assert (second.code, second.params["number"], second.params["version"], second.params["count"]) == (
        "notice_revised", "CN-2026-0001", 2, 5)
    assert reply_text(second, Language("en")) == (
        "Notice CN-2026-0001, version 2, sent to the factory with 5 instructions.")
    async with app.store.unit_of_work() as uow:
        notice = await uow.notices.get(notice_id)
        states = {i.source: i.state for i in await uow.instructions.for_visit(visit_id)}
        current = await load_view(uow, app.settings, "notice", {"notice_id": notice_id})
        earlier = await load_notice_version(uow, app.settings, notice_id, 1)
    assert (notice.version, notice.state, notice.answered, notice.dispute_reason) == (2, NoticeState.SENT, None, None)
    assert states["packaging.checks.0"] is S.SENT and states["packaging.checks.2"] is S.REJECTED

    now = render_notice("text", current)
    then = render_notice("text", earlier)
    assert now.startswith("整改通知书 CN-2026-0001（第2版）") and new_note in now
    assert then.startswith("整改通知书 CN-2026-0001（第1版）") and new_note not in then
    assert "所有包装材料须最迟于2026年12月1日（含当日）到厂。" in then and "所有包装材料须最迟于" not in now

    thanks = await app.bus.handle(AcknowledgeNotice(notice_id), factory)
    assert reply_text(thanks, Language(CHINESE)) == "谢谢，已确认收到整改通知书CN-2026-0001。"
