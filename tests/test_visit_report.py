"""The buyer's visit report PDF from the command line: what an inspection firm hands the buyer,
for colleagues who are not in the chat. The demo's story (decisions, a notice sent, extended,
acknowledged, an instruction verified) is the visit it reports on."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from bot.cli.followup import main
from handlers.commands import ApproveInstruction, DisputeNotice, RejectInstruction, SendNotice, SendVisitReport
from handlers.model import OutgoingMessage, Role
from handlers.model.message_kinds import MessageKind
from handlers.results import Reply
from handlers.queries.visit_record import visit_record
from messages.i18n import Language
from messages.pdf_layout import LINE_MM, A4Document, kept_together, text_line
from messages.report_pdf import visit_report_pdf
from tests.conftest import EXAMPLE_VISIT, actor, approve_and_send, example_config_file, post_example
from tests.fakes import FakeClock
from tests.pdf_reading import pdf_pages, pdf_text

AFTER_THE_DEMO = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database and a configuration reading it; returns the configuration file."""
    root = tmp_path_factory.mktemp("demo")
    data = root / "data"
    result = CliRunner().invoke(main, ["demo", "--dir", str(data), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return example_config_file(root / "followup.toml", f"sqlite:///{data / 'followup.sqlite3'}")


def report(config: Path, *args: str):
    return CliRunner().invoke(main, ["visit", "report", *args, "--config", str(config)],
                              obj={"clock": FakeClock(AFTER_THE_DEMO)})


def test_visit_report_from_the_cli_has_every_section_with_photos_and_chart(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "PO-2026-0142.pdf"
    result = report(demo, "PO-2026-0142", "--out", str(out))
    assert result.exit_code == 0, result.output

    pdf = out.read_bytes()
    text = pdf_text(pdf)
    sections = ["Visit report · PO-2026-0142", "Status: AT RISK", "Progress", "Schedule", "Materials", "Packaging",
                "Quality (ISO 2859-1, level II, lot 2,880)", "Findings and decisions", "Corrective notices"]
    assert [text.index(s) for s in sections] == sorted(text.index(s) for s in sections)
    assert "Factory: Ningbo Evergreen Homeware Co., Ltd. (宁波常青家居用品有限公司)" in text
    assert "Report made 1 Dec 2026, 10:00 CET" in text  # the buyer's time, its zone named
    assert "unapproved substitute: Base pad" in text  # a status reason, worded as the summary words it
    assert "Gap: 17.0 percentage points" in text
    assert "Projected completion: 12 Dec 2026" in text
    assert "Base pad: substituted — used instead: EVA foam pad, grey, 2 mm" in text
    # The AQL table: a row per severity, as the analysis judged it.
    assert re.search(r"MA major\s+2\.5\s+125\s+7 / 8\s+125\s+9\s+FAIL", text)
    # Every finding with the decision taken on it, by whom and when, and what came after.
    assert "[F3] MI minor · Finishing" in text
    assert re.search(r"rejected — Anna Schmidt, 24 Nov 2026, \d\d:\d\d CET: Within the tolerance", text)
    assert re.search(r"verified by the buyer — Anna Schmidt, \d+ Nov 2026, \d\d:\d\d CET", text)
    assert re.search(r"reported done — Li Wei, \d+ Nov 2026", text)
    # The notice sent, its items, and its answer.
    assert "Notice CN-2026-0001, version 1 · acknowledged · F1, F2, M3, P1, P2, P3" in text
    assert re.search(r"deadline extended to 27 Nov 2026, \d\d:\d\d CET — Anna Schmidt, .*\n.*acknowledged — Li Wei",
                     text)
    # The inspector judged F2 systematic: a fact, as the findings summary says it, not a suspicion.
    assert "⚠ F2 is systematic: the inspector judged it systematic" in text and "F2 looks systematic" not in text
    # The factory's answers: completion dates (and the buyer's word on the later one), its photos.
    assert re.search(r"• completion date committed: 3 Dec 2026 \(awaiting the buyer\) — Li Wei, 27 Nov 2026", text)
    assert re.search(r"• completion date 3 Dec 2026: accepted — Anna Schmidt, 27 Nov 2026, \d\d:\d\d CET", text)
    assert re.search(r"• completion date committed: 28 Nov 2026 \(accepted\) — Li Wei", text)  # on its due date
    assert "History:" in text and "Decision:" not in text  # the factory's acknowledgement is no decision
    # Photos captioned with their file name, or as the factory's correction, and what they show.
    assert re.search(r"f2-backstamp\.jpg · \[F2\] MA major · Labelling\s+and marking", text)
    assert re.search(r"photo of the correction · \[F2\] MA major ·\s+Labelling and marking", text)

    reader = PdfReader(BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4
    # The visit's seven photos, the chart and F2's corrected backstamp (P2 was "corrected" with
    # the visit's own photo: the same image).
    assert sum(len(page.images) for page in reader.pages) == 7 + 1 + 1
    pages = pdf_pages(pdf)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)} · PO-2026-0142" in page


def test_visit_report_of_a_visit_chosen_by_its_date(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "chosen.pdf"
    result = report(demo, "po2026 0142", "--visit", "2026-11-24", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Visit: During-production inspection, 24 November 2026" in pdf_text(out.read_bytes())


@pytest.mark.parametrize(("args", "said"), [
    (["PO-2099-0001"], "no visit of order 'PO-2099-0001' is stored"),
    (["PO-2026-0142", "--visit", "2026-11-25"],
     "order PO-2026-0142 has no visit on 2026-11-25 (--visit); its visits: 2026-11-24"),
    (["PO-2026-0142", "--as", "Li Wei"], "Li Wei may not read visit reports: they are the buyer's record"),
])
def test_visit_report_refused_names_the_problem_and_writes_nothing(demo: Path, tmp_path: Path, args: list[str],
                                                                    said: str) -> None:
    out = tmp_path / "report.pdf"
    result = report(demo, *args, "--out", str(out))
    assert result.exit_code == 1
    assert said in result.output and "nothing was written" in result.output
    assert list(tmp_path.iterdir()) == []


def test_visit_report_to_a_place_that_cannot_be_written_names_it(demo: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "report.pdf"
    result = report(demo, "PO-2026-0142", "--out", str(missing))
    assert result.exit_code == 1
    assert f"cannot write --out {missing}: the folder {missing.parent} does not exist" in result.output
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = report(demo, "PO-2026-0142", "--out", str(folder))
    assert result.exit_code == 2 and f"Invalid value for '--out': File '{folder}' is a directory." in result.output
    assert list(tmp_path.iterdir()) == [folder] and list(folder.iterdir()) == []


def test_visit_report_for_a_chinese_reading_buyer_is_in_chinese_in_beijing_time(demo: Path, tmp_path: Path) -> None:
    config = tmp_path / "zh.toml"
    config.write_text(demo.read_text(encoding="utf-8").replace(
        'role = "buyer"\nlocale = "en_GB"', 'role = "buyer"\nlocale = "zh_Hans_CN"').replace(
        'timezone = "Europe/Berlin"', 'timezone = "Asia/Shanghai"'), encoding="utf-8")
    out = tmp_path / "zh.pdf"
    result = report(config, "PO-2026-0142", "--out", str(out))
    assert result.exit_code == 0, result.output

    text = pdf_text(out.read_bytes())
    for heading in ("验货报告 · PO-2026-0142", "状态：有风险", "生产进度", "质量（ISO 2859-1，检验水平II，批量2,880）",
                    "检验发现及处理决定", "整改通知书", "整改通知书 CN-2026-0001（第1版）"):
        assert heading in text
    assert "报告生成时间：北京时间2026年12月1日 17:00" in text
    assert "⚠ F2为系统性问题：验货员判定为系统性问题" in text and "疑似" not in text
    assert "验货：生产中期检验，2026年11月24日" in text
    assert "建议整改措施（完成期限2026年11月28日）：" in text
    assert re.search(r"• 工厂承诺完成日期：2026年12月3日（待买方确认） — Li Wei，北京时间2026年11月27日", text)
    assert re.search(r"• 承诺完成日期2026年12月3日：已确认 — Anna Schmidt，北京时间", text)
    assert re.search(r"• 确认收到期限延长至北京时间2026年11月27日 \d\d:\d\d — Anna Schmidt", text)
    assert re.search(r"整改后照片 · \[F2\] MA 主要缺陷 · 标签与标识", text)
    assert "处理记录：" in text and "决定：" not in text
    assert re.search(r"已驳回 — Anna Schmidt，北京时间2026年11月24日 \d\d:\d\d", text)
    assert "CST" not in text and "Findings and decisions" not in text
    # The inspector's Chinese for what the report names and notes: materials, packaging, problems.
    assert "• 杯底垫：未经批准替换" in text and "[M3] 材料：杯底垫" in text and "Base pad" not in text
    assert "现场外箱为三层瓦楞纸箱" in text and "3-ply cartons" not in text
    assert "手柄连接处缩釉，局部露胎。" in text and "Glaze crawling" not in text


async def test_visit_report_tells_a_dispute_and_the_revised_notice_with_each_reason_once(app, config, clock) -> None:
    visit_id = await post_example(app, config)
    notice_id = await approve_and_send(app, config, visit_id)
    clock.advance(hours=3)
    disputed = await app.bus.handle(DisputeNotice(notice_id, "纸箱规格请按五层BC楞确认。"), actor(config, Role.FACTORY))
    assert disputed.ok, disputed
    buyer = actor(config, Role.BUYER)
    async with app.store.unit_of_work() as uow:
        again = [i for i in await uow.instructions.for_visit(visit_id) if i.is_undecided]
    clock.advance(hours=1)
    assert (await app.bus.handle(RejectInstruction(again[0].id, "Not needed after all."), buyer)).ok
    for instruction in again[1:]:
        assert (await app.bus.handle(ApproveInstruction(instruction.id), buyer)).ok
    assert (await app.bus.handle(SendNotice(visit_id), buyer)).code == "notice_revised"

    async with app.store.unit_of_work() as uow:
        visit = await uow.visits.get(visit_id)
        record = await visit_record(uow, app.settings, visit, clock.now())
    text = pdf_text(visit_report_pdf(record, Language("en_GB", "Europe/Berlin"), app.media))

    assert "Notice CN-2026-0001, version 2 · awaiting acknowledgement" in text
    notice = text[text.index("Corrective notices"):]
    assert re.search(r"• disputed — Li Wei, 24 Nov 2026, 15:00 CET: 纸箱规格请按五层BC楞确认。", notice)
    assert re.search(r"• revised and sent again — Anna Schmidt, 24 Nov 2026, 16:00 CET", notice)
    f1 = text[text.index("[F1]"):text.index("[F2]")]
    assert re.findall(r"• (.*?) —", f1) == ["approved", "sent to factory", "disputed", "rejected"]
    assert f1.count("Not needed after all.") == 1 and "纸箱规格" not in f1  # the dispute's reason is the notice's


def test_visit_report_of_an_order_of_several_items_names_each_item(tmp_path: Path, items_dir: Path) -> None:
    """An order of three colours: the report says so where a one-product order names its product,
    and gives each item's figures under Progress, as the findings summary does."""
    config = example_config_file(tmp_path / "followup.toml", f"sqlite:///{tmp_path / 'followup.sqlite3'}")
    posted = CliRunner().invoke(main, ["visit", "post", str(items_dir / "report.yaml"), "--config", str(config)],
                                obj={"clock": FakeClock(AFTER_THE_DEMO)})
    assert posted.exit_code == 0, posted.output
    out = tmp_path / "items.pdf"
    result = report(config, "PO-2026-0156", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "Items: 3 items · Ordered: 4,500" in text and "Product:" not in text
    for code in ("NH-MUG-350-SG", "NH-MUG-350-SL", "NH-MUG-350-SD"):
        assert re.search(rf"• {code} Stoneware mug 350 ml, \w+: ordered [\d,]+ / reported", text), code


async def test_visit_report_ends_on_its_notices_section_whole_never_on_a_lone_line(app, config, clock) -> None:
    """A section of text is kept on one page when it fits: the last page holds the notices'
    heading with what it says, and no page ends on a section's heading."""
    visit_id = await post_example(app, config)
    async with app.store.unit_of_work() as uow:
        record = await visit_record(uow, app.settings, await uow.visits.get(visit_id), clock.now())
    pages = pdf_pages(visit_report_pdf(record, Language("en_GB", "Europe/Berlin"), app.media))

    last = [line for line in pages[-1].splitlines()[1:-1] if line.strip()]  # within the header and the footer
    assert last[-2:] == ["Corrective notices", "No corrective notice sent yet."]
    headings = {"Progress", "Schedule", "Materials", "Packaging", "Findings and decisions", "Corrective notices"}
    for page in pages:
        ends = page.splitlines()[-2]  # above the footer
        assert ends not in headings and not ends.startswith(("Quality (ISO", "Status: AT RISK")), page


async def test_visit_report_asked_again_while_the_first_is_on_its_way_queues_nothing(app, config, clock) -> None:
    """The same visit's report to the same chat, asked for while it waits in the outbox or
    within a minute after it arrived, is not made twice; asked later, it is made afresh."""
    visit_id = await post_example(app, config)
    buyer, inspector = actor(config, Role.BUYER), actor(config, Role.INSPECTOR)  # both read the buyer's chat

    async def reports() -> list[OutgoingMessage]:
        async with app.store.unit_of_work() as uow:
            return [m for m in await uow.outbox.pending() if m.kind == MessageKind.VISIT_REPORT]

    assert (await app.bus.handle(SendVisitReport(visit_id), buyer)).code == "visit_report_coming"
    clock.advance(minutes=5)  # not delivered yet: still on its way
    again = await app.bus.handle(SendVisitReport(visit_id), inspector)
    assert again == Reply("visit_report_on_its_way", {"order": "PO-2026-0142"})
    assert len(await reports()) == 1

    await app.dispatcher.deliver_pending()
    clock.advance(seconds=59)
    assert (await app.bus.handle(SendVisitReport(visit_id), buyer)).code == "visit_report_on_its_way"
    clock.advance(seconds=2)
    assert (await app.bus.handle(SendVisitReport(visit_id), buyer)).code == "visit_report_coming"
    assert len(await reports()) == 1
    async with app.store.unit_of_work() as uow:
        asked = [e for e in await uow.audit.for_entity("visit", visit_id) if e.action == "send_visit_report"]
    assert len(asked) == 2  # a repeat is no request


def test_visit_report_of_a_reference_several_orders_match_names_them(tmp_path: Path) -> None:
    """PO-2026-0142 and PO-2026-01-42 are written alike: the report asks which one, naming both,
    and writes nothing; either one written exactly is reported."""
    config = example_config_file(tmp_path / "followup.toml", f"sqlite:///{tmp_path / 'followup.sqlite3'}")
    alike = tmp_path / "alike"
    shutil.copytree(EXAMPLE_VISIT, alike)
    report_yaml = alike / "report.yaml"
    report_yaml.write_text(report_yaml.read_text(encoding="utf-8").replace("PO-2026-0142", "PO-2026-01-42"),
                           encoding="utf-8")
    for folder in (EXAMPLE_VISIT, alike):
        posted = CliRunner().invoke(main, ["visit", "post", str(folder / "report.yaml"), "--config", str(config)],
                                    obj={"clock": FakeClock(AFTER_THE_DEMO)})
        assert posted.exit_code == 0, posted.output
    out = tmp_path / "report.pdf"

    result = report(config, "po 2026 0142", "--out", str(out))
    assert result.exit_code == 1
    assert ("'po 2026 0142' matches several orders: PO-2026-01-42, PO-2026-0142; give one exactly as written; "
            "nothing was written") in result.output
    assert not out.exists()
    assert report(config, "PO-2026-01-42", "--out", str(out)).exit_code == 0
    assert "Visit report · PO-2026-01-42" in pdf_text(out.read_bytes())


class _Sheet(A4Document):
    def head(self) -> str:
        return "head"

    def foot(self) -> str:
        return "foot"


def test_a_block_kept_together_starts_a_new_page_rather_than_leave_a_line_behind() -> None:
    """What would break over the page's end starts the next page when it fits on one; what is
    longer than a page breaks where it must, with no page left empty before it."""
    sheet = _Sheet("title", AFTER_THE_DEMO)
    sheet.add_page()
    sheet.set_y(sheet.page_break_trigger - 2.5 * LINE_MM)  # room for two lines of three
    kept_together(sheet, lambda d: [text_line(d, line, 10) for line in ("Corrective notices", "  Notice", "  • sent")])
    sheet.set_y(sheet.page_break_trigger - 2.5 * LINE_MM)
    kept_together(sheet, lambda d: [text_line(d, f"line {n}", 10) for n in range(80)])

    pages = [page.splitlines() for page in pdf_pages(bytes(sheet.output()))]
    assert [line for line in pages[0] if line not in ("head", "foot")] == []
    assert pages[1][1:4] == ["Corrective notices", "Notice", "• sent"]
    assert pages[1][-3:-1] == ["line 0", "line 1"] and pages[2][1] == "line 2"
