"""Free text the factory would read in English only (a finding's description, an instruction's
note, a descriptive parameter) holds the notice back once: the buyer is told which texts, adds
their Chinese in chat or sends anyway, so a notice never mixes languages unnoticed (issue 15 §6).

Through the bus on one real SQLite store, as every surface reaches it; the Telegram, Slack and
console stories are in test_telegram.py, test_slack_more.py and test_demo.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from handlers.commands import AddChinese, ApproveInstruction, EditInstruction, PostVisit, SendNotice
from handlers.intake.reports import read_report
from handlers.model import Role
from handlers.queries.english_only import english_only
from handlers.views import load_view
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.pdf import notice_pdf
from messages.replies import reply_text
from tests.conftest import actor, write_report
from tests.pdf_reading import pdf_text

F2, F3 = "findings.1", "findings.2"


def english_in(data: dict) -> dict:
    """The example with F2's description and note and F3's glaze aspect left in English."""
    data["findings"][1].pop("description_zh")
    data["findings"][1]["instruction"].pop("note_zh")
    data["findings"][2]["instruction"].pop("params_zh")
    return data


async def posted(app: App, config: Config, visit_dir: Path, data: dict) -> tuple[int, dict[str, int]]:
    """The report posted and every instruction approved: the visit and its instructions' ids."""
    with read_report(write_report(visit_dir, data), [f.id for f in config.factories]) as checked:
        assert checked.ok, checked.problems
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        for photo in checked.photos.values():
            app.media.put(photo.path, photo.sha256, photo.format)
    posted = await app.bus.handle(PostVisit(checked.report, photos), actor(config, Role.INSPECTOR))
    visit_id = posted.params["visit_id"]
    async with app.store.unit_of_work() as uow:
        ids = {i.source: i.id for i in await uow.instructions.for_visit(visit_id)}
    for instruction_id in ids.values():
        assert (await app.bus.handle(ApproveInstruction(instruction_id), actor(config, Role.BUYER))).ok
    return visit_id, ids


async def listed(app: App, visit_id: int) -> list[tuple[str, str]]:
    async with app.store.unit_of_work() as uow:
        visit = await uow.visits.get(visit_id)
        instructions = [i for i in await uow.instructions.for_visit(visit_id) if i.is_approved]
    return [(t.label, t.field) for t in english_only(visit, instructions)]


def rows(app: App, query: str) -> list[tuple]:
    with sqlite3.connect(app.store.path) as db:
        return list(db.execute(query))


def snapshot(app: App) -> dict[str, list[tuple]]:
    with sqlite3.connect(app.store.path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        queries = {t: f"SELECT * FROM {t}" for t in tables}
        queries["audit_events"] = "SELECT * FROM audit_events WHERE action != 'refused'"
        return {t: sorted(map(tuple, db.execute(q))) for t, q in queries.items()}


async def notice_text(app: App, notice_id: int, locale: str = CHINESE) -> str:
    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, "notice", {"notice_id": notice_id})
    return render("text", "notice/section.txt.j2", Language(locale, "Asia/Shanghai"), v=view)


async def test_the_example_visit_is_all_chinese_and_sent_at_the_first_tap(app, config, visit_dir, example_data):
    visit_id, _ = await posted(app, config, visit_dir, example_data)
    assert await listed(app, visit_id) == []

    sent = await app.bus.handle(SendNotice(visit_id), actor(config, Role.BUYER))

    assert sent.code == "notice_sent"
    assert "【原文（英文）】" not in await notice_text(app, sent.params["notice_id"])


async def test_each_text_in_english_only_is_listed_by_item_and_field(app, config, visit_dir, example_data):
    data = english_in(example_data)
    data["packaging"]["checks"][1]["note_zh"] = None
    data["packaging"]["checks"][1]["note"] = "侧唛订单号印错。"  # written in Chinese: counts as Chinese
    visit_id, _ = await posted(app, config, visit_dir, data)

    assert await listed(app, visit_id) == [("F2", "problem"), ("F2", "note"), ("F3", "params.aspect")]


async def test_send_warns_the_buyer_and_nothing_reaches_the_factory(app, config, visit_dir, example_data):
    visit_id, _ = await posted(app, config, visit_dir, english_in(example_data))
    outbox = rows(app, "SELECT destination, kind FROM outbox")

    held = await app.bus.handle(SendNotice(visit_id), actor(config, Role.BUYER))

    assert (held.ok, held.code, held.params) == (True, "notice_english_only", {"count": 3})
    assert reply_text(held, Language(ENGLISH)) == (
        "Not sent yet: 3 texts would reach the factory in English only. Add their Chinese, or tap Send anyway.")
    assert rows(app, "SELECT * FROM notices") == []
    assert rows(app, "SELECT destination, kind FROM outbox") == [*outbox, ("buyer", "english_only")]
    (warned,) = rows(app, "SELECT actor, entity, entity_id, action FROM audit_events"
                          " WHERE action = 'warn_english_only'")
    assert warned == ("buyer:Anna Schmidt", "visit", str(visit_id), "warn_english_only")
    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, "english_only", {"visit_id": visit_id,
                                                                   "sources": [F2, F3, "findings.0"]})
    shown = render("console", "chat/english_only.j2", Language(ENGLISH), v=view)
    assert shown.splitlines()[:5] == [
        "⚠ 3 texts will reach the factory in English only — add Chinese?",
        "Notice for PO-2026-0142, not sent yet.",
        '  [F2] problem description: “Backstamp reads "Made in PRC" instead of "Made in China" on every unit '
        'from kil…”',
        "  [F2] note: “Correct the backstamp screen before the next firing.”",
        "  [F3] “aspect” in the required action: “the glaze colour”",
    ]


async def test_chinese_added_in_chat_is_what_the_notice_carries_then_it_is_sent_at_once(
        app, config, visit_dir, example_data):
    visit_id, ids = await posted(app, config, visit_dir, english_in(example_data))
    buyer = actor(config, Role.BUYER)
    await app.bus.handle(SendNotice(visit_id), buyer)

    for instruction, chinese in ((F2, "第3窑批次底标印为“Made in PRC”。"), (F2, "下一窑烧成前更正底标丝网版。"),
                                 (F3, "釉色")):
        added = await app.bus.handle(AddChinese(ids[instruction], chinese), buyer)
        assert added.ok, added
    assert await listed(app, visit_id) == []
    sent = await app.bus.handle(SendNotice(visit_id), buyer)

    assert sent.code == "notice_sent"
    chinese = await notice_text(app, sent.params["notice_id"])
    assert "问题描述：第3窑批次底标印为“Made in PRC”。" in chinese
    assert "备注：下一窑烧成前更正底标丝网版。" in chinese
    assert "整改措施：釉色须与确认样一致。" in chinese
    assert "【原文（英文）】" not in chinese and "英文原文" not in chinese
    english = await notice_text(app, sent.params["notice_id"], ENGLISH)
    assert "Problem: Backstamp reads" in english and "Note: Correct the backstamp screen" in english
    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, "notice", {"notice_id": sent.params["notice_id"]})
    read = pdf_text(notice_pdf(view, app.media, None))
    assert "第3窑批次底标印为" in read and "原文（英文）" not in read
    edits = [e for e in rows(app, "SELECT action, after FROM audit_events WHERE entity = 'instruction'"
                                  f" AND entity_id = '{ids[F2]}'") if e[0] == "edit"]
    assert '"description_zh": "第3窑批次底标印为“Made in PRC”。"' in edits[0][1]


async def test_the_answer_to_add_chinese_says_what_got_it_and_what_is_left(app, config, visit_dir, example_data):
    _, ids = await posted(app, config, visit_dir, english_in(example_data))
    buyer = actor(config, Role.BUYER)

    first = await app.bus.handle(AddChinese(ids[F2], "第3窑批次底标印错。"), buyer)
    last = await app.bus.handle(AddChinese(ids[F2], "更正底标丝网版。"), buyer)

    assert reply_text(first, Language(ENGLISH)) == (
        "Chinese added for F2 (problem description); 1 more text of it is in English only.")
    assert reply_text(last, Language(ENGLISH)) == (
        "Chinese added for F2 (note); every text of it now has its Chinese.")
    assert reply_text(last, Language(CHINESE)) == "已为F2补充中文（备注）；该项所有文字均已有中文。"


async def test_the_same_chinese_again_changes_nothing(app, config, visit_dir, example_data):
    _, ids = await posted(app, config, visit_dir, english_in(example_data))
    buyer = actor(config, Role.BUYER)
    await app.bus.handle(AddChinese(ids[F2], "第3窑批次底标印错。"), buyer)
    before = snapshot(app)

    again = await app.bus.handle(AddChinese(ids[F2], "第3窑批次底标印错。"), buyer)

    assert (again.ok, again.code) == (True, "chinese_already_added")
    assert snapshot(app) == before


@pytest.mark.parametrize(("text", "code", "said"), [
    ("Glaze colour", "not_chinese",
     "That text has no Chinese in it; write the Chinese the factory will read for F3. Nothing was changed."),
    ("  \n ", "text_required", "Please give a Chinese text."),
    ("釉" * 1001, "text_too_long", "The Chinese text is 1001 characters long; the limit is 1000."),
])
async def test_chinese_that_is_not_there_is_refused_naming_the_problem(app, config, visit_dir, example_data,
                                                                       text, code, said):
    _, ids = await posted(app, config, visit_dir, english_in(example_data))
    before = snapshot(app)

    refused = await app.bus.handle(AddChinese(ids[F3], text), actor(config, Role.BUYER))

    assert (refused.ok, refused.code) == (False, code)
    assert reply_text(refused, Language(ENGLISH)) == said
    assert snapshot(app) == before


async def test_an_instruction_with_nothing_in_english_only_is_refused(app, config, visit_dir, example_data):
    _, ids = await posted(app, config, visit_dir, english_in(example_data))
    before = snapshot(app)

    refused = await app.bus.handle(AddChinese(ids["findings.0"], "全检。"), actor(config, Role.BUYER))

    assert (refused.ok, refused.code) == (False, "no_english_only")
    assert reply_text(refused, Language(ENGLISH)) == (
        "Every text of F1 already has its Chinese; nothing was changed.")
    assert snapshot(app) == before


async def test_once_sent_the_chinese_can_no_longer_be_added(app, config, visit_dir, example_data):
    visit_id, ids = await posted(app, config, visit_dir, english_in(example_data))
    buyer = actor(config, Role.BUYER)
    await app.bus.handle(SendNotice(visit_id, english_only_confirmed=True), buyer)
    before = snapshot(app)

    refused = await app.bus.handle(AddChinese(ids[F3], "釉色"), buyer)

    assert (refused.ok, refused.code) == (False, "illegal_transition")
    assert snapshot(app) == before


async def test_send_anyway_sends_as_it_is_and_the_audit_says_which_texts_went_in_english(
        app, config, visit_dir, example_data):
    visit_id, _ = await posted(app, config, visit_dir, english_in(example_data))

    sent = await app.bus.handle(SendNotice(visit_id, english_only_confirmed=True), actor(config, Role.BUYER))

    assert sent.code == "notice_sent"
    assert rows(app, "SELECT kind FROM outbox WHERE kind = 'english_only'") == []
    (audited,) = rows(app, "SELECT after FROM audit_events WHERE entity = 'notice' AND action = 'send'")
    assert '"field": "problem"' in audited[0] and '"label": "F3"' in audited[0]
    chinese = await notice_text(app, sent.params["notice_id"])
    assert "问题描述：【原文（英文）】Backstamp reads" in chinese


async def test_a_second_send_after_the_warning_sends_unless_new_english_came_in(app, config, visit_dir, example_data):
    visit_id, ids = await posted(app, config, visit_dir, english_in(example_data))
    buyer = actor(config, Role.BUYER)
    assert (await app.bus.handle(SendNotice(visit_id), buyer)).code == "notice_english_only"
    await app.bus.handle(EditInstruction(ids["findings.0"], note="Keep the rejects for re-inspection."), buyer)

    again = await app.bus.handle(SendNotice(visit_id), buyer)  # F1's new note: not warned of yet
    third = await app.bus.handle(SendNotice(visit_id), buyer)

    assert (again.code, again.params) == ("notice_english_only", {"count": 4})
    assert third.code == "notice_sent"


async def test_a_reworded_parameter_drops_the_chinese_the_buyer_added_for_it(app, config, visit_dir, example_data):
    visit_id, ids = await posted(app, config, visit_dir, english_in(example_data))
    buyer = actor(config, Role.BUYER)
    await app.bus.handle(AddChinese(ids[F3], "釉色"), buyer)
    assert ("F3", "params.aspect") not in await listed(app, visit_id)

    await app.bus.handle(EditInstruction(ids[F3], params={"aspect": "the glaze gloss"}), buyer)

    assert ("F3", "params.aspect") in await listed(app, visit_id)
