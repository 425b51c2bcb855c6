"""The Chinese a QC engineer in China writes (issue 15, section 8), where a word carries a
judgement: a failed severity reads 不良9件，超出允收数Ac 7; 系统性问题 is what the inspector
judged on the line, 疑似系统性问题 what the bot's rules only suspect (a rate, a kind of fault);
a date the factory must meet reads 最迟于…（含当日）, so no one argues whether the day counts."""

from __future__ import annotations

from bot.config import load_config
from handlers.analysis.analyze import analyze
from handlers.commands import PostVisit
from handlers.intake.reports import check_data
from handlers.model import Role
from handlers.views import load_view
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.reasons import reason_text
from messages.render import render_notice
from tests.conftest import EXAMPLE_CONFIG, actor, approve_and_send, changed, example_report

ZH, EN = Language(CHINESE), Language(ENGLISH)


def checked(data: dict):
    report, _, problems = check_data(data, ["NB-EVERGREEN"])
    assert report is not None, problems
    plant = load_config(EXAMPLE_CONFIG).factory("NB-EVERGREEN")
    return report, analyze(report, plant, load_config(EXAMPLE_CONFIG).analysis), plant


def high_rate(example_data: dict) -> dict:
    """The example with F1's glaze crawl on 16 of 125 units (12.8 %, over the 10 % rule): the
    inspector did not call it systematic, the rate makes the bot suspect it; F2's backstamp
    stays the inspector's judgement."""
    return changed(example_data, "findings.0.units_affected", 16)


def test_a_failed_severity_reads_defects_over_the_acceptance_number(example_data):
    report, analysis, _ = checked(example_data)

    assert reason_text(ZH, "quality_fail", report, analysis) == "抽样检验不合格（AQL）：MA 主要缺陷不良9件，超出允收数Ac 7"
    assert reason_text(EN, "quality_fail", report, analysis) == "the sample fails the AQL: MA major found 9, accept 7"


def test_the_summary_says_systematic_where_the_inspector_judged_it_and_suspected_where_the_rate_did(example_data):
    report, analysis, plant = checked(high_rate(example_data))

    chinese = render("text", "chat/visit_summary.j2", ZH, report=report, analysis=analysis, factory=plant)
    assert "⚠ F1疑似系统性问题：不良率偏高" in chinese
    assert "⚠ F2为系统性问题：验货员判定为系统性问题" in chinese
    assert "F2疑似" not in chinese  # the backstamp was seen on every unit of a kiln batch: no doubt about it
    assert reason_text(ZH, "systematic", report, analysis) == "系统性问题：F2；F1疑似系统性问题"
    english = render("text", "chat/visit_summary.j2", EN, report=report, analysis=analysis, factory=plant)
    assert "⚠ F1 looks systematic: a high share of the units checked is affected" in english
    assert "⚠ F2 is systematic: the inspector judged it systematic" in english


def test_the_details_name_materials_and_packaging_notes_in_the_readers_language(example_data):
    """What the inspector wrote in both languages (name_zh, note_zh) reaches a Chinese reader in
    Chinese, an English one in English; a note given in English only is marked as such."""
    report, analysis, plant = checked(example_data)

    chinese = render("text", "chat/visit_details.j2", ZH, report=report, analysis=analysis, factory=plant)
    assert "产品：350毫升哑光鼠尾草绿釉炻瓷马克杯（4只装）" in chinese
    assert "• 杯底垫：未经批准替换" in chinese and "Base pad" not in chinese
    assert "• 外箱：有误 — 现场外箱为三层瓦楞纸箱；" in chinese and "3-ply" not in chinese
    english = render("text", "chat/visit_details.j2", EN, report=report, analysis=analysis, factory=plant)
    assert "• Base pad: substituted" in english and "• Master carton: wrong — 3-ply cartons on site;" in english
    assert "杯底垫" not in english and "三层" not in english

    english_only = changed(example_data, "packaging.checks.0.note_zh", None)
    report, analysis, plant = checked(english_only)
    chinese = render("text", "chat/visit_details.j2", ZH, report=report, analysis=analysis, factory=plant)
    assert "• 外箱：有误 — 【原文（英文）】3-ply cartons on site;" in chinese


async def test_the_notice_marks_a_finding_the_rate_flags_as_suspected_systematic(app, config, example_data):
    report, _, _ = checked(high_rate(example_data))
    _, photos = example_report(config)
    posted = await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    notice_id = await approve_and_send(app, config, posted.params["visit_id"])
    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, "notice", {"notice_id": notice_id, "version": 1})

    lines = render_notice("text", view).splitlines()
    assert "   检验结果：不良16件 / 抽检125件 · 疑似系统性问题" in lines  # F1: the bot's suspicion
    assert "   检验结果：不良40件 / 样本外检查40件 · 系统性问题" in lines  # F2: the inspector's judgement
    assert "   Found: 16 defective / 125 inspected · looks systematic" in lines
    assert "   Found: 40 defective / 40 checked outside the sample · systematic problem" in lines


async def test_a_date_the_factory_must_meet_counts_the_day_itself(app, config, example_data):
    report, _, _ = checked(example_data)
    _, photos = example_report(config)
    posted = await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    notice_id = await approve_and_send(app, config, posted.params["visit_id"])
    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, "notice", {"notice_id": notice_id, "version": 1})

    text = render_notice("text", view)
    assert "   整改措施：所有包装材料须最迟于2026年12月1日（含当日）到厂。" in text.splitlines()
    assert "   Required action: Have all packaging materials on site by December 1, 2026." in text.splitlines()


def test_the_summarys_progress_lines_take_full_width_brackets_and_no_space_in_chinese(example_data):
    """进度差异17.0个百分点 and 2,880 / 6,000（48.0%）, as the status answer writes them; the English
    keeps its own spacing."""
    report, analysis, plant = checked(example_data)

    chinese = render("text", "chat/visit_summary.j2", ZH, report=report, analysis=analysis, factory=plant)
    assert "2,880 / 6,000（48.0%）" in chinese and "进度差异：17.0个百分点" in chinese
    english = render("text", "chat/visit_summary.j2", EN, report=report, analysis=analysis, factory=plant)
    assert "2,880 / 6,000 (48.0 %)" in english and "Gap: 17.0 percentage points" in english
