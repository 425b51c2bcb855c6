"""Orders with several items (issue 15, section 4), told through `followup visit check` and
`followup visit analyze` on the committed example examples/visit-PO-2026-0156 (three colours of
one mug), and through a Telegram chat: the inspector posts it, the buyer reads it item by item,
the factory's notice names the item a finding was found on, and a status question answers it.

The example's figures, worked by hand (visit Tue 24 Nov, the factory works Monday to Saturday):

  item            ordered reported counted  verified reported gap   output remaining days completion
  NH-MUG-350-SG     2,000    1,060   1,000    50.0 %   53.0 %   3.0    100      1,000   10  Sat 5 Dec
  NH-MUG-350-SL     1,500      860     520    34.7 %   57.3 %  22.6     60        980   17  Mon 14 Dec
  NH-MUG-350-SD     1,000      160     150    15.0 %   16.0 %   1.0     40        850   22  Sat 19 Dec
  order             4,500    2,080   1,670    37.1 %   46.2 %   9.1    200      2,830

The order is as late as its latest item (sand at 40 a day, 19 Dec: 5 days after the final inspection
on the 14th; the order's 200 a day would finish its 2,830 units sooner, so the date is always said
with the item and its pace); the slate item's 22.6-point gap flags the order though the sums' 9.1 points would not; the
sage item is past the 40 % packaging rule with no packaging on site though the order is at 37.1 %.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import load_config
from handlers.analysis.progress import reports_chart
from handlers.intake.reports import read_report
from messages.chart import chart_labels, render_chart
from messages.environment import render
from messages.i18n import Language
from messages.reasons import reason_text
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_ITEMS_VISIT as EXAMPLE, bundle_of, changed, write_report
from tests.test_field_judgement import analysed, read_and_analysed, refused, run, summary
from tests.fakes import FakeClock
from tests.pdf_reading import pdf_text
from tests.test_status import config_file, followup, post_orders
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, INSPECTOR_ID, running

ORDER = "PO-2026-0156"
SAGE, SLATE, SAND = "NH-MUG-350-SG", "NH-MUG-350-SL", "NH-MUG-350-SD"


@pytest.fixture(autouse=True)
def direct(direct_to_fakes) -> None:
    """The fakes listen on 127.0.0.1: no proxy."""


def warned(path: Path, field: str, *phrases: str) -> None:
    result = run("visit", "check", str(path))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(f"{field}: warning: ")]
    assert any(all(p in line for p in phrases) for line in lines), result.output


# --- the example, through the CLI --------------------------------------------------------


def test_the_example_with_three_items_passes_the_check() -> None:
    result = run("visit", "check", str(EXAMPLE / "report.yaml"))
    assert result.exit_code == 0, result.output
    assert "OK — order PO-2026-0156" in result.output


def test_progress_gap_and_projection_are_judged_per_item_and_the_order_is_the_sum() -> None:
    data = analysed(EXAMPLE / "report.yaml")

    assert data["progress"] == {"ordered": 4500, "reported_complete": 2080, "verified_complete": 1670,
                                "reported_pct": 46.2, "verified_pct": 37.1, "gap_pts": 9.1}
    items = {i["code"]: i for i in data["items"]}
    assert list(items) == [SAGE, SLATE, SAND]
    assert [(i["progress"]["verified_pct"], i["progress"]["reported_pct"], i["progress"]["gap_pts"])
            for i in items.values()] == [(50.0, 53.0, 3.0), (34.7, 57.3, 22.6), (15.0, 16.0, 1.0)]
    assert [(i["remaining"], i["projected_completion"], i["slack_days"]) for i in items.values()] == [
        (1000, "2026-12-05", 9), (980, "2026-12-14", 0), (850, "2026-12-19", -5)]
    assert items[SLATE]["name_zh"] == "350毫升炻瓷马克杯，石板灰"


def test_the_order_is_as_late_as_its_latest_item() -> None:
    data = analysed(EXAMPLE / "report.yaml")

    schedule = data["schedule"]
    assert (schedule["projected_completion"], schedule["slack_days"]) == ("2026-12-19", -5)  # the sand item's
    assert (schedule["daily_output"], schedule["remaining"]) == (200, 2830)  # the order's sums
    assert data["status"] == "late"
    reasons = {r["code"]: r["text"] for r in schedule["status_reasons"]}
    assert reasons["late"] == (f"projected completion Dec 19, 2026 (item {SAND} at 40/day) is 5 days after the final "
                               "inspection on Dec 14, 2026")


def test_the_orders_completion_is_said_with_the_item_and_pace_it_comes_from() -> None:
    # 2,830 remaining at the order's 200 a day would be 15 working days (10 Dec), not 19 Dec
    data = analysed(EXAMPLE / "report.yaml")
    assert data["schedule"]["completion_item"] == {"code": SAND, "daily_output": 40, "remaining": 850}
    assert data["schedule"]["working_days_needed"] == 22  # the sand item's 850 at 40 a day

    text = summary(EXAMPLE / "report.yaml")
    assert "  Daily output observed: 200 · Remaining: 2,830\n" in text
    assert f"  Projected completion: Dec 19, 2026 (item {SAND} at 40/day)\n" in text
    read = read_and_analysed(EXAMPLE / "report.yaml")
    chinese = render("text", "chat/visit_summary.j2", Language("zh_Hans_CN"), **read)
    assert f"预计完工日期：2026年12月19日（款号{SAND}，日产40件）" in chinese


def test_little_slack_names_the_item_and_none_is_the_day_of_the_final_inspection(items_dir, items_data) -> None:
    later = changed(changed(items_data, "order.final_inspection", "2026-12-21"), "order.ex_factory", "2026-12-23")
    reasons = {r["code"]: r["text"] for r in analysed(write_report(items_dir, later))["schedule"]["status_reasons"]}
    assert reasons["little_slack"] == (f"only 2 days from projected completion on Dec 19, 2026 (item {SAND} at "
                                       "40/day) to the final inspection")

    same_day = changed(changed(items_data, "order.final_inspection", "2026-12-19"), "order.ex_factory", "2026-12-23")
    path = write_report(items_dir, same_day)
    reasons = {r["code"]: r["text"] for r in analysed(path)["schedule"]["status_reasons"]}
    assert reasons["little_slack"] == (f"projected completion on the day of the final inspection: Dec 19, 2026 "
                                       f"(item {SAND} at 40/day)")
    read = read_and_analysed(path)
    assert reason_text(Language("zh_Hans_CN"), "little_slack", read["report"], read["analysis"]) == (
        f"预计完工日期即为尾期检验当天：2026年12月19日（款号{SAND}，日产40件）")


def test_an_items_gap_the_order_sums_hide_flags_the_order_and_names_the_item() -> None:
    data = analysed(EXAMPLE / "report.yaml")

    reasons = {r["code"]: r["text"] for r in data["schedule"]["status_reasons"]}
    assert data["progress"]["gap_pts"] < 10  # the order's sums alone would not flag it
    assert reasons["progress_gap"] == (f"item {SLATE}: the factory reports 57.3 %, the inspector counted 34.7 %: "
                                       "a gap of 22.6 points")


def test_the_packaging_rule_applies_once_any_item_passes_it() -> None:
    data = analysed(EXAMPLE / "report.yaml")

    items = {i["code"]: i for i in data["items"]}
    assert data["progress"]["verified_pct"] < 40  # the order is below the threshold, the sage item is not
    assert [i["packaging_materials_risk"] for i in items.values()] == [True, False, False]
    assert data["packaging"]["materials_risk"] is True
    assert data["packaging"]["needed_by"] == "2026-11-24"  # the sage item needed them already
    reasons = {r["code"]: r["text"] for r in data["schedule"]["status_reasons"]}
    assert reasons["packaging_materials"] == (f"packaging materials are not on site and item {SAGE} is 50.0 % "
                                              "complete (rule: 40 %)")


def test_packaging_is_needed_by_the_day_the_first_item_reaches_the_rule(items_dir, items_data) -> None:
    # sage 700 of 2,000 at 100 a day: 800 (40 %) after 1 working day, Wed 25 Nov; slate 520 of
    # 1,500 at 60: 600 after 2 days; sand 150 of 1,000 at 40: 400 after 7
    data = changed(items_data, "order.items.0.counted_complete", 700)
    data = changed(data, "order.items.0.reported_complete", 750)
    result = analysed(write_report(items_dir, data))

    assert [i["packaging_needed_by"] for i in result["items"]] == ["2026-11-25", "2026-11-26", "2026-12-02"]
    assert result["packaging"] == {"materials_on_site": False, "threshold_pct": 40.0, "materials_risk": False,
                                   "needed_by": "2026-11-25"}


def test_a_stalled_item_makes_the_order_late_with_no_completion(items_dir, items_data) -> None:
    data = analysed(write_report(items_dir, changed(items_data, "order.items.0.daily_output", 0)))

    assert data["items"][0]["projected_completion"] is None
    assert data["schedule"]["projected_completion"] is None and data["status"] == "late"
    reasons = {r["code"]: r["text"] for r in data["schedule"]["status_reasons"]}
    assert reasons["no_output"] == f"item {SAGE}: no daily output observed and 1,000 units still to make"
    assert data["schedule"]["completion_item"] is None


def test_every_stalled_item_is_named_and_none_moving_is_said_so(items_dir, items_data) -> None:
    two = changed(changed(items_data, "order.items.0.daily_output", 0), "order.items.2.daily_output", 0)
    reasons = {r["code"]: r["text"] for r in analysed(write_report(items_dir, two))["schedule"]["status_reasons"]}
    assert reasons["no_output"] == (f"item {SAGE}: no daily output observed and 1,000 units still to make; "
                                    f"item {SAND}: no daily output observed and 850 units still to make")

    none = changed(two, "order.items.1.daily_output", 0)
    reasons = {r["code"]: r["text"] for r in analysed(write_report(items_dir, none))["schedule"]["status_reasons"]}
    assert reasons["no_output"] == "no item has daily output and 2,830 units still to make"


def test_units_above_an_items_quantity_count_toward_no_other_item(items_dir, items_data) -> None:
    # slate 1,560 of 1,500 (within the 5 % overrun) is 1,500 toward the order: 1,000 + 1,500 + 150
    over = changed(changed(items_data, "order.items.1.counted_complete", 1560), "order.items.1.reported_complete", 1560)
    data = analysed(write_report(items_dir, over))

    assert data["progress"] == {"ordered": 4500, "reported_complete": 2720, "verified_complete": 2650,
                                "reported_pct": 60.4, "verified_pct": 58.9, "gap_pts": 1.5}
    assert data["schedule"]["remaining"] == 1850 == data["progress"]["ordered"] - data["progress"]["verified_complete"]


def test_the_summary_shows_each_item_beside_the_orders_sums() -> None:
    text = summary(EXAMPLE / "report.yaml")

    assert "Items: 3 items, 4,500 units" in text and "Product:" not in text
    assert "Verified by inspector: 1,670 / 4,500 (37.1 %)" in text
    assert (f"• {SLATE} Stoneware mug 350 ml, slate: ordered 1,500 / reported 860 / counted 520 · verified 34.7 % "
            "· gap 22.6 pts · Projected completion: Dec 14, 2026") in text
    assert f"Packaging materials are not on site and item {SAGE} is 50.0 % complete (rule: 40 %)" in text


def test_a_one_product_report_shows_no_items(visit_dir) -> None:
    data = analysed(visit_dir / "report.yaml")

    assert [(i["code"], i["progress"]) for i in data["items"]] == [("NH-MUG-350-4", data["progress"])]
    text = summary(visit_dir / "report.yaml")
    assert "Product: Stoneware mug 350 ml, matte sage glaze, set of 4 · NH-MUG-350-4" in text
    assert "By item" not in text


def test_the_chart_shows_each_item_and_names_the_item_the_order_waits_for(tmp_path) -> None:
    config = load_config(EXAMPLE_CONFIG)
    with read_report(EXAMPLE / "report.yaml", [f.id for f in config.factories]) as checked:
        report = checked.report
    chart = reports_chart([report], config.factory(report.order.factory), config.analysis)

    assert [(i.code, i.verified_pct) for i in chart.items] == [(SAGE, 50.0), (SLATE, 34.7), (SAND, 15.0)]
    assert chart.latest.verified_pct == 37.1 and chart.projection.item == SAND
    assert chart.projection.daily_output == 40  # the line is drawn to where the sand item's pace leads
    assert chart.packaging.reached_on == report.visit.date and chart.packaging.missed  # the sage item is past 40 %
    labels = chart_labels(chart, Language("en"))
    assert (labels.completion, labels.items) == (f"Dec 19, item {SAND}", "Items, verified")
    assert labels.projection == f"Projection: item {SAND} at 40 units/day"
    result = run("chart", "--report", str(EXAMPLE / "report.yaml"), "--out", str(tmp_path / "chart.png"))
    assert result.exit_code == 0 and (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")


def test_the_chart_draws_an_item_code_as_written_never_as_a_formula() -> None:
    config = load_config(EXAMPLE_CONFIG)
    with read_report(EXAMPLE / "report.yaml", [f.id for f in config.factories]) as checked:
        report = checked.report
    codes = ("SG-$x^2$", "SL-$\\frac$", "SD-$x^$")
    items = [item.model_copy(update={"code": code}) for item, code in zip(report.order.items, codes)]
    odd = report.model_copy(update={"order": report.order.model_copy(update={"items": items})})
    chart = reports_chart([odd], config.factory(report.order.factory), config.analysis)

    # as mathtext "SD-$x^2$" would be drawn SD-x², and "SD-$x^$" stop the chart with a parse error
    assert render_chart(chart, Language("en")).startswith(b"\x89PNG")


def test_status_json_gives_the_items_and_the_portfolio_finds_the_order_by_an_item(
        tmp_path, items_dir, items_data) -> None:
    config = config_file(tmp_path)

    async def store() -> None:
        app = await build_app(load_config(config), FakeClock())
        try:
            await post_orders(app, items_dir, {ORDER: items_data})
        finally:
            await app.close()

    asyncio.run(store())
    status = json.loads(followup(config, "status", ORDER, "--json").output)
    assert status["quantity"] == 4500 and status["status"] == "late"
    assert status["product"]["name"] == ("Stoneware mug 350 ml, sage / Stoneware mug 350 ml, slate / "
                                         "Stoneware mug 350 ml, sand")
    assert [(i["code"], i["projected_completion"]) for i in status["items"]] == [
        (SAGE, "2026-12-05"), (SLATE, "2026-12-14"), (SAND, "2026-12-19")]
    assert status["schedule"]["completion_item"] == {"code": SAND, "daily_output": 40, "remaining": 850}
    for text in ("slate", "nh-mug-350-sd", "石板灰"):
        assert [o["order"] for o in json.loads(followup(config, "orders", text, "--json").output)] == [ORDER]


# --- what the check refuses, and what it accepts with a warning ---------------------------


def test_items_beside_a_product_and_quantity_are_refused(items_dir, items_data, example_data) -> None:
    data = changed(items_data, "order.product", example_data["order"]["product"])
    data = changed(data, "order.quantity", 4500)
    path = write_report(items_dir, data)

    refused(path, "order.product", "give either order.items or order.product with order.quantity, not both")
    refused(path, "order.quantity", "the order's quantity is the sum of its items")


def test_items_with_a_progress_section_are_refused(items_dir, items_data, example_data) -> None:
    path = write_report(items_dir, changed(items_data, "progress", example_data["progress"]))

    refused(path, "progress", "an order with items gives each item's progress in order.items; leave out progress")


def test_an_order_with_neither_items_nor_a_product_is_refused(items_dir, items_data) -> None:
    order = {k: v for k, v in items_data["order"].items() if k != "items"}
    path = write_report(items_dir, changed(items_data, "order", order))

    for field in ("order.product", "order.quantity", "progress"):
        refused(path, field, "required field is missing")


def test_an_item_given_twice_is_refused(items_dir, items_data) -> None:
    path = write_report(items_dir, changed(items_data, "order.items.2.code", SAGE))

    refused(path, "order.items.2.code", f"item '{SAGE}' is also order.items.0: each item is given once")


def test_a_finding_naming_an_unknown_item_is_refused_with_the_known_codes(items_dir, items_data) -> None:
    path = write_report(items_dir, changed(items_data, "findings.0.item", "NH-MUG-350-XX"))

    refused(path, "findings.0.item", "unknown item 'NH-MUG-350-XX'", f"the order's items: {SAGE}, {SLATE}, {SAND}")


def test_a_one_product_finding_may_name_the_products_item_number_and_no_other(visit_dir, example_data) -> None:
    path = write_report(visit_dir, changed(example_data, "findings.0.item", "NH-MUG-350-4"))
    assert run("visit", "check", str(path)).exit_code == 0

    path = write_report(visit_dir, changed(example_data, "findings.0.item", "NH-MUG-350-6"))
    refused(path, "findings.0.item", "unknown item 'NH-MUG-350-6'; the order's items: NH-MUG-350-4")


def test_the_overrun_is_judged_per_item(items_dir, items_data) -> None:
    # sand: 1,000 ordered, 5 % overrun accepted → up to 1,050
    within = changed(items_data, "order.items.2.counted_complete", 1040)
    within = changed(within, "order.items.2.reported_complete", 1040)
    warned(write_report(items_dir, within), "order.items.2.counted_complete",
           "counted complete 1,040 is above the ordered quantity 1,000, within the 5 % overrun accepted")

    beyond = changed(items_data, "order.items.2.reported_complete", 1051)
    refused(write_report(items_dir, beyond), "order.items.2.reported_complete",
            "reported complete 1,051 exceeds the ordered quantity 1,000 by more than the 5 % overrun accepted")


def test_counted_above_reported_is_flagged_on_the_item(items_dir, items_data) -> None:
    path = write_report(items_dir, changed(items_data, "order.items.1.counted_complete", 900))

    warned(path, "order.items.1.counted_complete",
           "counted complete 900 is more than the factory reports (860): the factory under-reports its progress")


def test_units_accounted_for_are_checked_per_item(items_dir, items_data) -> None:
    # sage: 1,000 counted + 500 in production + 200 not started = 1,700 of 2,000: 300 unaccounted
    data = changed(changed(items_data, "order.items.0.in_progress", 500), "order.items.0.not_started", 200)
    warned(write_report(items_dir, data), "order.items.0",
           "counted complete + in progress + not started = 1,700 of 2,000 ordered; 300 units are unaccounted for")

    # 1,000 + 900 + 201 = 2,101: more than 2,000 and its 5 % overrun (2,100)
    data = changed(changed(items_data, "order.items.0.in_progress", 900), "order.items.0.not_started", 201)
    refused(write_report(items_dir, data), "order.items.0",
            "counted complete + in progress + not started = 2,101, more than the ordered 2,000")


def test_a_bad_item_figure_is_refused_at_its_path_and_no_finding_is_blamed_for_it(items_dir, items_data) -> None:
    path = write_report(items_dir, changed(items_data, "order.items.1.quantity", 0))

    refused(path, "order.items.1.quantity", "input should be greater than 0")
    assert "findings.0.item" not in run("visit", "check", str(path)).output  # its item is the order's, unjudged


def test_no_example_photo_is_a_copy_of_another() -> None:
    photos = [p for p in EXAMPLE.parent.glob("*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}]
    contents = [p.read_bytes() for p in photos]
    assert len(set(contents)) == len(contents)


# --- in the chat --------------------------------------------------------------------------


def visits_stored(app) -> int:
    with sqlite3.connect(app.store.path) as db:
        (count,) = db.execute("SELECT count(*) FROM visits").fetchone()
    return count


async def test_in_the_chat_the_buyer_factory_and_status_show_the_items(config, clock, items_dir, items_data) -> None:
    async with running(config, clock) as world:
        wrong = changed(items_data, "findings.0.item", "NH-MUG-350-XX")
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", bundle_of(items_dir, wrong))
        refusal = await world.fake.wait_for(
            lambda: next((m.text for m in world.chat(INSPECTOR_ID) if "refused" in (m.text or "")), None))
        assert "findings.0.item: unknown item 'NH-MUG-350-XX'" in refusal and visits_stored(world.app) == 0

        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", bundle_of(items_dir, items_data))
        await world.fake.wait_for(lambda: any("posted" in (m.text or "") for m in world.chat(INSPECTOR_ID)))
        await world.settled()
        summary = next(m.plain for m in world.chat(BUYER_CHAT) if "Visit findings" in m.plain)
        assert "Items: 3 items, 4,500 units" in summary
        assert f"{SAND} Stoneware mug 350 ml, sand: ordered 1,000 / reported 160 / counted 150" in summary
        f1 = world.finding("F1")
        assert f"Item no.: {SLATE} Stoneware mug 350 ml, slate" in f1.plain

        await world.tap(world.buyer, BUYER_CHAT, f1, "Approve")
        await world.tap(world.buyer, BUYER_CHAT, world.last_with_button(BUYER_CHAT, "Send notice"), "Send notice")
        notice = world.last_with_button(FACTORY_CHAT, "有异议").plain
        assert f"款号：{SLATE} 350毫升炻瓷马克杯，石板灰" in notice  # the finding's item, in Chinese first
        assert f"{SAND} 350毫升炻瓷马克杯，沙色：1,000件" in notice and f"{SAND} Stoneware mug 350 ml, sand: 1,000 units" in notice
        (pdf,) = [m.document for m in world.chat(FACTORY_CHAT) if m.document]
        printed = pdf_text(pdf.content)
        assert f"款号：{SLATE} 350毫升炻瓷马克杯，石板灰" in printed and f"Item no.: {SLATE}" in printed

        status = await asked(world, world.buyer, BUYER_CHAT, f"/status {ORDER}")
        assert f"{ORDER} · 3 items" in status and "Status: LATE" in status
        assert f"• {SLATE} Stoneware mug 350 ml, slate: ordered 1,500 / reported 860 / counted 520" in status
        chinese = await asked(world, world.factory, FACTORY_CHAT, f"{ORDER} 进度")
        assert f"{ORDER} · 3款" in chinese
        assert f"• {SLATE} 350毫升炻瓷马克杯，石板灰：订单1,500 / 工厂报告860 / 清点520 · 验货员核实34.7% · 进度差异22.6个百分点" in chinese


async def asked(world, user, chat: int, question: str) -> str:
    """The status answer's text, as a photo's caption or, too long for one, a message before it."""
    before = len(world.chat(chat))
    await world.say(user, chat, question)
    return "\n".join(m.plain for m in world.chat(chat)[before:])
