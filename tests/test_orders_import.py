"""The buyer imports the order list: every problem of a file at once (and nothing stored), an
upsert by reference with one audit event per change, and visits that create or correct their
order."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.followup import main
from handlers.commands import PostVisit
from handlers.model import Role
from handlers.queries.status import order_chart
from messages.i18n import ENGLISH, Language
from messages.replies import reply_text
from tests.conftest import actor, example_config_file, example_report
from tests.fakes import FakeClock

HEADER = ("reference,factory,product_name,product_name_zh,quantity,unit_value,currency,final_inspection,ex_factory,"
          "first_order_with_factory,packaging\n")
GOOD = HEADER + (
    "PO-2026-0200,NB-EVERGREEN,Glass jar 500 ml,500毫升玻璃罐,12000,1.85,USD,2026-12-20,2026-12-28,yes,complex\n"
    "PO-2026-0201,NB-EVERGREEN,Bamboo tray,,800,,,2027-01-10,2027-01-15,,\n"
)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    database = tmp_path / "orders.sqlite3"
    return example_config_file(tmp_path / "followup.toml", f"sqlite:///{database}"), database


def followup(config: Path, *args: str):
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    return CliRunner().invoke(main, [*args, "--config", str(config)], obj={"clock": FakeClock(at)})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def dump(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        return "\n".join(conn.iterdump())


def rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql).fetchall()


def test_an_order_list_is_imported_and_each_new_order_audited(setup, tmp_path) -> None:
    config, database = setup
    result = followup(config, "orders", "import", str(write(tmp_path, "orders.csv", GOOD)))

    assert result.exit_code == 0, result.output
    assert "Orders imported: 2 new, 0 changed, 0 unchanged." in result.output
    assert rows(database, "SELECT reference, reference_key, quantity, unit_value, currency, first_order_with_factory,"
                          " packaging FROM orders ORDER BY reference") == [
        ("PO-2026-0200", "po20260200", 12000, "1.85", "USD", 1, "complex"),
        ("PO-2026-0201", "po20260201", 800, None, None, 0, None)]
    assert rows(database, "SELECT entity_id, action, before FROM audit_events WHERE entity = 'order'") == [
        ("PO-2026-0200", "import", None), ("PO-2026-0201", "import", None)]


def test_importing_again_changes_only_what_differs_matched_however_the_reference_is_written(setup, tmp_path) -> None:
    config, database = setup
    followup(config, "orders", "import", str(write(tmp_path, "orders.csv", GOOD)))
    again = [{"reference": "po2026_0200", "factory": "NB-EVERGREEN", "product_name": "Glass jar 500 ml",
              "product_name_zh": "500毫升玻璃罐", "quantity": 15000, "unit_value": "1.85", "currency": "USD",
              "final_inspection": "2026-12-20", "ex_factory": "2026-12-28", "first_order_with_factory": True,
              "packaging": "complex"},
             {"reference": "PO-2026-0201", "factory": "NB-EVERGREEN", "product_name": "Bamboo tray", "quantity": 800,
              "final_inspection": "2027-01-10", "ex_factory": "2027-01-15"}]
    result = followup(config, "orders", "import", str(write(tmp_path, "orders.json", json.dumps(again))))

    assert "Orders imported: 0 new, 1 changed, 1 unchanged." in result.output, result.output
    assert rows(database, "SELECT reference, quantity FROM orders WHERE reference_key = 'po20260200'") == [
        ("PO-2026-0200", 15000)]
    assert rows(database, "SELECT action, before, after FROM audit_events WHERE entity = 'order' ORDER BY id")[2:] == [
        ("import", '{"quantity": 12000}', '{"quantity": 15000}')]


def test_every_problem_of_a_csv_is_listed_at_once_and_nothing_is_stored(setup, tmp_path) -> None:
    config, database = setup
    followup(config, "orders", "import", str(write(tmp_path, "first.csv", GOOD)))
    before = dump(database)
    bad = write(tmp_path, "orders.csv", HEADER.replace("\n", ",colour\n") + (
        "PO-2026-0300,XX-NOWHERE,Mug,,100,,,2026-12-20,2026-12-28,,,red\n"
        "PO-2026-0301,NB-EVERGREEN,Mug,,0,,,2026-12-20,2026-12-28,,,\n"
        "PO-2026-0302,NB-EVERGREEN,Mug,,100,,,2026-13-01,2026-12-28,,,\n"
        "PO-2026-0303,NB-EVERGREEN,Mug,,100,,,2026-12-20,2026-12-10,,,\n"
        "po2026.0300,NB-EVERGREEN,Mug,,100,,,2026-12-20,2026-12-28,,,\n"
        "PO-2026-0304,NB-EVERGREEN,Mug,,-5,,,2026-12-20,2026-12-28,,huge,\n"
    ))
    result = followup(config, "orders", "import", str(bad))

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("orders.csv:row 1: colour: unknown column; columns: reference, factory,")
    assert lines[1] == "orders.csv:row 2: factory: unknown factory XX-NOWHERE; configured factories: NB-EVERGREEN"
    assert lines[2] == "orders.csv:row 3: quantity: input should be greater than 0"
    assert lines[3].startswith("orders.csv:row 4: final_inspection: input should be a valid date")
    assert lines[4] == ("orders.csv:row 5: ex_factory: ex-factory date 2026-12-10 is before the final inspection"
                        " 2026-12-20")
    assert lines[5] == "orders.csv:row 6: reference: po2026.0300 is already in this file (row 2)"
    assert lines[6] == "orders.csv:row 7: quantity: input should be greater than 0"
    assert lines[7].startswith("orders.csv:row 7: packaging: input should be 'simple', 'standard' or 'complex'")
    assert lines[8] == "orders.csv: refused, 8 problems; nothing was stored."
    assert dump(database) == before


def test_a_production_start_is_imported_and_one_not_before_the_final_inspection_is_refused(setup, tmp_path) -> None:
    config, database = setup
    with_start = HEADER.replace("\n", ",production_start\n")
    good = with_start + "PO-2026-0300,NB-EVERGREEN,Mug,,100,,,2026-12-20,2026-12-28,,,2026-11-02\n"
    assert followup(config, "orders", "import", str(write(tmp_path, "good.csv", good))).exit_code == 0
    assert rows(database, "SELECT production_start FROM orders") == [("2026-11-02",)]
    (listed,) = json.loads(followup(config, "orders", "--json").output)
    assert listed["schedule"]["production_start"] == "2026-11-02"
    before = dump(database)
    bad = with_start + "PO-2026-0300,NB-EVERGREEN,Mug,,100,,,2026-12-20,2026-12-28,,,2026-12-20\n"
    result = followup(config, "orders", "import", str(write(tmp_path, "bad.csv", bad)))

    assert result.exit_code == 1
    assert result.output.splitlines()[0] == ("bad.csv:row 2: production_start: production start 2026-12-20 is not"
                                             " before the final inspection 2026-12-20")
    assert dump(database) == before


def test_a_json_list_names_each_problem_by_index_and_field(setup, tmp_path) -> None:
    config, database = setup
    followup(config, "orders", "import", str(write(tmp_path, "first.csv", GOOD)))
    before = dump(database)
    bad = [{"reference": "PO-1", "factory": "NB-EVERGREEN", "product_name": "Mug", "quantity": 10,
            "final_inspection": "2026-12-20", "ex_factory": "2026-12-28", "colour": "red"},
           {"reference": "PO-2", "factory": "NB-EVERGREEN", "quantity": 10, "final_inspection": "2026-12-20",
            "ex_factory": "2026-12-28"}]
    result = followup(config, "orders", "import", str(write(tmp_path, "orders.json", json.dumps(bad))))

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "orders.json: [0].colour: unknown field",
        "orders.json: [1].product_name: required field is missing",
        "orders.json: refused, 2 problems; nothing was stored.",
    ]
    assert dump(database) == before


def test_a_dry_run_counts_what_would_change_and_stores_nothing(setup, tmp_path) -> None:
    config, database = setup
    header, first_order, _ = GOOD.splitlines(keepends=True)
    followup(config, "orders", "import", str(write(tmp_path, "first.csv", header + first_order)))
    before = dump(database)
    result = followup(config, "orders", "import", str(write(tmp_path, "orders.csv", GOOD)), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Importing would add 1 new, change 0 and leave 1 unchanged; nothing was stored" in result.output
    assert dump(database) == before


def test_a_factory_contact_may_not_import_orders(setup, tmp_path) -> None:
    config, _ = setup
    result = followup(config, "orders", "import", str(write(tmp_path, "o.csv", GOOD)), "--as", "Li Wei")
    assert (result.exit_code, result.output) == (1, "抱歉，您的角色（工厂联系人）无权执行此操作。\n")


# --- visits and their orders ---------------------------------------------------------------------


async def order_events(app) -> list[tuple]:
    async with app.store.unit_of_work() as uow:
        return [(e.action, e.before, e.after) for e in await uow.audit.for_entity("order", "PO-2026-0142")]


async def test_a_visit_for_an_unknown_order_creates_it_from_the_report(app, config) -> None:
    report, photos = example_report(config)
    assert (await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))).ok
    async with app.store.unit_of_work() as uow:
        order = await uow.orders.get("po2026 0142")
    assert (order.factory_id, order.line.quantity, order.line.ex_factory.isoformat()) == ("NB-EVERGREEN", 6000,
                                                                                          "2026-12-18")
    assert [action for action, _, _ in await order_events(app)] == ["create_from_visit"]


async def test_the_report_wins_over_the_orders_figures_with_an_audit_event(app, config) -> None:
    report, photos = example_report(config)
    imported = report.order.model_copy(update={"quantity": 5000})
    first = report.model_copy(update={"order": imported})
    await app.bus.handle(PostVisit(first, {}), actor(config, Role.INSPECTOR))
    await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))

    assert (await order_events(app))[1] == ("update_from_visit", {"quantity": 5000}, {"quantity": 6000})


async def test_a_visit_naming_another_factory_than_the_orders_is_refused(app, config) -> None:
    report, photos = example_report(config)
    await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    elsewhere = report.model_copy(update={"order": report.order.model_copy(update={"factory": "SZ-OTHER"})})
    app.settings.factories["SZ-OTHER"] = app.settings.factories["NB-EVERGREEN"]

    reply = await app.bus.handle(PostVisit(elsewhere, {}), actor(config, Role.INSPECTOR))
    assert (reply.ok, reply.code) == (False, "order_of_other_factory")
    async with app.store.unit_of_work() as uow:
        assert len(await uow.visits.for_order("PO-2026-0142")) == 1


async def test_a_reports_production_start_is_kept_and_one_without_it_does_not_erase_it(app, config) -> None:
    report, photos = example_report(config)
    started = report.model_copy(update={
        "order": report.order.model_copy(update={"production_start": date(2026, 10, 26)})})
    await app.bus.handle(PostVisit(started, photos), actor(config, Role.INSPECTOR))
    again = report.model_copy(update={"visit": report.visit.model_copy(update={"date": date(2026, 11, 30)}),
                                      "order": report.order.model_copy(update={"production_start": None})})
    assert (await app.bus.handle(PostVisit(again, {}), actor(config, Role.INSPECTOR))).ok
    async with app.store.unit_of_work() as uow:
        assert (await uow.orders.get("PO-2026-0142")).line.production_start == date(2026, 10, 26)
    # The chart of the status answer plans from it, though the newest report does not say it.
    chart = await order_chart(app.store, app.settings, "po2026 0142")  # written as people type it
    assert (chart.plan.start, chart.plan.start_pct, len(chart.visits)) == (date(2026, 10, 26), 0.0, 2)


async def test_a_visit_moving_the_final_inspection_before_the_production_start_is_refused(app, config) -> None:
    report, photos = example_report(config)
    started = report.model_copy(update={
        "order": report.order.model_copy(update={"production_start": date(2026, 11, 20)})})
    await app.bus.handle(PostVisit(started, photos), actor(config, Role.INSPECTOR))
    # Checked alone the report is fine (no production start of its own); the order says otherwise.
    early = report.model_copy(update={
        "visit": report.visit.model_copy(update={"date": date(2026, 11, 10)}),
        "order": report.order.model_copy(update={"final_inspection": date(2026, 11, 18), "production_start": None}),
    })
    before = dump(app.store.path)

    reply = await app.bus.handle(PostVisit(early, {}), actor(config, Role.INSPECTOR))
    assert (reply.ok, reply.code) == (False, "production_start_not_before_final_inspection")
    assert reply_text(reply, Language(ENGLISH)) == (
        "Order PO-2026-0142: production starts Nov 20, 2026, not before the report's final inspection Nov 18,"
        " 2026; nothing was posted. Correct the report's final inspection or the order's production start.")
    assert dump(app.store.path) == before


# --- orders without a visit in status answers and the portfolio ---------------------------------


def test_orders_without_a_visit_are_listed_soonest_final_inspection_first(tmp_path) -> None:
    config = status_config(tmp_path)
    elsewhere = GOOD + "PO-2026-0202,SZ-OTHER,Plate,,300,,,2026-12-01,2026-12-05,,\n"
    assert followup(config, "orders", "import", str(write(tmp_path, "orders.csv", elsewhere))).exit_code == 0

    listed = json.loads(followup(config, "orders", "--json").output)
    assert [(o["order"], o["status"], o["schedule"]["days_to_final_inspection"]) for o in listed] == [
        ("PO-2026-0202", "not_visited", 11), ("PO-2026-0200", "not_visited", 30),
        ("PO-2026-0201", "not_visited", 51)]
    assert [o["order"] for o in json.loads(followup(config, "orders", "--json", "--as", "Li Wei").output)] == [
        "PO-2026-0200", "PO-2026-0201"]
    text = followup(config, "orders").output
    assert "Orders, most urgent first\n1. PO-2026-0202 · Shenzhen Other Ceramics Ltd." in text
    assert "NOT VISITED YET · Final inspection: 1 Dec 2026 (in 11 days)" in text


def test_the_status_of_an_order_without_a_visit_says_what_is_known(tmp_path) -> None:
    config = status_config(tmp_path)
    followup(config, "orders", "import", str(write(tmp_path, "orders.csv", GOOD)))

    out = followup(config, "status", "po2026 0200").output
    assert out.startswith("━━ PO-2026-0200 · Glass jar 500 ml ━━\nFactory: Ningbo Evergreen Homeware Co., Ltd. · "
                          "no visit yet\n")
    assert "Quantity: 12,000 · Order value: 22,200.00 USD · first order with this factory · Packaging: complex" in out
    assert "Final inspection: 20 Dec 2026 (in 30 days) · Ex-factory: 28 Dec 2026" in out
    as_json = json.loads(followup(config, "status", "PO-2026-0201", "--json").output)
    assert (as_json["status"], as_json["last_visit"], as_json["quantity"]) == ("not_visited", None, 800)
    assert "500毫升玻璃罐" in followup(config, "status", "PO-2026-0200", "--as", "Li Wei").output
    assert followup(config, "status", "PO-2026-0200", "--as", "Zhao Min").exit_code == 1


def status_config(tmp_path: Path) -> Path:
    from tests.test_status import config_file
    return config_file(tmp_path)
