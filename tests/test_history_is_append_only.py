"""What was posted and sent stays as it was, whoever writes to the database: a posted visit,
each version of a notice, and what identifies a notice refuse UPDATE and DELETE (migration
0016), as the audit trail does, and so does each version's PDF as sent (0012); the changes
the bot itself makes still go through."""

from __future__ import annotations

import sqlite3

import pytest

from handlers.commands import ApproveInstruction, DisputeNotice, ExtendDeadline, SendNotice
from handlers.model import Role
from tests.conftest import actor, approve_and_send, post_example


def table(app, name: str) -> list[tuple]:
    with sqlite3.connect(app.store.path) as db:
        return db.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall()


@pytest.fixture
async def history(app, config):
    """A posted visit and its notice, sent in version 1 and (after a dispute) version 2."""
    visit_id = await post_example(app, config)
    notice_id = await approve_and_send(app, config, visit_id)
    buyer = actor(config, Role.BUYER)
    assert (await app.bus.handle(DisputeNotice(notice_id, "纸箱规格不对"), actor(config, Role.FACTORY))).ok
    async with app.store.unit_of_work() as uow:
        instructions = await uow.instructions.for_visit(visit_id)
    for instruction in instructions:
        assert (await app.bus.handle(ApproveInstruction(instruction.id), buyer)).ok
    assert (await app.bus.handle(SendNotice(visit_id), buyer)).code == "notice_revised"
    return app


FORBIDDEN = {
    "DELETE FROM visits": "visits are history",
    "UPDATE visits SET report = json_set(report, '$.order.quantity', 1)": "visits are history",
    "UPDATE visits SET order_reference = 'PO-2026-9999'": "visits are history",
    "UPDATE visits SET order_reference = lower(order_reference)": "visits are history",
    "UPDATE visits SET factory_id = 'another'": "visits are history",
    "UPDATE visits SET posted_by = 'buyer:Someone Else'": "visits are history",
    "UPDATE visits SET photos = '{}'": "visits are history",
    "UPDATE visits SET visit_date = '2020-01-01'": "visits are history",
    "UPDATE visits SET id = id + 100": "visits are history",
    "DELETE FROM notice_versions WHERE version = 1": "notice versions are history",
    "UPDATE notice_versions SET instructions = '[]'": "notice versions are history",
    "UPDATE notice_versions SET sent_by = 'buyer:Someone Else'": "notice versions are history",
    "DELETE FROM notices": "notices are history",
    "UPDATE notices SET number = 'CN-2026-0099'": "notices keep their number",
    "UPDATE notices SET number = lower(number)": "notices keep their number",
    "UPDATE notices SET visit_id = visit_id + 1": "notices keep their number",
    "UPDATE notices SET factory_id = 'another'": "notices keep their number",
    "UPDATE notices SET order_reference = 'PO-2026-9999'": "notices keep their number",
    "UPDATE notices SET version = 1": "notice versions are history",
    "UPDATE notices SET version = version + 2": "notice versions are history",
    "UPDATE notices SET sent_by = 'buyer:Someone Else'": "notice versions are history",
    "UPDATE notices SET sent_at = '2020-01-01T00:00:00.000000+00:00'": "notice versions are history",
}


@pytest.mark.parametrize("statement", FORBIDDEN)
async def test_rewriting_history_by_hand_is_refused_and_changes_nothing(history, statement) -> None:
    tables = ("visits", "notices", "notice_versions")
    before = {name: table(history, name) for name in tables}
    with sqlite3.connect(history.store.path) as db, pytest.raises(sqlite3.IntegrityError, match=FORBIDDEN[statement]):
        db.execute(statement)
    assert {name: table(history, name) for name in tables} == before


async def test_what_the_bot_changes_still_changes(history, config) -> None:
    """Verdicts judged again, the newest mark moved by a later visit, a notice answered,
    extended and sent in a new version: all of it goes through the triggers."""
    with sqlite3.connect(history.store.path) as db:
        db.execute("UPDATE visits SET status = 'late', gap_pts = 99, verified_pct = NULL, reported_pct = NULL,"
                   " options = '[]', projected_completion = NULL")
        db.execute("UPDATE visits SET newest = 0")
        db.execute("UPDATE notices SET reminder_requested_by = NULL, deadline_round = deadline_round + 1")
    async with history.store.unit_of_work() as uow:
        (notice,) = await uow.notices.every()
    extended = await history.bus.handle(ExtendDeadline(notice.id), actor(config, Role.BUYER))
    assert extended.ok, extended
    async with history.store.unit_of_work() as uow:
        (notice,) = await uow.notices.every()
        assert notice.version == 2 and await uow.notices.version(notice.id, 1) is not None


async def test_a_version_keeps_the_pdf_first_stored_for_it(history, clock) -> None:
    """Two renderings of one version racing (two replicas): the first stored is what both send."""
    async with history.store.unit_of_work() as uow:
        first = await uow.notice_pdfs.keep(1, 2, b"%PDF first", clock.now())
        second = await uow.notice_pdfs.keep(1, 2, b"%PDF second", clock.now())
        await uow.commit()
    assert first == second == b"%PDF first"
    with sqlite3.connect(history.store.path) as db:
        for statement in ("UPDATE notice_pdfs SET pdf = x'00'", "DELETE FROM notice_pdfs"):
            with pytest.raises(sqlite3.IntegrityError, match="notice PDFs are history"):
                db.execute(statement)
