"""The inspector's Chinese for a descriptive parameter (a carton spec, a material) is what the
factory reads; once the buyer rewords the English, that Chinese no longer matches and the
factory reads the buyer's English as written, marked as such — never a stale translation."""

from __future__ import annotations

from handlers.commands import ApproveInstruction, EditInstruction, PostVisit, SendNotice
from handlers.model import Role
from handlers.views import load_view
from messages.environment import render
from messages.i18n import CHINESE, Language
from tests.conftest import actor, example_report

CARTON = "packaging.checks.0"


async def _notice_for(app, config, new_spec: str | None) -> str:
    buyer = actor(config, Role.BUYER)
    report, photos = example_report(config)
    visit_id = (await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))).params["visit_id"]
    async with app.store.unit_of_work() as uow:
        ids = {i.source: i.id for i in await uow.instructions.for_visit(visit_id)}
    if new_spec is not None:
        await app.bus.handle(EditInstruction(ids[CARTON], params={"spec": new_spec}), buyer)
    else:
        await app.bus.handle(ApproveInstruction(ids[CARTON]), buyer)
    for source, instruction_id in ids.items():
        if source != CARTON:
            await app.bus.handle(ApproveInstruction(instruction_id), buyer)
    # A reworded spec is English only: the buyer sends anyway, and the factory reads it marked as such.
    sent = await app.bus.handle(SendNotice(visit_id, english_only_confirmed=new_spec is not None), buyer)
    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, "notice", {"notice_id": sent.params["notice_id"]})
    return render("text", "notice/section.txt.j2", Language(CHINESE, "Asia/Shanghai"), v=view)


async def test_the_factory_reads_the_inspectors_chinese_spec(app, config) -> None:
    chinese = await _notice_for(app, config, new_spec=None)
    assert "包装前将外箱升级为：五层BC楞瓦楞纸箱，边压强度44 ECT。" in chinese
    assert "5-ply" not in chinese


async def test_a_reworded_spec_is_shown_as_written_not_with_the_stale_chinese(app, config) -> None:
    chinese = await _notice_for(app, config, new_spec="7-ply corrugated carton, 55 ECT")
    assert "包装前将外箱升级为：7-ply corrugated carton, 55 ECT（英文原文）。" in chinese
    assert "五层BC楞" not in chinese
