"""An inspector without YAML fills the visit in on the form a signed link opens: it starts
from the order, keeps every field the moment it changes, says beside each field what `followup
visit check` would say, takes photos as a chat upload takes them, and posts the visit as `visit
post` does. A forged or expired link, a field the form does not have, a file that is no photo
and a change to a posted visit each change nothing."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from bot.web.form_links import mint_form_token
from bot.web.page import HEADERS as NOTICE_HEADERS
from bot.web.server import web_application
from handlers.commands import ImportOrders, OpenVisitForm
from handlers.intake.reports import read_report
from handlers.model import Role
from handlers.model.orders import OrderLine
from bot.app import build_app
from tests.conftest import EXAMPLE_VISIT, actor, outbox_table, person
from tests.fakes import RecordingConsole, Transcript
from tests.test_web_notice_page import SIGNER

ORDER = OrderLine(reference="PO-2026-0142", factory="NB-EVERGREEN", product_name="Stoneware mug 350 ml",
                  product_name_zh="350毫升炻瓷马克杯", quantity=6000, final_inspection=date(2026, 12, 14),
                  ex_factory=date(2026, 12, 18), production_start=date(2026, 11, 2))
COUNTS = {"progress.reported_complete": "3900", "progress.counted_complete": "2880", "progress.in_progress": "1200",
          "progress.not_started": "1920", "progress.daily_output": "200"}
FINDING = {"findings.0.severity": "major", "findings.0.category": "finishing",
           "findings.0.description": "Glaze crawl on the rim", "findings.0.units_checked": "125",
           "findings.0.units_affected": "3"}
PHOTO = EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg"


async def open_form(app, config, reference: str = "PO-2026-0142", role: Role = Role.INSPECTOR):
    buyer = actor(config, Role.BUYER)
    assert (await app.bus.handle(ImportOrders((ORDER,), False), buyer)).ok
    return await app.bus.handle(OpenVisitForm(reference), actor(config, role))


@pytest.fixture
async def form(app, config) -> str:
    """The form's address for the example order, as the inspector asked for it."""
    opened = await open_form(app, config)
    assert opened.ok, opened
    return "/v/" + mint_form_token(SIGNER, opened.params["draft_id"], app.bus.clock.now(), 14)


@pytest.fixture
async def client(app):
    async with TestClient(TestServer(web_application(app, SIGNER, lambda: None))) as test_client:
        yield test_client


def drafts(app) -> list[sqlite3.Row]:
    with sqlite3.connect(app.store.path) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM visit_drafts").fetchall()


async def autosave(client, form: str, path: str, value: str, layout: str | None = None) -> dict:
    seen = {} if layout is None else {"layout": layout}
    answer = await client.post(form + "/field", data={"path": path, "value": value, **seen})
    assert answer.status == 200, await answer.text()
    return await answer.json()


async def fill(client, form: str, fields: dict[str, str]) -> dict:
    result = {}
    for path, value in fields.items():
        result = await autosave(client, form, path, value)
    return result


async def test_the_form_starts_from_the_order_and_today(app, form, client) -> None:
    page = await client.get(form)
    html = await page.text()
    assert page.status == 200
    assert "Stoneware mug 350 ml" in html and "350毫升炻瓷马克杯" in html and "6,000" in html
    assert 'value="2026-11-24"' in html and 'value="Chen Jing"' in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors https://web.telegram.org;" in page.headers["Content-Security-Policy"], "a Mini App"
    assert "frame-ancestors 'none'" in NOTICE_HEADERS["Content-Security-Policy"], "the notice page is framed by none"
    assert "http://" not in html.replace("http://www.w3.org", "")
    chinese = await (await client.get(form + "?lang=zh")).text()
    assert "数量与日产量" in chinese and "提交验货报告" in chinese and 'lang="zh-Hans"' in chinese
    assert "验货员清点的完成数量" in chinese and "批量（送检数量）" in chinese  # as a QC engineer says them


async def test_an_order_the_buyer_never_imported_gets_a_clear_answer_and_no_draft(app, config) -> None:
    refused = await open_form(app, config, "PO-1999-0001")
    assert (refused.ok, refused.code, refused.params) == (False, "unknown_order", {"order": "PO-1999-0001"})
    assert drafts(app) == []


async def test_a_factory_contact_cannot_open_a_visit_form(app, config) -> None:
    refused = await open_form(app, config, role=Role.FACTORY)
    assert (refused.ok, refused.code) == (False, "not_allowed")
    assert drafts(app) == []


async def test_a_buyer_is_told_at_once_that_the_inspector_opens_the_form_and_no_draft_is_left(app, config) -> None:
    """A draft a buyer opened could never be posted (only who may post a visit submits one): the
    buyer hears so when asking, not after filling it in."""
    refused = await open_form(app, config, role=Role.BUYER)
    assert (refused.ok, refused.code) == (False, "not_allowed")
    assert drafts(app) == []


async def test_asking_again_gives_the_same_draft(app, config, form) -> None:
    again = await app.bus.handle(OpenVisitForm("po 2026 0142"), actor(config, Role.INSPECTOR))
    assert again.params["draft_id"] == drafts(app)[0]["id"] and len(drafts(app)) == 1


async def test_each_field_is_kept_as_it_changes_and_saving_it_again_changes_nothing(app, clock, form,
                                                                                    client) -> None:
    await autosave(client, form, "progress.counted_complete", "2880")
    saved = drafts(app)[0]
    assert json.loads(saved["report"])["progress"] == {"counted_complete": 2880}
    clock.advance(minutes=5)
    await autosave(client, form, "progress.counted_complete", "2880")
    assert drafts(app)[0]["updated_at"] == saved["updated_at"], "the same value is no change"
    html = await (await client.get(form)).text()
    assert 'name="progress.counted_complete" form="f-progress" value="2880"' in html


async def test_problems_come_back_beside_their_fields_in_the_inspectors_language(app, form, client) -> None:
    result = await fill(client, form, {**COUNTS, "progress.counted_complete": "7000"})
    assert result["problems"]["progress.counted_complete"] == [
        "counted complete 7,000 exceeds the ordered quantity 6,000 by more than the 5 % overrun accepted"]
    typo = await autosave(client, form, "progress.daily_output", "two hundred")
    assert typo["problems"]["progress.daily_output"] == [
        "input should be a valid integer, got 'two hundred'"]
    chinese = await client.post(form + "/field?lang=zh", data={"path": "progress.daily_output", "value": "200"})
    problems = (await chinese.json())["problems"]
    assert "progress.daily_output" not in problems
    assert "6,000" in problems["progress.counted_complete"][0] and "超过" in problems["progress.counted_complete"][0]


async def test_a_field_the_form_does_not_have_is_refused_and_nothing_is_kept(app, form, client) -> None:
    before = drafts(app)[0]["report"]
    for path in ("order.quantity", "findings.5.description", "visit.__class__", "progress"):
        answer = await client.post(form + "/field", data={"path": path, "value": "1"})
        assert answer.status == 400, path
    assert drafts(app)[0]["report"] == before


@pytest.mark.parametrize("tamper", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
                                    lambda t: t.replace(".", ".9", 1)])
async def test_a_tampered_form_link_is_refused_and_changes_nothing(app, form, client, tamper) -> None:
    token = form.removeprefix("/v/")
    forged = "/v/" + tamper(token)
    before = drafts(app)[0]["report"]
    assert (await client.get(forged)).status == 403
    assert (await client.post(forged + "/field", data={"path": "visit.inspector", "value": "X"})).status == 403
    assert drafts(app)[0]["report"] == before


async def test_a_notice_links_signature_does_not_open_a_form(app, form, client) -> None:
    draft_id = drafts(app)[0]["id"]
    expires = int(app.bus.clock.now().timestamp()) + 3600
    notice_signature = SIGNER.sign(f"{draft_id}.{expires}")  # the same text, without the form's kind
    assert (await client.get(f"/v/{draft_id}.{expires}.{notice_signature}")).status == 403


async def test_an_expired_form_link_is_gone(app, clock, form, client) -> None:
    clock.advance(days=15)
    answer = await client.post(form + "/field", data={"path": "visit.inspector", "value": "X"})
    assert answer.status == 410 and "过期" in await answer.text()
    assert json.loads(drafts(app)[0]["report"])["visit"]["inspector"] == "Chen Jing"


async def test_without_javascript_a_section_saves_with_its_button(app, form, client) -> None:
    answer = await client.post(form + "/save", data={**COUNTS, "packaging.materials_on_site": ""},
                               allow_redirects=False)
    assert answer.status == 303
    report = json.loads(drafts(app)[0]["report"])
    assert report["progress"]["daily_output"] == 200 and report["packaging"]["materials_on_site"] is False


async def upload(client, form: str, item: str, content: bytes, name: str = "IMG_0001.jpg"):
    data = FormData()
    data.add_field("item", item)
    data.add_field("photo", content, filename=name, content_type="image/jpeg")
    return await client.post(form + "/photo", data=data, allow_redirects=False)


async def test_a_photo_from_the_camera_joins_its_finding_and_is_served_back(app, form, client) -> None:
    await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    answer = await upload(client, form, "findings.0", PHOTO.read_bytes())
    assert answer.status == 303
    draft = drafts(app)[0]
    photos = json.loads(draft["photos"])
    (name, sha256), = photos.items()
    assert json.loads(draft["report"])["findings"][0]["photos"] == [name]
    assert app.media.find(sha256) is not None
    html = await (await client.get(form)).text()
    assert f'{form}/photo/{sha256}' in html
    assert (await client.get(f"{form}/photo/{sha256}")).status == 200
    assert (await client.get(f"{form}/photo/{'0' * 64}")).status == 404


async def test_a_file_that_is_no_photo_is_refused_with_its_reason_and_nothing_is_kept(app, form, client) -> None:
    await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    before = drafts(app)[0]
    answer = await upload(client, form, "findings.0", b"%PDF-1.4 not a photo", "scan.jpg")
    assert answer.status == 422 and "not an image: file content is not JPEG, PNG or HEIC" in await answer.text()
    after = drafts(app)[0]
    assert (after["report"], after["photos"]) == (before["report"], before["photos"])


async def test_submit_posts_the_visit_as_visit_post_would_and_the_bundle_reads_back(app, config, form,
                                                                                 client) -> None:
    await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    await upload(client, form, "findings.0", PHOTO.read_bytes())
    await fill(client, form, {**COUNTS, **FINDING, "findings.0.units_affected": "300"})
    refused = await client.post(form + "/submit")
    assert refused.status == 422 and "300 units affected but only 125 checked" in await refused.text()
    assert drafts(app)[0]["visit_id"] is None
    result = await autosave(client, form, "findings.0.units_affected", "3")
    assert result["problems"] == {}
    posted = await client.post(form + "/submit")
    assert posted.status == 200 and "Visit for PO-2026-0142 posted" in await posted.text()
    draft = drafts(app)[0]
    assert draft["visit_id"] is not None and draft["submitted_at"] is not None
    assert {row["kind"] for row in outbox_table(app)} >= {"visit_summary", "finding"}
    again = await client.post(form + "/submit")
    assert "already posted" in await again.text()
    assert (await client.post(form + "/field", data={"path": "visit.inspector", "value": "X"})).status == 409
    assert (await upload(client, form, "findings.0", PHOTO.read_bytes())).status == 409
    assert (await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)).status == 409
    assert drafts(app)[0]["report"] == draft["report"], "a posted visit's draft changes no more"
    bundle = await client.get(form + "/bundle.zip")
    assert bundle.status == 200
    path = Path(app.store.path).parent / "exported.zip"
    path.write_bytes(await bundle.read())
    with read_report(path, [f.id for f in config.factories]) as checked:
        assert checked.ok, checked.problems
        assert checked.report.findings[0].units_affected == 3 and len(checked.photos) == 1


async def test_followup_visit_form_prints_a_link_that_opens_the_form(app, config, clock, tmp_path, client) -> None:
    from tests.test_web_links import cli, config_file

    assert (await app.bus.handle(ImportOrders((ORDER,), False), actor(config, Role.BUYER))).ok
    path = str(config_file(tmp_path, config))
    printed = await cli(clock, "visit", "form", "PO-2026-0142", "--config", path)
    assert printed.exit_code == 0, printed.output
    url = printed.output.strip()
    assert url.startswith("https://qc.example.com/v/")
    (draft,) = drafts(app)
    assert draft["opened_by"] == "inspector:Chen Jing" and url.split("/v/")[1].startswith(draft["id"] + ".")
    unknown = await cli(clock, "visit", "form", "PO-1999-0001", "--config", path)
    assert unknown.exit_code == 1 and "There is no order PO-1999-0001" in unknown.output
    short = await cli(clock, "visit", "form", "PO-2026-0142", "--config", path, secret="too-short")
    assert short.exit_code != 0 and "FOLLOWUP_WEB_SECRET must be" in short.output
    assert len(drafts(app)) == 1


async def test_a_photo_for_an_item_the_draft_does_not_have_is_refused_and_nothing_is_kept(app, form,
                                                                                         client) -> None:
    before = drafts(app)[0]
    for item in ("findings.0", "findings.x", "order", "findings.0.instruction"):
        answer = await upload(client, form, item, PHOTO.read_bytes())
        assert answer.status == 400, item
    after = drafts(app)[0]
    assert (after["report"], after["photos"]) == (before["report"], before["photos"])


async def test_a_quantity_parameter_is_a_number_and_a_labels_text_stays_text(app, form, client) -> None:
    for _ in range(2):
        await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    await fill(client, form, {"findings.0.instruction.kind": "rework", "findings.0.instruction.params.quantity": "4",
                              "findings.1.instruction.kind": "correct_shipping_marks",
                              "findings.1.instruction.params.correct_text": "2026"})
    findings = json.loads(drafts(app)[0]["report"])["findings"]
    assert findings[0]["instruction"]["params"] == {"quantity": 4}
    assert findings[1]["instruction"]["params"] == {"correct_text": "2026"}
    await autosave(client, form, "findings.0.instruction.kind", "")
    assert "instruction" not in json.loads(drafts(app)[0]["report"])["findings"][0]


async def test_a_finding_added_by_mistake_is_removed_and_the_next_moves_up(app, form, client) -> None:
    for _ in range(2):
        await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    await autosave(client, form, "findings.1.description", "Backstamp smudged")
    removed = await client.post(form + "/remove", data={"item": "findings.0"}, allow_redirects=False)
    assert removed.status == 303
    assert json.loads(drafts(app)[0]["report"])["findings"] == [{"description": "Backstamp smudged"}]
    before = drafts(app)[0]["report"]
    for item in ("findings.1", "order", "findings"):
        assert (await client.post(form + "/remove", data={"item": item}, allow_redirects=False)).status == 400
    assert drafts(app)[0]["report"] == before


async def test_a_field_of_an_item_not_added_is_refused_not_made(app, form, client) -> None:
    before = drafts(app)[0]["report"]
    answer = await client.post(form + "/field", data={"path": "findings.0.description", "value": "Crawl"})
    assert answer.status == 400 and "findings.0" in await answer.text()
    assert drafts(app)[0]["report"] == before


async def test_a_stale_phone_that_still_shows_a_removed_finding_is_told_to_reload(app, form, client) -> None:
    """Two phones on one draft: the second removes F1, so the first phone's F2 is F1 now. The
    first phone's next save of its F2 must not land in what moved up into that place."""
    for _ in range(3):
        await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    first_phone = layout_of(await (await client.get(form)).text())
    await autosave(client, form, "findings.2.description", "Third")
    await client.post(form + "/remove", data={"item": "findings.0", "layout": first_phone}, allow_redirects=False)
    before = drafts(app)[0]["report"]
    for path, data in (("/field", {"path": "findings.1.description", "value": "Second", "layout": first_phone}),
                       ("/remove", {"item": "findings.1", "layout": first_phone}),
                       ("/save", {"findings.1.description": "Second", "layout": first_phone})):
        answer = await client.post(form + path, data=data, allow_redirects=False)
        assert answer.status == 409 and "reload" in await answer.text(), path
    assert drafts(app)[0]["report"] == before
    reloaded = layout_of(await (await client.get(form)).text())
    await autosave(client, form, "findings.0.description", "Second", reloaded)
    assert [f.get("description") for f in json.loads(drafts(app)[0]["report"])["findings"]] == ["Second", "Third"]


def layout_of(html: str) -> str:
    return re.search(r'name="layout" value="([0-9.]+)"', html)[1]


async def test_a_section_of_long_chinese_notes_saves_without_the_script(app, form, client) -> None:
    for _ in range(4):
        await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    long_note = "釉面缩釉，杯口边缘露胎，需返工处理。" * 110  # under the field's 2,000 characters
    notes = {f"findings.{i}.description_zh": long_note for i in range(4)}
    saved = await client.post(form + "/save", data=notes, allow_redirects=False)
    assert saved.status == 303, await saved.text()
    assert [f["description_zh"] for f in json.loads(drafts(app)[0]["report"])["findings"]] == [long_note] * 4


async def test_a_save_of_more_fields_than_a_section_has_is_refused_in_words_and_nothing_is_kept(app, form,
                                                                                                client) -> None:
    before = drafts(app)[0]["report"]
    fields = {"progress.daily_output": "200", **{f"visit.x{i}": "1" for i in range(200)}}
    answer = await client.post(form + "/save", data=fields, allow_redirects=False)
    assert answer.status == 400 and "201 fields in one save" in await answer.text()
    assert drafts(app)[0]["report"] == before


async def test_a_finding_past_the_reports_hundred_is_refused_in_words(app, form, client) -> None:
    with sqlite3.connect(app.store.path) as db:  # a hundred findings already, as a long visit has
        report = json.loads(db.execute("SELECT report FROM visit_drafts").fetchone()[0])
        db.execute("UPDATE visit_drafts SET report = ?", (json.dumps({**report, "findings": [{}] * 100}),))
    before = drafts(app)[0]["report"]
    answer = await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    assert answer.status == 400 and "This list already holds 100 items" in await answer.text()
    assert drafts(app)[0]["report"] == before


async def test_a_phone_without_scripts_is_told_on_the_form_in_its_language_why_a_save_was_refused(
        app, form, client) -> None:
    """The autosave script reads only the status; a phone without scripts reads the page it gets
    back: the form itself, with the reason at the top in the inspector's language, never a bare
    English line."""
    await fill(client, form, COUNTS)
    posted = await client.post(form + "/submit")
    assert posted.status == 200
    before = drafts(app)[0]["report"]
    saved = await client.post(form + "/save?lang=zh", data={"visit.inspector": "X"}, allow_redirects=False)
    page = await saved.text()
    assert saved.status == 409 and saved.content_type == "text/html"
    assert 'class="card said refused"' in page and "此次验货已提交，表单不再接受修改。" in page
    too_many = await client.post(form + "/save", data={f"findings.{i}.description": "x" for i in range(201)},
                                 allow_redirects=False)
    assert too_many.status == 400 and "201 fields in one save; a section has at most 200." in await too_many.text()
    assert drafts(app)[0]["report"] == before


@pytest.mark.parametrize("change", ["removed", "now a buyer"])
async def test_a_form_link_stops_working_for_an_inspector_taken_off_the_configuration(
        app, config, clock, form, change) -> None:
    """The link carries no rights of its own: once the person who opened the form is removed, or
    is no longer someone who may post a visit, it opens nothing and saves nothing."""
    await app.close()
    inspector = person(config, Role.INSPECTOR)
    people = tuple(p for p in config.people if p.key != inspector.key)
    if change == "now a buyer":
        people += (inspector.model_copy(update={"role": Role.BUYER}),)
    later = await build_app(config.model_copy(update={"people": people}), clock, RecordingConsole(Transcript()))
    try:
        before = drafts(later)[0]["report"]
        async with TestClient(TestServer(web_application(later, SIGNER, lambda: None))) as client:
            page = await client.get(form)
            assert page.status == 410 and "no longer set up to use it" in await page.text()
            saved = await client.post(form + "/field", data={"path": "visit.inspector", "value": "X"})
            assert saved.status == 410
            submitted = await client.post(form + "/submit")
            assert submitted.status == 410
        assert drafts(later)[0]["report"] == before
    finally:
        await later.close()


async def test_a_wrong_shipping_mark_gets_its_photo_and_instruction_on_the_form_as_a_finding_does(
        app, form, client) -> None:
    """A packaging check found wrong, or a substituted material, is what the factory must put right
    as much as a finding: the form takes its photo and the instruction the inspector proposes, shows
    how the factory will read it, and the posted visit carries both."""
    await client.post(form + "/add", data={"section": "packaging.checks"}, allow_redirects=False)
    await upload(client, form, "packaging.checks.0", PHOTO.read_bytes())
    prefix = "packaging.checks.0"
    result = await fill(client, form, {
        **COUNTS, "packaging.materials_on_site": "", f"{prefix}.item": "shipping_marks", f"{prefix}.status": "wrong",
        f"{prefix}.note": "Carton marks show PO-2026-0124", f"{prefix}.note_zh": "外箱唛头印成PO-2026-0124",
        f"{prefix}.instruction.kind": "correct_shipping_marks",
        f"{prefix}.instruction.params.correct_text": "PO-2026-0142", f"{prefix}.instruction.due": "2026-12-10"})
    assert result["previews"][prefix] == "更正所有外箱唛头，正确内容为：PO-2026-0142。"
    page = await (await client.get(form)).text()
    assert f'data-item="{prefix}"' in page and f'name="{prefix}.instruction.params.correct_text"' in page
    assert f'id="photo-{prefix}"' in page and f'id="photo-materials.0"' not in page
    assert result["problems"] == {}, result["problems"]
    posted = await client.post(form + "/submit")
    assert posted.status == 200, await posted.text()
    with sqlite3.connect(app.store.path) as db:
        assert db.execute("SELECT source, kind FROM instructions").fetchall() == [
            (prefix, "correct_shipping_marks")]
    report = json.loads(drafts(app)[0]["report"])
    assert len(report["packaging"]["checks"][0]["photos"]) == 1


async def test_the_inspector_may_judge_a_finding_systematic_or_leave_it_to_the_rate(app, form, client) -> None:
    """A finding starts in the sample (its box ticked, so a section saved without scripts never
    takes it out) and with its systematic judgement left to the bot; the inspector may set either."""
    await client.post(form + "/add", data={"section": "findings"}, allow_redirects=False)
    page = await (await client.get(form)).text()
    assert re.search(r'name="findings\.0\.in_sample" value="on" form="f-findings" checked', page)
    assert '<option value="" selected>Judged by the bot from the rate</option>' in page
    await autosave(client, form, "findings.0.systematic", "true")
    assert json.loads(drafts(app)[0]["report"])["findings"][0]["systematic"] is True
    await autosave(client, form, "findings.0.systematic", "false")
    assert json.loads(drafts(app)[0]["report"])["findings"][0]["systematic"] is False
    await autosave(client, form, "findings.0.systematic", "")
    assert "systematic" not in json.loads(drafts(app)[0]["report"])["findings"][0]
    await client.post(form + "/save", data={"findings.0.description": "Glaze crawl"}, allow_redirects=False)
    assert json.loads(drafts(app)[0]["report"])["findings"][0].get("in_sample", True) is True
