"""The notice a factory production manager can act on (issue 15, section 6): by when to
answer, in the factory's own time; what each finding counted; a way to answer on paper."""

from __future__ import annotations

import re

from bot.app import build_app
from bot.config import load_config
from handlers.analysis.analyze import analyze
from handlers.commands import ApproveInstruction, ExtendDeadline, PostVisit, RejectInstruction, SendNotice
from handlers.intake.reports import check_data
from handlers.model import Role
from handlers.queries.status import order_status
from handlers.views import load_view
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.mail import letter
from messages.pdf import notice_pdf
from messages.reasons import reason_text
from messages.render import Answers, render_notice
from messages.replies import reply_text
from tests.conftest import (actor, approve_and_send, example_config_text, example_report, one_finding, person,
                            post_example)
from tests.fakes import FakeClock
from tests.pdf_reading import pdf_pages


async def sent_notice_view(app, config):
    notice_id = await approve_and_send(app, config, await post_example(app, config))
    async with app.store.unit_of_work() as uow:
        return await load_view(uow, app.settings, "notice", {"notice_id": notice_id, "version": 1})


async def test_the_factory_reads_by_when_to_acknowledge_in_beijing_time_at_the_top_of_every_notice(app, config):
    view = await sent_notice_view(app, config)  # sent 24 Nov 11:00 UTC; the factory has 24 hours

    chat = render_notice("text", view).splitlines()
    assert chat[1] == "请于北京时间2026年11月25日 19:00前确认收到本整改通知书"
    english = chat[chat.index("CORRECTIVE NOTICE CN-2026-0001, version 1") + 1]
    assert english == "Acknowledge receipt by Nov 25, 2026, 7:00 PM Beijing time"
    page = render_notice("html", view)
    assert page.index("请于北京时间2026年11月25日 19:00前确认收到本整改通知书") < page.index("工厂")
    mail = letter(view, None)
    assert "请于北京时间2026年11月25日 19:00前确认收到本整改通知书" in mail.plain
    first = pdf_pages(notice_pdf(view, app.media))[0]
    assert first.index("整改通知书 CN-2026-0001（第1版）") < first.index("请于北京时间2026年11月25日 19:00前确认收到本整改通知书")
    for text in (render_notice("text", view), page, mail.plain, first):
        assert "CST" not in text  # China Standard Time, US Central or Cuba: a factory must not guess


async def test_the_notice_keeps_the_deadline_it_was_sent_with_after_the_buyer_extends_it(app, config, clock):
    view = await sent_notice_view(app, config)
    before = notice_pdf(view, app.media)
    await app.bus.handle(ExtendDeadline(view.notice.id, 48), actor(config, Role.BUYER))
    async with app.store.unit_of_work() as uow:
        again = await load_view(uow, app.settings, "notice", {"notice_id": view.notice.id, "version": 1})
    assert again.notice.acknowledge_by != view.notice.acknowledge_by  # the extension is its own message
    assert notice_pdf(again, app.media) == before


async def test_a_factory_contact_counts_only_findings_sent_to_the_factory_as_open(app, config, clock):
    buyer, factory = actor(config, Role.BUYER), person(config, Role.FACTORY)
    visit_id = await post_example(app, config)

    async def open_line() -> list[str]:
        found = await order_status(app.store, app.settings, factory, "PO-2026-0142", clock.now())
        return [line for line in render("text", "chat/status.j2", Language(CHINESE), s=found).splitlines()
                if line.startswith("未关闭问题")]

    assert await open_line() == []  # nothing sent yet: the buyer's deliberation is not the factory's business
    async with app.store.unit_of_work() as uow:
        ids = {i.source: i.id for i in await uow.instructions.for_visit(visit_id)}
    for source, instruction_id in ids.items():
        decided = RejectInstruction(instruction_id) if source == "findings.2" else ApproveInstruction(instruction_id)
        await app.bus.handle(decided, buyer)
    await app.bus.handle(SendNotice(visit_id), buyer)

    assert await open_line() == ["未关闭问题：MA 主要缺陷2项"]  # F3, the MI finding, was rejected
    asked_by_buyer = await order_status(app.store, app.settings, person(config, Role.BUYER), "PO-2026-0142",
                                        clock.now())
    assert asked_by_buyer.open_findings() == {"major": 2}


async def test_one_instruction_is_said_in_the_singular_and_several_in_the_plural(app, config, example_data):
    buyer = actor(config, Role.BUYER)
    report, photos = example_report(config)
    posted = await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    visit_id = posted.params["visit_id"]
    assert reply_text(posted, Language(ENGLISH)) == "Visit for PO-2026-0142 posted with 7 proposed instructions."
    async with app.store.unit_of_work() as uow:
        ids = [i.id for i in await uow.instructions.for_visit(visit_id)]
    await app.bus.handle(ApproveInstruction(ids[0]), buyer)
    for instruction_id in ids[1:]:
        await app.bus.handle(RejectInstruction(instruction_id), buyer)
    sent = await app.bus.handle(SendNotice(visit_id), buyer)
    assert reply_text(sent, Language(ENGLISH)) == "Notice CN-2026-0001 sent to the factory with 1 instruction."

    one, _, problems = check_data(one_finding(example_data), ["NB-EVERGREEN"])
    assert one is not None, problems
    analysis = analyze(one, app.settings.factories["NB-EVERGREEN"], app.settings.thresholds)
    assert reason_text(Language(ENGLISH), "instructions_proposed", one, analysis) == (
        "the inspector proposed 1 corrective instruction")


async def test_each_finding_on_the_notice_says_what_was_counted_and_whether_it_is_systematic(app, config):
    view = await sent_notice_view(app, config)

    chat = render_notice("text", view).splitlines()
    assert "   检验结果：不良9件 / 抽检125件" in chat  # F1, in the random sample
    assert "   检验结果：不良40件 / 样本外检查40件 · 系统性问题" in chat  # F2, judged systematic on the line
    assert "   Found: 9 defective / 125 inspected" in chat
    assert "   Found: 40 defective / 40 checked outside the sample · systematic problem" in chat
    page = render_notice("html", view)
    assert "检验结果：不良40件 / 样本外检查40件 · 系统性问题<br>" in page


async def test_the_pdf_lists_actions_by_due_date_and_ends_with_a_signature_and_stamp_block(app, config):
    view = await sent_notice_view(app, config)
    pages = pdf_pages(notice_pdf(view, app.media))

    first = pages[0]
    table = first[first.index("整改措施完成期限一览"):first.index("1. [F1]")]
    rows = re.findall(r"(2026年\d+月\d+日) +([FMP]\d)", table)
    assert rows == [("2026年11月27日", "F2"), ("2026年11月28日", "F1"), ("2026年11月30日", "M3"),
                    ("2026年12月1日", "F3"), ("2026年12月1日", "P3"), ("2026年12月3日", "P1"), ("2026年12月3日", "P2")]
    last = pages[-1]
    for label in ("工厂负责人签字", "盖章", "日期", "我司确认收到本整改通知书，并将在各项完成期限内完成整改。"):
        assert label in last
    assert "7. [P3]" in last  # the block is kept with what it signs
    chinese_end = next(page for page in pages if "如需确认收到或提出异议" in page)
    assert "7. [P3]" in chinese_end  # the answering sentence never stands alone on a page
    for page in pages:  # every page carries an item or a section's title, not a stray sentence
        assert re.search(r"\d\. \[[FMP]\d\]|整改措施完成期限一览", page)


def unwrapped(text: str) -> str:
    """Text without the line breaks and spaces the PDF's wrapping moves about."""
    return re.sub(r"\s", "", text)


async def test_the_notice_pdf_names_the_buyer_and_the_inspector_with_how_to_reach_them(app, config):
    view = await sent_notice_view(app, config)

    pages = [unwrapped(page) for page in pdf_pages(notice_pdf(view, app.media))]
    assert unwrapped("联系人：买方 Anna Schmidt（+49 40 555 0142, anna.schmidt@nordhaus-living.example）"
                     " · 验货员 Chen Jing（+86 138 0574 0142 微信同号）") in pages[0]
    english = next(page for page in pages if "CORRECTIVENOTICE" in page.split("version1", 1)[1])
    assert unwrapped("Contacts: buyer Anna Schmidt (+49 40 555 0142, anna.schmidt@nordhaus-living.example)"
                     " · inspector Chen Jing (+86 138 0574 0142 微信同号)") in english
    # The chat notice stays one message: the contacts are on the documents (PDF, mail, robots, page) only.
    chat = render_notice("text", view)
    assert "联系人" not in chat and "Contacts" not in chat and "anna.schmidt@" not in chat


async def test_a_buyer_without_a_contact_in_the_configuration_is_named_without_one(tmp_path):
    text = example_config_text(f"sqlite:///{tmp_path / 'bare.sqlite3'}").replace(
        'contact = "+49 40 555 0142, anna.schmidt@nordhaus-living.example"  # printed on the notice\n', "")
    assert "anna.schmidt@" not in text
    (tmp_path / "followup.toml").write_text(text, encoding="utf-8")
    bare = load_config(tmp_path / "followup.toml")
    built = await build_app(bare, FakeClock())
    try:
        view = await sent_notice_view(built, bare)
    finally:
        await built.close()
    on_paper = render("text", "notice/section.txt.j2", Language(ENGLISH, "Asia/Shanghai"), v=view,
                      answers=Answers.PRINTED)
    assert "Contacts: buyer Anna Schmidt · inspector Chen Jing (+86 138 0574 0142 微信同号)" in on_paper.splitlines()
