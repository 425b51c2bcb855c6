"""An order of several items on the inspector's visit form: the first visit is posted as YAML
(examples/visit-PO-2026-0156, three colours of a mug), the order keeps its items, and a week on
`/visit PO-2026-0156` opens a form that counts each item under its code and name and lets each
finding name its item; posting it gives a visit judged item by item. A one-product order's form
is as before, and a count for an item the order does not have changes nothing.

The second visit's counts, a week after the first (each item's counts add up to its quantity):

  item            ordered reported counted in production not started output verified
  NH-MUG-350-SG     2,000    1,500   1,400           300          300    100   70.0 %
  NH-MUG-350-SL     1,500    1,100     900           300          300     60   60.0 %
  NH-MUG-350-SD     1,000      400     380           300          320     40   38.0 %
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web.form_links import mint_form_token
from bot.web.server import web_application
from handlers.commands import ImportOrders, OpenVisitForm, PostVisit
from handlers.intake.reports import check_data, read_report
from handlers.model import Role
from storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_ITEMS_VISIT, actor
from tests.test_field_judgement import analysed
from tests.test_visit_form import FINDING, ORDER, autosave, drafts, fill
from tests.test_web_notice_page import SIGNER

REFERENCE = "PO-2026-0156"
SAGE, SLATE, SAND = "NH-MUG-350-SG", "NH-MUG-350-SL", "NH-MUG-350-SD"
COUNTS = {0: (1500, 1400, 300, 300, 100), 1: (1100, 900, 300, 300, 60), 2: (400, 380, 300, 320, 40)}
NAMES = ("reported_complete", "counted_complete", "in_progress", "not_started", "daily_output")
ITEM_COUNTS = {f"order.items.{i}.{name}": str(value) for i, values in COUNTS.items()
               for name, value in zip(NAMES, values)}


@pytest.fixture
async def client(app):
    async with TestClient(TestServer(web_application(app, SIGNER, lambda: None))) as test_client:
        yield test_client


async def post_items_example(app, config) -> None:
    """The inspector's first visit, posted from the YAML of three items."""
    with read_report(EXAMPLE_ITEMS_VISIT / "report.yaml", [f.id for f in config.factories]) as checked:
        assert checked.ok, checked.problems
        for photo in checked.photos.values():
            app.media.put(photo.path, photo.sha256, photo.format)
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await app.bus.handle(PostVisit(checked.report, photos), actor(config, Role.INSPECTOR))
    assert reply.ok, reply


async def form_of(app, config, reference: str) -> str:
    opened = await app.bus.handle(OpenVisitForm(reference), actor(config, Role.INSPECTOR))
    assert opened.ok, opened
    return "/v/" + mint_form_token(SIGNER, opened.params["draft_id"], app.bus.clock.now(), 14)


@pytest.fixture
async def form(app, config, clock) -> str:
    """The second visit's form, a week after the first was posted from YAML."""
    await post_items_example(app, config)
    clock.advance(days=7)
    return await form_of(app, config, REFERENCE)


def report_of(app) -> dict:
    return json.loads(drafts(app)[0]["report"])


def table(app, sql: str) -> list[tuple]:
    with sqlite3.connect(app.store.path) as db:
        return db.execute(sql).fetchall()


async def test_the_order_keeps_its_items_and_no_joined_name(app, config) -> None:
    await post_items_example(app, config)
    async with app.store.unit_of_work() as uow:
        order = await uow.orders.get(REFERENCE)
    assert [(i.code, i.quantity) for i in order.items] == [(SAGE, 2000), (SLATE, 1500), (SAND, 1000)]
    assert order.items[1].name == "Stoneware mug 350 ml, slate" and order.items[1].name_zh == "350毫升炻瓷马克杯，石板灰"
    assert (order.line.product_name, order.line.quantity) == ("Stoneware mug 350 ml, sage", 4500)
    assert table(app, "SELECT product_name FROM orders") == [("Stoneware mug 350 ml, sage",)], "no joined names"
    [(after,)] = table(app, "SELECT after FROM audit_events WHERE entity = 'order' AND action = 'create_from_visit'")
    assert [i["code"] for i in json.loads(after)["items"]] == [SAGE, SLATE, SAND]


async def test_the_next_visit_form_opens_the_order_item_by_item(app, form, client) -> None:
    order = report_of(app)["order"]
    assert order["items"] == [
        {"code": SAGE, "name": "Stoneware mug 350 ml, sage", "name_zh": "350毫升炻瓷马克杯，鼠尾草绿", "quantity": 2000},
        {"code": SLATE, "name": "Stoneware mug 350 ml, slate", "name_zh": "350毫升炻瓷马克杯，石板灰", "quantity": 1500},
        {"code": SAND, "name": "Stoneware mug 350 ml, sand", "name_zh": "350毫升炻瓷马克杯，沙色", "quantity": 1000}]
    assert "product" not in order and "quantity" not in order and "progress" not in report_of(app)
    html = await (await client.get(form)).text()
    assert "3 items" in html and "4,500" in html
    assert f"{SLATE} · Stoneware mug 350 ml, slate · 1,500 units" in html
    assert 'name="order.items.2.daily_output" form="f-progress"' in html
    assert 'name="order.items.0.quantity"' not in html and 'name="order.items.0.code"' not in html
    assert 'value="order.items.0"' not in html, "an item of the order is neither removed nor photographed"
    chinese = await (await client.get(form + "?lang=zh")).text()
    assert f"{SAND} · 350毫升炻瓷马克杯，沙色 · 1,000" in chinese


async def test_wrong_and_missing_counts_are_named_beside_the_items_fields(app, form, client) -> None:
    result = await fill(client, form, {**ITEM_COUNTS, "order.items.1.counted_complete": "1700"})
    assert any("1,700" in p and "1,500" in p for p in result["problems"]["order.items.1.counted_complete"])
    html = await (await client.get(form)).text()
    beside = html.split('data-path="order.items.1.counted_complete"')[1].split("</div>")[0]
    assert "1,500" in beside
    assert "order.items." not in html.split('<div class="card">')[1].split("</div>")[0], "none left unplaced"
    result = await autosave(client, form, "order.items.2.daily_output", "")
    assert result["problems"]["order.items.2.daily_output"] == ["required field is missing"]
    assert "daily_output" not in report_of(app)["order"]["items"][2]


async def test_per_item_counts_and_a_findings_item_post_a_visit_judged_per_item(app, config, form, client) -> None:
    await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    html = await (await client.get(form)).text()
    select = html.split('name="findings.0.item"')[1].split("</select>")[0]
    assert f'<option value="{SLATE}">{SLATE} · Stoneware mug 350 ml, slate</option>' in select
    assert '<option value="" selected>—</option>' in select
    result = await fill(client, form, {**ITEM_COUNTS, **FINDING, "findings.0.item": SLATE})
    assert result["problems"] == {}
    posted = await client.post(form + "/submit")
    assert posted.status == 200 and f"Visit for {REFERENCE} posted" in await posted.text()
    assert table(app, "SELECT COUNT(*) FROM visits") == [(2,)]
    bundle = await client.get(form + "/bundle.zip")
    path = Path(app.store.path).parent / "second-visit.zip"
    path.write_bytes(await bundle.read())
    data = analysed(path)
    items = {i["code"]: i["progress"] for i in data["items"]}
    assert [(p["ordered"], p["verified_complete"], p["verified_pct"]) for p in items.values()] == [
        (2000, 1400, 70.0), (1500, 900, 60.0), (1000, 380, 38.0)]
    assert data["progress"]["verified_complete"] == 2680
    with read_report(path, [f.id for f in config.factories]) as checked:
        assert checked.report.findings[0].item == SLATE


async def test_a_count_for_an_item_the_order_does_not_have_is_refused_and_nothing_is_kept(app, form,
                                                                                      client) -> None:
    before = drafts(app)[0]["report"]
    for path in ("order.items.3.counted_complete", "order.items.0.quantity", "order.items.0.code",
                 "order.items.0.name", "progress.counted_complete"):
        answer = await client.post(form + "/field", data={"path": path, "value": "100"})
        assert answer.status == 400, path
        assert path.rsplit(".", 1)[0] in await answer.text() or path == "progress.counted_complete"
    assert drafts(app)[0]["report"] == before
    for item in ("order.items.0", "order.items"):
        assert (await client.post(form + "/remove", data={"item": item}, allow_redirects=False)).status == 400
        assert (await client.post(form + "/add", data={"section": item}, allow_redirects=False)).status == 400
    assert drafts(app)[0]["report"] == before


async def test_a_one_product_order_opens_as_before(app, config, client) -> None:
    assert (await app.bus.handle(ImportOrders((ORDER,), False), actor(config, Role.BUYER))).ok
    form = await form_of(app, config, ORDER.reference)
    report = report_of(app)
    assert report["order"]["product"] == {"name": "Stoneware mug 350 ml", "name_zh": "350毫升炻瓷马克杯"}
    assert (report["order"]["quantity"], report["progress"], "items" in report["order"]) == (6000, {}, False)
    await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    html = await (await client.get(form)).text()
    assert 'name="progress.counted_complete"' in html and 'name="findings.0.item"' not in html
    answer = await client.post(form + "/field", data={"path": "order.items.0.counted_complete", "value": "1"})
    assert answer.status == 400


async def test_without_scripts_the_counts_of_every_item_save_with_the_sections_button(app, form, client) -> None:
    answer = await client.post(form + "/save", data=ITEM_COUNTS, allow_redirects=False)
    assert answer.status == 303
    items = report_of(app)["order"]["items"]
    assert [(i["counted_complete"], i["daily_output"], i["quantity"]) for i in items] == [
        (1400, 100, 2000), (900, 60, 1500), (380, 40, 1000)]


async def test_an_order_stored_with_joined_names_before_items_were_kept_gets_its_items_back(app, config) -> None:
    """A database from before migration 20: the order of the items example holds its items' names
    joined into one product. The migration takes the items from the order's newest visit."""
    await post_items_example(app, config)
    with sqlite3.connect(app.store.path) as db:
        db.execute("DROP TABLE order_items")
        db.execute("DELETE FROM schema_migrations WHERE version = 20")
        db.execute("UPDATE orders SET product_name = 'Stoneware mug 350 ml, sage / Stoneware mug 350 ml, slate'")
    upgraded = await SqliteStore.open(Path(app.store.path))
    try:
        async with upgraded.unit_of_work() as uow:
            order = await uow.orders.get(REFERENCE)
    finally:
        await upgraded.close()
    assert [(i.code, i.name_zh, i.quantity) for i in order.items] == [
        (SAGE, "350毫升炻瓷马克杯，鼠尾草绿", 2000), (SLATE, "350毫升炻瓷马克杯，石板灰", 1500), (SAND, "350毫升炻瓷马克杯，沙色", 1000)]
    assert (order.line.product_name, order.line.product_name_zh) == ("Stoneware mug 350 ml, sage", "350毫升炻瓷马克杯，鼠尾草绿")


async def test_a_later_one_product_report_clears_the_items_and_an_import_leaves_them(app, config, clock,
                                                                                   items_data) -> None:
    await post_items_example(app, config)
    imported = ORDER.model_copy(update={"reference": REFERENCE, "quantity": 4500})
    assert (await app.bus.handle(ImportOrders((imported,), False), actor(config, Role.BUYER))).ok
    async with app.store.unit_of_work() as uow:
        assert len((await uow.orders.get(REFERENCE)).items) == 3, "the order list is one product a line"
    clock.advance(days=7)
    order = {k: v for k, v in items_data["order"].items() if k != "items"}
    one = {**items_data, "order": {**order, "product": {"name": "Stoneware mug 350 ml"}, "quantity": 4500},
           "visit": {**items_data["visit"], "date": "2026-12-01"}, "findings": [],
           "progress": {"reported_complete": 3000, "counted_complete": 2900, "daily_output": 200}}
    report, _, problems = check_data(one, [f.id for f in config.factories])
    assert report is not None, problems
    assert (await app.bus.handle(PostVisit(report, {}), actor(config, Role.INSPECTOR))).ok
    async with app.store.unit_of_work() as uow:
        assert (await uow.orders.get(REFERENCE)).items == ()
    [(before, after)] = table(app, "SELECT before, after FROM audit_events WHERE entity = 'order'"
                                   " AND action = 'update_from_visit'")
    assert [i["code"] for i in json.loads(before)["items"]] == [SAGE, SLATE, SAND] and json.loads(after)["items"] == []
