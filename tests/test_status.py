"""Asking about orders: references written as people remember them, what each person may
see, the portfolio's order, the next step, and `followup status` / `followup orders` on
the command line (text and JSON) over a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import build_app
from bot.chat.answers import answer
from bot.chat.intents import Portfolio, StatusOf, intent_of
from bot.cli.followup import main
from bot.config import load_config
from handlers.commands import AcknowledgeNotice, Actor, ApproveInstruction, ImportOrders, PostVisit, SendNotice
from handlers.intake.reports import read_report
from handlers.model import Platform, Role
from handlers.model.orders import OrderLine
from handlers.queries.status import (
    Filters,
    NotVisited,
    OrderStatus,
    PortfolioLine,
    UnknownOrder,
    order_status,
    portfolio_page,
    reference_key,
)
from handlers.sight import may_see_factory
from handlers.verdicts import rejudge
from tests.conftest import changed, example_config_file, one_finding, write_report
from tests.fakes import FakeClock

ORDER, OTHER_ORDER = "PO-2026-0142", "PO-2026-0143"
OTHER_FACTORY = """
[[factories]]
id = "SZ-OTHER"
name = "Shenzhen Other Ceramics Ltd."
name_zh = "深圳其他陶瓷有限公司"

[[people]]
name = "Zhao Min"
role = "factory"
factory = "SZ-OTHER"
locale = "zh_Hans_CN"
timezone = "Asia/Shanghai"
"""


@pytest.mark.parametrize("written", ["PO-2026-0142", "po-2026-0142", "PO20260142", "po2026 0142", "po_2026.0142",
                                     " Po 2026 0142 "])
def test_a_reference_is_the_same_order_whatever_its_case_and_separators(written: str) -> None:
    assert reference_key(written) == reference_key(ORDER) == "po20260142"


@pytest.mark.parametrize(("text", "reference"), [
    ("status PO-2026-0142", "PO-2026-0142"),
    ("/status po2026 0142", "po2026 0142"),
    ("PO-2026-0142 进度", "PO-2026-0142"),
    ("po2026 0142进度？", "po2026 0142"),
    ("订单 PO-2026-0142 怎么样了", "PO-2026-0142"),
    ("订单PO-2026-0142的进度如何？", "PO-2026-0142"),
    ("PO-2026-0142 怎么样了", "PO-2026-0142"),
    ("how is po2026 0142", "po2026 0142"),
    ("How's PO-2026-0142?", "PO-2026-0142"),
    ("what is the status of order po 2026 0142?", "po 2026 0142"),
])
def test_status_questions_in_both_languages(text: str, reference: str) -> None:
    assert intent_of(text) == StatusOf(reference)


@pytest.mark.parametrize("text", ["how is it going", "how is everyone?", "订单怎么样了", "我们的进度怎么样了"])
def test_small_talk_is_not_a_status_question(text: str) -> None:
    assert not isinstance(intent_of(text), StatusOf)


# --- stored orders -------------------------------------------------------------------------------


def config_file(tmp_path: Path) -> Path:
    """The example configuration with a second factory and its contact, on a temp database."""
    return example_config_file(tmp_path / "followup.toml", f"sqlite:///{tmp_path / 'status.sqlite3'}", OTHER_FACTORY)


def on_track(data: dict) -> dict:
    """One finding, counted as reported, a fast line and a sample that passes."""
    ours = changed(changed(one_finding(data), "progress.reported_complete", 2880), "progress.daily_output", 600)
    return changed(ours, "findings.0.units_affected", 1)


def orders_of(data: dict) -> dict[str, dict]:
    """Four orders: ours at risk (the example), late, on track, and another factory's."""
    return {
        ORDER: data,
        "PO-2026-0150": changed(changed(data, "order.reference", "PO-2026-0150"), "progress.daily_output", 20),
        "PO-2026-0160": changed(on_track(data), "order.reference", "PO-2026-0160"),
        OTHER_ORDER: changed(changed(data, "order.reference", OTHER_ORDER), "order.factory", "SZ-OTHER"),
    }


async def post_orders(app, visit_dir: Path, reports: dict[str, dict]) -> dict[str, int]:
    inspector = Actor(next(p for p in app.config.people if p.role is Role.INSPECTOR), Platform.CONSOLE)
    visits = {}
    for reference, data in reports.items():
        with read_report(write_report(visit_dir, data), app.settings.factories) as checked:
            assert checked.ok, checked.problems
            for photo in checked.photos.values():
                app.media.put(photo.path, photo.sha256, photo.format)
            photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        visits[reference] = (await app.bus.handle(PostVisit(checked.report, photos), inspector)).params["visit_id"]
    return visits


async def send_notice(app, visit_id: int) -> int:
    buyer = Actor(next(p for p in app.config.people if p.role is Role.BUYER), Platform.CONSOLE)
    async with app.store.unit_of_work() as uow:
        ids = [i.id for i in await uow.instructions.for_visit(visit_id)]
    for instruction_id in ids:
        await app.bus.handle(ApproveInstruction(instruction_id), buyer)
    return (await app.bus.handle(SendNotice(visit_id), buyer)).params["notice_id"]


async def portfolio(store, settings, person, now) -> list[OrderStatus]:
    """The oracle of the stored-verdict listing: every visited order the person may see,
    answered afresh (each report analysed) and sorted by `PortfolioLine.attention`."""
    async with store.unit_of_work() as uow:
        latest = await uow.visits.latest_per_order()
    statuses = [await order_status(store, settings, person, visit.order_reference, now) for visit in latest
                if may_see_factory(person, visit.factory_id)]
    return sorted(statuses, key=PortfolioLine.attention)


def mentions(status: OrderStatus, text: str) -> bool:
    """Whether a search word names the order: its reference, product or factory, as a listing's
    text filter keeps it."""
    key = reference_key(text)
    product = status.visit.report.order.product
    names = (status.reference, product.name, product.name_zh or "", status.factory.id, status.factory.name,
             status.factory.name_zh)
    return bool(key) and any(key in reference_key(name) for name in names)


def people(app) -> dict[str, object]:
    return {p.name: p for p in app.config.people}


@pytest.fixture
async def stored(tmp_path: Path, visit_dir: Path, example_data: dict, clock: FakeClock):
    app = await build_app(load_config(config_file(tmp_path)), clock)
    visits = await post_orders(app, visit_dir, orders_of(example_data))
    yield app, visits
    await app.close()


async def test_an_order_is_found_however_its_reference_is_written(stored, clock) -> None:
    app, _ = stored
    buyer = people(app)["Anna Schmidt"]
    for written in ("po2026 0142", "PO20260142", "po-2026-0142"):
        found = await order_status(app.store, app.settings, buyer, written, clock.now())
        assert found.visit.order_reference == ORDER
    ambiguous = await order_status(app.store, app.settings, buyer, "2026 014", clock.now())
    assert isinstance(ambiguous, UnknownOrder) and set(ambiguous.suggestions) >= {ORDER, OTHER_ORDER}


async def test_a_factory_contact_never_hears_of_another_factorys_orders(stored, clock) -> None:
    app, _ = stored
    li_wei = people(app)["Li Wei"]
    for written in (OTHER_ORDER, "po2026 0143", "PO-2026-0144", "2026 014"):
        found = await order_status(app.store, app.settings, li_wei, written, clock.now())
        assert isinstance(found, UnknownOrder)
        assert OTHER_ORDER not in found.suggestions
    assert [s.visit.order_reference for s in await portfolio(app.store, app.settings, li_wei, clock.now())] == [
        "PO-2026-0150", ORDER, "PO-2026-0160"]


async def test_the_portfolio_puts_late_first_then_overdue_work_then_the_larger_gap(stored, clock) -> None:
    app, visits = stored
    buyer = people(app)["Anna Schmidt"]
    await send_notice(app, visits[OTHER_ORDER])
    clock.advance(days=10)  # every instruction of the other order is past its due date
    ranked = await portfolio(app.store, app.settings, buyer, clock.now())

    assert [s.visit.order_reference for s in ranked] == ["PO-2026-0150", OTHER_ORDER, ORDER, "PO-2026-0160"]
    late, overdue, at_risk, fine = ranked
    assert late.analysis.status == "late" and fine.analysis.status == "on_track"
    assert len(overdue.overdue) == 7 and not at_risk.overdue
    assert overdue.past_deadline and overdue.days_to_final_inspection == 10


async def test_the_next_step_follows_the_order_for_buyer_and_factory(stored, clock) -> None:
    app, visits = stored
    crowd = people(app)
    buyer, factory = crowd["Anna Schmidt"], crowd["Li Wei"]

    async def steps() -> tuple[str, str]:
        now = clock.now()
        return ((await order_status(app.store, app.settings, buyer, ORDER, now)).next_step,
                (await order_status(app.store, app.settings, factory, ORDER, now)).next_step)

    assert await steps() == ("decide_proposed", "nothing")
    notice_id = await send_notice(app, visits[ORDER])
    assert await steps() == ("adjust_final_inspection", "acknowledge")  # at risk; the notice is within its day
    clock.advance(hours=30)
    assert await steps() == ("chase_acknowledgement", "acknowledge")
    await app.bus.handle(AcknowledgeNotice(notice_id), Actor(factory, Platform.CONSOLE))
    assert await steps() == ("adjust_final_inspection", "report_done")
    clock.advance(days=10)
    assert await steps() == ("chase_overdue", "finish_overdue")


# --- the command line ----------------------------------------------------------------------------


def prepare(tmp_path: Path, visit_dir: Path, data: dict, notice_for: str | None = None) -> Path:
    """The orders stored, and a notice sent for one of them, on 24 Nov 2026."""
    config = config_file(tmp_path)

    async def store() -> None:
        app = await build_app(load_config(config), FakeClock())
        try:
            visits = await post_orders(app, visit_dir, orders_of(data))
            if notice_for:
                await send_notice(app, visits[notice_for])
        finally:
            await app.close()

    asyncio.run(store())
    return config


def followup(config: Path, *args: str, at: datetime = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)):
    return CliRunner().invoke(main, [*args, "--config", str(config)], obj={"clock": FakeClock(at)})


def test_followup_status_prints_what_the_chat_answers(tmp_path, visit_dir, example_data) -> None:
    config = prepare(tmp_path, visit_dir, example_data, notice_for=ORDER)
    result = followup(config, "status", "po2026 0142")

    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"━━ {ORDER} · Stoneware mug")
    assert "Status: AT RISK" in out and "gap 17.0 pts" in out
    assert "Instructions: 7 sent to factory" in out
    assert ("Notice CN-2026-0001: awaiting acknowledgement — sent 46 hours ago (24 Nov 2026, 12:00 CET)"
            " · Acknowledge by: 25 Nov 2026, 12:00 CET · past the deadline") in out
    assert "Next step: Remind the factory: a notice is unanswered past its deadline." in out

    chinese = followup(config, "status", ORDER, "--as", "Li Wei")
    assert "整改通知书 CN-2026-0001：待确认收到 — 已发出46小时" in chinese.output
    assert "下一步：请确认收到整改通知书；如有异议，请点击“有异议”并说明理由。" in chinese.output


def test_followup_status_json(tmp_path, visit_dir, example_data) -> None:
    config = prepare(tmp_path, visit_dir, example_data, notice_for=ORDER)
    result = followup(config, "status", ORDER, "--json", at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)

    assert status["order"] == ORDER
    assert status["factory"] == {"id": "NB-EVERGREEN", "name": "Ningbo Evergreen Homeware Co., Ltd.",
                                 "name_zh": "宁波常青家居用品有限公司"}
    assert status["product"]["name"].startswith("Stoneware mug") and status["quantity"] == 6000
    assert status["status"] == "at_risk" and "progress_gap" in [r["code"] for r in status["reasons"]]
    # Production started 2 Nov: 22 of the 42 days to the final inspection had passed at the visit.
    assert status["progress"] == {"verified_pct": 48.0, "reported_pct": 65.0, "gap_pts": 17.0, "planned_pct": 52.4}
    assert status["schedule"] == {"production_start": "2026-11-02", "projected_completion": "2026-12-12",
                                  "final_inspection": "2026-12-14", "ex_factory": "2026-12-18", "slack_days": 2,
                                  "days_to_final_inspection": 13, "completion_item": None}
    assert status["instructions"]["sent"] == 7 and status["instructions"]["proposed"] == 0
    assert status["overdue"] == 3  # due 27, 28 and 30 Nov; what is due 1 Dec at the factory is not late yet
    assert [(i["item"], i["deadline"]) for i in status["overdue_instructions"]][0] == ("F2", "2026-11-27")
    (notice,) = status["notices"]
    assert notice == {"number": "CN-2026-0001", "version": 1, "state": "sent", "sent_at": "2026-11-24T11:00:00+00:00",
                      "acknowledge_by": "2026-11-25T11:00:00+00:00", "acknowledged_at": None, "disputed_at": None,
                      "past_deadline": True, "reminders": 0}
    assert status["next_step"]["code"] == "chase_acknowledgement"


def test_an_unknown_or_foreign_order_exits_1_without_naming_other_factories_orders(
        tmp_path, visit_dir, example_data) -> None:
    config = prepare(tmp_path, visit_dir, example_data)
    unknown = followup(config, "status", "PO-2026-0124")
    assert unknown.exit_code == 1
    assert "I don't know order PO-2026-0124. Did you mean:" in unknown.output

    foreign = followup(config, "status", OTHER_ORDER, "--as", "Li Wei")
    assert foreign.exit_code == 1
    assert foreign.output.count(OTHER_ORDER) == 1 and "PO-2026-0142" in foreign.output  # only the one asked for
    assert followup(config, "status", OTHER_ORDER, "--as", "Nobody").exit_code == 2


def test_followup_orders_lists_what_needs_attention_first(tmp_path, visit_dir, example_data) -> None:
    config = prepare(tmp_path, visit_dir, example_data, notice_for=OTHER_ORDER)
    listed = json.loads(followup(config, "orders", "--json", at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC)).output)

    assert [o["order"] for o in listed] == ["PO-2026-0150", OTHER_ORDER, ORDER, "PO-2026-0160"]
    other = listed[1]
    assert other["status"] == "at_risk" and other["factory"]["id"] == "SZ-OTHER"
    assert (other["gap_pts"], other["days_to_final_inspection"]) == (17.0, 10)
    assert (other["overdue"], other["awaiting_acknowledgement"], other["past_acknowledgement_deadline"]) == (7, 1, 1)
    assert set(listed[0]) >= {"order", "status", "factory", "gap_pts", "days_to_final_inspection", "overdue",
                              "awaiting_acknowledgement"}

    def orders(*args: str) -> list[str]:
        return [o["order"] for o in json.loads(followup(config, "orders", "--json", *args).output)]

    assert orders("--status", "at_risk") == [OTHER_ORDER, ORDER]
    assert orders("--factory", "sz-other") == [OTHER_ORDER]
    assert orders("0160") == ["PO-2026-0160"]
    assert orders("--as", "Li Wei") == ["PO-2026-0150", ORDER, "PO-2026-0160"]
    assert orders("--as", "Li Wei", "--factory", "SZ-OTHER") == []

    text = followup(config, "orders").output
    assert text.startswith("Orders, most urgent first\n1. PO-2026-0150")
    assert "2. PO-2026-0143 · Shenzhen Other Ceramics Ltd. · AT RISK" in text
    assert "1 notice awaiting acknowledgement (1 past its deadline)" in text
    assert followup(config, "orders", "--status", "late", "nothing-like-it").output.endswith("No orders match.\n")


async def test_a_portfolio_page_ranks_as_the_whole_portfolio_does_from_stored_verdicts(stored, clock) -> None:
    app, visits = stored
    buyer, li_wei = people(app)["Anna Schmidt"], people(app)["Li Wei"]
    await send_notice(app, visits[OTHER_ORDER])
    clock.advance(days=10)
    now = clock.now()
    whole = await portfolio(app.store, app.settings, buyer, now)

    first = await portfolio_page(app.store, app.settings, buyer, now, 1, size=3)
    second = await portfolio_page(app.store, app.settings, buyer, now, 2, size=3)
    assert [s.reference for s in first.lines + second.lines] == [s.reference for s in whole]
    assert (first.pages, first.total, second.offset, len(second.lines)) == (2, 4, 3, 1)
    for line, status in zip(first.lines + second.lines, whole, strict=True):  # the line says what the answer says
        assert (line.verdict, line.final_inspection, line.next_step, len(line.overdue)) == (
            status.verdict, status.final_inspection, status.next_step, len(status.overdue))
    own = await portfolio_page(app.store, app.settings, li_wei, now)
    assert [s.reference for s in own.lines] == ["PO-2026-0150", ORDER, "PO-2026-0160"]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
async def test_pages_of_any_size_cut_across_late_at_risk_and_on_track_orders_without_a_gap(stored, clock,
                                                                                            size) -> None:
    app, _ = stored
    buyer = people(app)["Anna Schmidt"]
    now = clock.now()
    whole = [s.reference for s in await portfolio(app.store, app.settings, buyer, now)]
    first = await portfolio_page(app.store, app.settings, buyer, now, 1, size=size)
    pages = [first] + [await portfolio_page(app.store, app.settings, buyer, now, n, size=size)
                       for n in range(2, first.pages + 1)]
    assert [line.reference for page in pages for line in page.lines] == whole
    assert all(page.total == 4 for page in pages)


@pytest.mark.parametrize("filters", [
    Filters(status="at_risk"), Filters(factory_id="sz-other"), Filters(text="0160"), Filters(text="shenzhen"),
    Filters(text="陶瓷"), Filters(text="--"), Filters(status="late", text="nothing-like-it"),
])
async def test_a_filtered_listing_keeps_and_ranks_as_filtering_the_whole_portfolio_does(stored, clock,
                                                                                         filters) -> None:
    app, visits = stored
    buyer = people(app)["Anna Schmidt"]
    await send_notice(app, visits[OTHER_ORDER])
    clock.advance(days=10)
    now = clock.now()
    whole = [s for s in await portfolio(app.store, app.settings, buyer, now)
             if (filters.status is None or s.analysis.status == filters.status)
             and (filters.factory_id is None or s.factory.id.casefold() == filters.factory_id)
             and (filters.text is None or mentions(s, filters.text))]

    page = await portfolio_page(app.store, app.settings, buyer, now, 1, size=None, filters=filters)
    assert [s.reference for s in page.lines] == [s.reference for s in whole]
    first = await portfolio_page(app.store, app.settings, buyer, now, 1, size=1, filters=filters)
    assert first.total == len(whole) and first.lines[:1] == page.lines[:1]


async def test_visits_stored_before_full_verdicts_are_judged_once_and_listed_alike(stored, clock) -> None:
    app, _ = stored
    buyer = people(app)["Anna Schmidt"]
    now = clock.now()
    with sqlite3.connect(app.store.path) as db:  # as migration 0009 leaves visits posted before it
        db.execute("UPDATE visits SET verified_pct = NULL, reported_pct = NULL, options = NULL,"
                   " projected_completion = NULL")
        db.execute("DELETE FROM verdict_bases")
    whole = await portfolio(app.store, app.settings, buyer, now)

    page = await portfolio_page(app.store, app.settings, buyer, now)
    assert [(s.reference, s.verdict) for s in page.lines] == [(s.reference, s.verdict) for s in whole]
    with sqlite3.connect(app.store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM visits WHERE verified_pct IS NULL OR options IS NULL").fetchone() \
            == (0,)
    assert await rejudge(app.store, app.settings) == 0


async def test_after_a_config_change_the_listing_follows_the_status_answer(stored, clock) -> None:
    app, _ = stored
    buyer = people(app)["Anna Schmidt"]
    now = clock.now()
    before = await portfolio_page(app.store, app.settings, buyer, now)
    assert {s.reference: s.verdict.status for s in before.lines}["PO-2026-0160"] == "on_track"
    # The buyer now wants at least 20 working days between completion and the final inspection.
    stricter = replace(app.settings, thresholds=app.settings.thresholds.model_copy(update={"slack_days_at_risk": 20}))

    after = await portfolio_page(app.store, stricter, buyer, now)
    answer = await order_status(app.store, stricter, buyer, "PO-2026-0160", now)
    assert answer.analysis.status == "at_risk"
    assert {s.reference: s.verdict.status for s in after.lines}["PO-2026-0160"] == "at_risk"
    assert [s.reference for s in after.lines] == [s.reference for s in await portfolio(app.store, stricter, buyer,
                                                                                       now)]
    assert await rejudge(app.store, stricter) == 0  # judged once, under the new basis
    # A factory's own settings are the basis of its own orders only: a holiday at SZ-OTHER
    # judges its one order again, not the other three.
    other = stricter.factories["SZ-OTHER"]
    holiday = {**stricter.factories, "SZ-OTHER": other.model_copy(update={"holidays": (date(2026, 12, 1),)})}
    assert await rejudge(app.store, replace(stricter, factories=holiday)) == 1


def test_orders_n_asks_for_a_page() -> None:
    assert intent_of("/orders 2") == Portfolio(2) and intent_of("订单") == Portfolio(1)


@pytest.mark.parametrize(("text", "asked"), [
    ("/orders late", Portfolio(1, "late", None, "late")),
    ("/orders at risk ningbo 2", Portfolio(2, "at_risk", "ningbo", "at risk ningbo")),
    ("/orders@followup_bot NB-EVERGREEN", Portfolio(1, None, "NB-EVERGREEN", "NB-EVERGREEN")),
    ("orders on-track", Portfolio(1, "on_track", None, "on-track")),
    ("Orders Not Visited 3", Portfolio(3, "not_visited", None, "Not Visited")),
    ("订单 延误", Portfolio(1, "late", None, "延误")),
    ("订单尚未验货 2", Portfolio(2, "not_visited", None, "尚未验货")),
    ("/orders 有风险 马克杯", Portfolio(1, "at_risk", "马克杯", "有风险 马克杯")),
])
def test_orders_are_filtered_by_status_words_in_both_languages_and_by_search_words(text: str, asked) -> None:
    assert intent_of(text) == asked


@pytest.mark.parametrize("text", ["orders are late again", "订单明天发货", "portfolio of the quarter", "orders ningbo"])
def test_talk_about_orders_without_the_command_is_not_a_question(text: str) -> None:
    assert intent_of(text) is None


def test_after_followup_on_slack_search_words_are_a_question() -> None:
    assert intent_of("orders ningbo", addressed=True) == Portfolio(1, None, "ningbo", "ningbo")


async def test_the_next_page_is_asked_for_with_the_same_filter_on_each_surface(stored, tmp_path) -> None:
    app, _ = stored
    buyer = people(app)["Anna Schmidt"]
    lines = tuple(OrderLine(reference=f"PO-2027-{n:04d}", factory="NB-EVERGREEN", product_name="Mug", quantity=100,
                            final_inspection=date(2027, 1, 10), ex_factory=date(2027, 1, 15)) for n in range(25))
    assert (await app.bus.handle(ImportOrders(lines, False), Actor(buyer, Platform.CONSOLE))).ok

    console = (await answer(app, "console", buyer, "/orders not visited")).text
    assert console.endswith("Page 1 of 2 (25 orders). Send “/orders not visited 2” for the next page.")
    slack = (await answer(app, "slack", buyer, "orders not visited", addressed=True)).text
    assert slack.endswith("Send “/followup orders not visited 2” for the next page.")
    last = (await answer(app, "console", buyer, "/orders not visited 2")).text
    assert last.endswith("Page 2 of 2 (25 orders).")
    cli = await asyncio.to_thread(followup, tmp_path / "followup.toml", "orders", "mug", "--status", "not_visited",
                                  "--page", "1")
    assert cli.exit_code == 0, (cli.output, cli.exception)
    cli = cli.output
    assert cli.endswith("Send “followup orders mug --status not_visited --page 2” for the next page.\n")


async def test_the_answer_gives_open_findings_materials_and_packaging_in_both_languages(app, config, clock) -> None:
    from handlers.queries.status import order_status
    from messages.environment import render
    from messages.i18n import CHINESE, Language
    from tests.conftest import actor, example_report, person

    report, photos = example_report(config)
    await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    found = await order_status(app.store, app.settings, person(config, Role.BUYER), "PO-2026-0142", clock.now())

    english = render("text", "chat/status.j2", Language("en"), s=found).splitlines()
    assert "Open findings: 2 MA major · 1 MI minor" in english
    assert "Materials: 1 on site · 1 partly arrived · 1 substituted" in english
    assert "Packaging: materials not on site · 2 wrong · 1 missing · 1 not checked · 1 OK" in english
    chinese = render("text", "chat/status.j2", Language(CHINESE), s=found).splitlines()
    assert any(line.startswith("未关闭问题：MA 主要缺陷2项 · MI 次要缺陷1项") for line in chinese)
    assert any(line.startswith("包装：包装材料未到厂") for line in chinese)
    assert "原材料及零部件：1 已到厂 · 1 部分到料 · 1 未经批准替换" in chinese
    # Per cent as each language writes it: "48.0 %" in English, "48.0%" in Chinese.
    # and the plan where the order says when production started (2 Nov: 52.4 % by the visit).
    assert ("verified 48.0 % (2,880 / 6,000) · reported 65.0 % · gap 17.0 pts · plan at the visit 52.4 %"
            in "\n".join(english))
    assert ("验货员核实48.0%（2,880 / 6,000） · 工厂报告65.0% · 进度差异17.0个百分点 · 验货时计划进度52.4%"
            in "\n".join(chinese))
    assert any(line.startswith("Production start: Nov 2, 2026 · Projected completion: Dec 12, 2026") for line in english)
    assert any(line.startswith("开产日期：2026年11月2日 · 预计完工日期：2026年12月12日") for line in chinese)


async def unvisited(app, *lines: tuple[str, str, date]) -> None:
    """Orders imported from the buyer's list, no visit posted: (reference, factory, final inspection)."""
    buyer = next(p for p in app.config.people if p.role is Role.BUYER)
    orders = tuple(OrderLine(reference=reference, factory=factory, product_name="Mug", quantity=1000,
                             final_inspection=final, ex_factory=final + timedelta(days=7))
                   for reference, factory, final in lines)
    assert (await app.bus.handle(ImportOrders(orders, False), Actor(buyer, Platform.CONSOLE))).ok


async def test_an_order_not_visited_with_its_final_inspection_tomorrow_ranks_above_the_on_track_ones(
        stored, clock) -> None:
    app, _ = stored
    buyer = people(app)["Anna Schmidt"]
    now = clock.now()
    today = now.date()
    await unvisited(app, ("PO-2026-0300", "NB-EVERGREEN", today + timedelta(days=1)),
                    ("PO-2026-0301", "NB-EVERGREEN", today + timedelta(days=60)))
    whole = await portfolio(app.store, app.settings, buyer, now)
    async with app.store.unit_of_work() as uow:
        planned = [NotVisited(o, app.settings.factories[o.factory_id], now) for o in await uow.orders.without_visit()]
    oracle = [e.reference for e in sorted([*whole, *planned], key=lambda e: e.attention())]

    page = await portfolio_page(app.store, app.settings, buyer, now, 1, size=None)
    listed = [e.reference for e in page.entries]
    assert listed == oracle
    on_track = [s.reference for s in whole if s.verdict.status == "on_track"]
    assert listed.index("PO-2026-0300") < min(listed.index(r) for r in on_track)  # nobody has seen it yet
    assert listed[-1] == "PO-2026-0301"  # two months away, nothing known against it: after the visited
    for size in (1, 2, 4):  # the pages cut the same ranking
        first = await portfolio_page(app.store, app.settings, buyer, now, 1, size=size)
        pages = [first] + [await portfolio_page(app.store, app.settings, buyer, now, n, size=size)
                           for n in range(2, first.pages + 1)]
        assert [e.reference for p in pages for e in p.entries] == oracle and first.total == len(oracle)
    text = (await answer(app, "console", buyer, "/orders")).text
    assert "PO-2026-0300 · Ningbo Evergreen Homeware Co., Ltd. · NOT VISITED YET" in text
