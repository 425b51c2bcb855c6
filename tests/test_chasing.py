"""Chasing a notice the factory has not answered, on a real store with a clock the test moves.

The example factory (Ningbo, Asia/Shanghai, Mon–Sat, 08:30–18:00) gets the notice on Tuesday
24 Nov 2026 at 11:00 UTC, 19:00 in Ningbo: the 24 h deadline falls on Wednesday evening,
after hours, so the first reminder waits for Thursday 08:30 Ningbo time (00:30 UTC).
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.app import build_app
from handlers.chasing import chase
from handlers.commands import (
    AcceptCommitment,
    AcknowledgeNotice,
    ApproveInstruction,
    CancelNotice,
    CommitToDate,
    EscalateToManager,
    ExtendDeadline,
    PostVisit,
    RemindFactory,
    SendNotice,
    VerifyInstruction,
)
from handlers.model import Commitment, InstructionState, NoticeState, Role
from messages.i18n import CHINESE, Language
from messages.render import render_view
from handlers.views import load_view
from messages.replies import reply_text
from storage.sqlite import path_from_url
from tests.conftest import actor, example_report
from tests.fakes import RecordingConsole, Transcript

SENT_AT = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # Tue 19:00 in Ningbo
THURSDAY_MORNING = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # Thu 08:30 in Ningbo


async def send_the_example_notice(app, config) -> int:
    report, photos = example_report(config)
    posted = await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    async with app.store.unit_of_work() as uow:
        ids = [i.id for i in await uow.instructions.for_visit(posted.params["visit_id"])]
    for instruction_id in ids:
        await app.bus.handle(ApproveInstruction(instruction_id), actor(config, Role.BUYER))
    sent = await app.bus.handle(SendNotice(posted.params["visit_id"]), actor(config, Role.BUYER))
    return sent.params["notice_id"]


def owed(app, *kinds: str) -> list[tuple[str, str]]:
    """(destination, kind) of every message of these kinds in the outbox, oldest first."""
    path = path_from_url(app.config.storage.url)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT destination, kind FROM outbox ORDER BY id").fetchall()
    return [(d, k) for d, k in rows if k in kinds]


def reminders(app) -> list[tuple[str, str]]:
    return owed(app, "reminder")


@pytest.fixture
async def sent(app, config, clock) -> int:
    clock.moment = SENT_AT
    return await send_the_example_notice(app, config)


async def test_the_deadline_is_24_hours_after_sending(app, sent) -> None:
    async with app.store.unit_of_work() as uow:
        notice = await uow.notices.get(sent)
    assert notice.acknowledge_by == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


async def test_the_first_reminder_waits_for_the_deadline_and_then_for_the_factory_morning(app, clock, sent) -> None:
    clock.moment = datetime(2026, 11, 25, 10, 59, tzinfo=UTC)  # a minute before the deadline
    assert (await chase(app.store, clock, app.settings)).reminders == 0
    clock.moment = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # the deadline: 19:00 in Ningbo
    assert (await chase(app.store, clock, app.settings)).reminders == 0
    clock.moment = datetime(2026, 11, 26, 0, 29, tzinfo=UTC)  # 08:29 in Ningbo
    assert (await chase(app.store, clock, app.settings)).reminders == 0

    clock.moment = THURSDAY_MORNING
    assert (await chase(app.store, clock, app.settings)).reminders == 1
    assert reminders(app) == [("factory NB-EVERGREEN", "reminder")]

    for _ in range(3):  # the loop comes round again and again: nothing more is due
        clock.advance(minutes=1)
        assert (await chase(app.store, clock, app.settings)).reminders == 0
    assert len(reminders(app)) == 1


async def test_then_every_12_hours_but_never_at_night(app, clock, sent) -> None:
    clock.moment = THURSDAY_MORNING
    await chase(app.store, clock, app.settings)
    clock.moment = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)  # 12 h later: 20:30 in Ningbo
    assert (await chase(app.store, clock, app.settings)).reminders == 0
    clock.moment = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # Friday 08:30 in Ningbo
    assert (await chase(app.store, clock, app.settings)).reminders == 1
    clock.moment = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)  # Fri 20:30
    await chase(app.store, clock, app.settings)
    clock.moment = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)  # Saturday is a working day
    assert (await chase(app.store, clock, app.settings)).reminders == 1
    clock.moment = datetime(2026, 11, 29, 0, 30, tzinfo=UTC)  # Sunday is not
    assert (await chase(app.store, clock, app.settings)).reminders == 0
    clock.moment = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # Monday morning
    assert (await chase(app.store, clock, app.settings)).reminders == 1
    assert len(reminders(app)) == 4


async def test_the_buyer_is_alerted_once_48_hours_after_sending(app, clock, sent) -> None:
    clock.moment = datetime(2026, 11, 26, 10, 59, tzinfo=UTC)
    assert (await chase(app.store, clock, app.settings)).escalations == 0
    clock.moment = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    assert (await chase(app.store, clock, app.settings)).escalations == 1
    clock.advance(hours=30)
    assert (await chase(app.store, clock, app.settings)).escalations == 0
    assert owed(app, "escalation") == [("buyer", "escalation")]

    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, "escalation", {"notice_id": sent})
    rendered = render_view("text", view, Language("en_GB", "Europe/Berlin"))
    assert rendered.text.splitlines()[0] == (
        "⚠ Ningbo Evergreen Homeware Co., Ltd. has not answered notice CN-2026-0001")
    assert "2 reminders sent, no answer yet." in rendered.text  # Thursday and Friday morning
    assert [b.label for b in rendered.buttons] == ["Remind again", "Extend by 24 h", "Withdraw notice"]


async def test_an_acknowledged_notice_is_not_chased(app, config, clock, sent) -> None:
    await app.bus.handle(AcknowledgeNotice(sent), actor(config, Role.FACTORY))
    clock.moment = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    chased = await chase(app.store, clock, app.settings)
    assert (chased.reminders, chased.escalations) == (0, 0)
    assert reminders(app) == [] and owed(app, "escalation") == []


async def test_two_replicas_chasing_at_once_send_each_reminder_once(app, config, clock, sent) -> None:
    other = await build_app(config, clock, RecordingConsole(Transcript()))
    try:
        clock.moment = THURSDAY_MORNING
        results = await asyncio.gather(*(chase(a.store, clock, a.settings) for a in (app, other, app, other)))
    finally:
        await other.close()
    assert sum(r.reminders for r in results) == 1
    assert len(reminders(app)) == 1


async def test_a_restart_neither_skips_nor_repeats_a_reminder(app, config, clock, sent) -> None:
    clock.moment = THURSDAY_MORNING
    await chase(app.store, clock, app.settings)
    await app.close()
    restarted = await build_app(config, clock, RecordingConsole(Transcript()))
    try:
        assert (await chase(restarted.store, clock, restarted.settings)).reminders == 0
        clock.moment = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)
        assert (await chase(restarted.store, clock, restarted.settings)).reminders == 1
        assert len(reminders(restarted)) == 2
    finally:
        await restarted.close()


async def test_remind_again_at_night_waits_for_the_morning(app, config, clock, sent) -> None:
    clock.moment = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 23:00 in Ningbo
    reply = await app.bus.handle(RemindFactory(sent), actor(config, Role.BUYER))
    assert reply.code == "reminder_scheduled"
    assert reply_text(reply, Language("en_GB", "Europe/Berlin")) == (
        "The factory is outside its working hours; the reminder about notice CN-2026-0001 goes at "
        "25 Nov 2026, 01:30 CET.")
    assert reminders(app) == []
    clock.moment = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # Wed 08:30 in Ningbo
    assert (await chase(app.store, clock, app.settings)).reminders == 1
    assert (await chase(app.store, clock, app.settings)).reminders == 0


async def test_remind_again_in_working_hours_goes_at_once(app, config, clock, sent) -> None:
    clock.moment = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 10:00 in Ningbo
    reply = await app.bus.handle(RemindFactory(sent), actor(config, Role.BUYER))
    assert reply.code == "reminder_sent"
    assert reminders(app) == [("factory NB-EVERGREEN", "reminder")]


async def test_extending_the_deadline_starts_the_reminders_again_from_it(app, config, clock, sent) -> None:
    clock.moment = THURSDAY_MORNING
    await chase(app.store, clock, app.settings)
    reply = await app.bus.handle(ExtendDeadline(sent), actor(config, Role.BUYER))
    assert reply.code == "deadline_extended"
    assert owed(app, "deadline_extended") == [("factory NB-EVERGREEN", "deadline_extended")]
    async with app.store.unit_of_work() as uow:
        notice = await uow.notices.get(sent)
    assert notice.acknowledge_by == datetime(2026, 11, 27, 0, 30, tzinfo=UTC)
    clock.moment = datetime(2026, 11, 27, 0, 29, tzinfo=UTC)
    assert (await chase(app.store, clock, app.settings)).reminders == 0
    clock.moment = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)
    assert (await chase(app.store, clock, app.settings)).reminders == 1


async def test_withdrawing_the_notice_cancels_its_instructions_and_stops_the_reminders(app, config, clock, sent):
    reply = await app.bus.handle(CancelNotice(sent), actor(config, Role.BUYER))
    assert reply.code == "notice_cancelled"
    async with app.store.unit_of_work() as uow:
        notice = await uow.notices.get(sent)
        states = {i.state for i in await uow.instructions.for_notice(sent)}
    assert notice.state is NoticeState.CANCELLED and states == {InstructionState.CANCELLED}
    assert owed(app, "notice_closed") == [("factory NB-EVERGREEN", "notice_closed")]
    clock.moment = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert (await chase(app.store, clock, app.settings)).reminders == 0
    late = await app.bus.handle(AcknowledgeNotice(sent), actor(config, Role.FACTORY))
    assert late.code == "notice_withdrawn"
    assert reply_text(late, Language(CHINESE, "Asia/Shanghai")).startswith("整改通知书CN-2026-0001已被买方撤销")


async def test_escalating_to_a_manager_needs_one(app, config, sent) -> None:
    reply = await app.bus.handle(EscalateToManager(sent), actor(config, Role.BUYER))
    assert (reply.ok, reply.code) == (False, "no_manager")


async def test_escalating_to_the_manager_reaches_their_own_chat(config, clock) -> None:
    factory = config.factories[0].model_copy(update={"manager": "Li Wei"})
    managed = config.model_copy(update={"factories": (factory,)})
    app = await build_app(managed, clock, RecordingConsole(Transcript()))
    try:
        clock.moment = SENT_AT
        notice_id = await send_the_example_notice(app, managed)
        reply = await app.bus.handle(EscalateToManager(notice_id), actor(managed, Role.BUYER))
        assert reply.code == "manager_escalated"
        assert owed(app, "manager_escalation") == [("Li Wei", "manager_escalation")]
        async with app.store.unit_of_work() as uow:
            view = await load_view(uow, app.settings, "manager_escalation", {"notice_id": notice_id})
        text = render_view("text", view, Language(CHINESE, "Asia/Shanghai")).text
        assert text.splitlines()[0] == "⚠ 买方提请您督办整改通知书CN-2026-0001"
    finally:
        await app.close()


async def test_a_completion_date_after_the_due_date_is_the_buyers_to_accept(app, config, clock, sent) -> None:
    factory, buyer = actor(config, Role.FACTORY), actor(config, Role.BUYER)
    await app.bus.handle(AcknowledgeNotice(sent), factory)
    async with app.store.unit_of_work() as uow:
        first, second, *_ = await uow.instructions.for_notice(sent)
    on_time = await app.bus.handle(CommitToDate(first.id, first.due.isoformat()), factory)
    assert on_time.code == "commitment_recorded"
    later = await app.bus.handle(CommitToDate(second.id, "12月20日"), factory)
    assert later.code == "commitment_asked"
    assert owed(app, "commitment_requested") == [("buyer", "commitment_requested")]
    async with app.store.unit_of_work() as uow:
        asked = await uow.instructions.get(second.id)
    assert (asked.committed.isoformat(), asked.commitment, asked.deadline) == (
        "2026-12-20", Commitment.REQUESTED, second.due)

    accepted = await app.bus.handle(AcceptCommitment(second.id), buyer)
    assert accepted.code == "commitment_decided"
    assert owed(app, "commitment_decided") == [("factory NB-EVERGREEN", "commitment_decided")]
    async with app.store.unit_of_work() as uow:
        assert (await uow.instructions.get(second.id)).deadline.isoformat() == "2026-12-20"


@pytest.mark.parametrize(
    ("text", "code"),
    [("2026-11-20", "commitment_in_past"), ("next week", "bad_date"), ("2026-02-30", "bad_date")],
)
async def test_a_completion_date_that_cannot_stand_is_refused_and_changes_nothing(
    app, config, sent, text: str, code: str
) -> None:
    factory = actor(config, Role.FACTORY)
    await app.bus.handle(AcknowledgeNotice(sent), factory)
    async with app.store.unit_of_work() as uow:
        first = (await uow.instructions.for_notice(sent))[0]
    reply = await app.bus.handle(CommitToDate(first.id, text), factory)
    assert (reply.ok, reply.code) == (False, code)
    assert text.strip() in reply_text(reply, Language(CHINESE)) or code == "commitment_in_past"
    async with app.store.unit_of_work() as uow:
        assert await uow.instructions.get(first.id) == first


async def test_overdue_instructions_alert_the_buyer_once_a_day_per_order(app, config, clock, sent) -> None:
    await app.bus.handle(AcknowledgeNotice(sent), actor(config, Role.FACTORY))
    clock.moment = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Sat 00:00 in Ningbo: 27 Nov is past
    first = await chase(app.store, clock, app.settings)
    again = await chase(app.store, clock, app.settings)
    assert (first.overdue_alerts, again.overdue_alerts) == (1, 0)
    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, "overdue", {"visit_id": 1, "sources": ["findings.1"]})
    assert render_view("text", view, Language("en")).text.splitlines()[0] == (
        "⏱ PO-2026-0142: 1 instruction overdue at Ningbo Evergreen Homeware Co., Ltd.")
    clock.advance(days=1)
    assert (await chase(app.store, clock, app.settings)).overdue_alerts == 1


async def test_verified_instructions_are_never_overdue(app, config, clock, sent) -> None:
    factory, buyer = actor(config, Role.FACTORY), actor(config, Role.BUYER)
    await app.bus.handle(AcknowledgeNotice(sent), factory)
    from handlers.commands import ReportDone

    async with app.store.unit_of_work() as uow:
        ids = [i.id for i in await uow.instructions.for_notice(sent)]
    for instruction_id in ids:
        await app.bus.handle(ReportDone(instruction_id, photos=("a" * 64,)), factory)
        await app.bus.handle(VerifyInstruction(instruction_id), buyer)
    clock.moment = datetime(2026, 12, 30, 3, 0, tzinfo=UTC)
    assert (await chase(app.store, clock, app.settings)).overdue_alerts == 0


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("2026-12-05", "2026-11-24", "2026-12-05"),
        ("2026年12月5日", "2026-11-24", "2026-12-05"),
        ("12月5日", "2026-11-24", "2026-12-05"),
        ("12月5号", "2026-11-24", "2026-12-05"),
        ("11月20日", "2026-11-24", "2026-11-20"),  # this year's, in the past: refused as such
        ("1月5日", "2026-12-20", "2027-01-05"),  # in December, January is next year's
        ("2月30日", "2026-11-24", None),
        ("next week", "2026-11-24", None),
    ],
)
def test_completion_dates_are_read_as_a_chinese_factory_writes_them(text: str, today: str, expected) -> None:
    from datetime import date

    from handlers.commitments import parse_date

    found = parse_date(text, date.fromisoformat(today))
    assert (found.isoformat() if found else None) == expected


async def test_remind_again_is_only_a_reminder_the_escalation_stays_the_bots(app, config, clock, sent) -> None:
    clock.moment = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thu 10:00 in Ningbo, 39 h after sending
    await chase(app.store, clock, app.settings)  # the scheduled reminder of Thursday morning
    clock.moment = datetime(2026, 11, 26, 11, 30, tzinfo=UTC)  # 48 h past: escalation due, 19:30 in Ningbo
    assert (await app.bus.handle(RemindFactory(sent), actor(config, Role.BUYER))).code == "reminder_scheduled"
    assert owed(app, "escalation") == []
    assert (await chase(app.store, clock, app.settings)).escalations == 1
    async with app.store.unit_of_work() as uow:
        escalations = [f for f in await uow.follow_ups.for_notice(sent) if f.kind == "escalation"]
    assert [f.by for f in escalations] == ["admin:Follow-up bot"]
