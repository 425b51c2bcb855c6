"""Chasing what the factory owes: reminders about an unanswered notice at its deadline and
then at fixed steps, only within the factory's working hours; one escalation to the buyer;
one overdue alert per order and factory day.

`chase` runs from a loop every minute. Each step is recorded with the message it enqueues,
in one transaction, under a key (notice, kind, round, step): a restart at any moment
neither skips nor repeats a reminder, and a second replica's attempt at the same step fails
instead of sending twice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.commands import Actor
from handlers.context import Context, Settings
from handlers.model import Factory, Notice, NoticeState, Person, Platform, Role
from handlers.model.message_kinds import MessageKind
from handlers.working_hours import factory_today, next_working_moment

log = logging.getLogger(__name__)

BOT = Actor(Person(name="Follow-up bot", role=Role.ADMIN), Platform.CONSOLE)
REMINDER, ESCALATION, MANAGER = "reminder", "escalation", "manager"


@dataclass(frozen=True)
class Chased:
    reminders: int = 0
    escalations: int = 0
    overdue_alerts: int = 0

    def __add__(self, other: Chased) -> Chased:
        return Chased(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))


def deadline_for(sent_at: datetime, factory: Factory) -> datetime:
    return sent_at + timedelta(hours=factory.acknowledge_within_hours)


def escalation_due(notice: Notice, factory: Factory) -> datetime:
    """Escalation comes `escalate_after_hours` after sending, i.e. that long past the deadline's start."""
    return notice.acknowledge_by + timedelta(hours=factory.escalate_after_hours - factory.acknowledge_within_hours)


def next_reminder_due(notice: Notice, factory: Factory, reminders: list) -> datetime:
    """At the deadline, then `remind_every_hours` after the last one; moved into working hours."""
    due = notice.acknowledge_by if not reminders else reminders[-1].at + timedelta(hours=factory.remind_every_hours)
    return next_working_moment(due, factory)


async def chase(store, clock, settings: Settings) -> Chased:
    """One pass over every notice awaiting an answer and every open instruction."""
    async with store.unit_of_work() as uow:
        waiting = [n.id for n in await uow.notices.awaiting_answer()]
    done = Chased()
    for notice_id in waiting:  # one transaction each: a notice that fails does not hold up the rest
        try:
            async with store.unit_of_work() as uow:
                done += await chase_notice(Context(uow, BOT, clock.now(), settings), notice_id)
                await uow.commit()
        except Exception:  # noqa: BLE001 - logged with context; the next pass tries again
            log.exception("chasing notice %s failed", notice_id)
    async with store.unit_of_work() as uow:
        done += await alert_overdue(Context(uow, BOT, clock.now(), settings))
        await uow.commit()
    return done


async def chase_notice(ctx: Context, notice_id: int) -> Chased:
    await ctx.uow.locks.target(f"notice:{notice_id}")  # as a buyer's command on the notice takes it
    reminded = await remind_if_due(ctx, notice_id)
    escalated = await _escalate_if_due(ctx, notice_id)
    return Chased(reminders=int(reminded), escalations=int(escalated))


async def remind_if_due(ctx: Context, notice_id: int) -> bool:
    """Sends the reminder a buyer asked for once the factory is at work, else the scheduled
    one when it is due; True when one went."""
    notice = await _awaiting_answer(ctx, notice_id)
    if notice is None:
        return False
    factory = ctx.settings.factories[notice.factory_id]
    reminders = [f for f in await _this_round(ctx, notice) if f.kind == REMINDER]
    if notice.reminder_requested_by and next_working_moment(ctx.now, factory) == ctx.now:
        await send_reminder(ctx, notice, by=notice.reminder_requested_by)
        await ctx.uow.notices.save(dataclasses.replace(notice, reminder_requested_by=None))
        return True
    if ctx.now >= next_reminder_due(notice, factory, reminders):
        await send_reminder(ctx, notice, by=ctx.actor.person.key)
        return True
    return False


async def _escalate_if_due(ctx: Context, notice_id: int) -> bool:
    notice = await _awaiting_answer(ctx, notice_id)
    if notice is None or any(f.kind == ESCALATION for f in await _this_round(ctx, notice)):
        return False
    if ctx.now < escalation_due(notice, ctx.settings.factories[notice.factory_id]):
        return False
    await ctx.uow.follow_ups.record(notice.id, ESCALATION, notice.deadline_round, ctx.now, ctx.actor.person.key)
    await ctx.audit("notice", notice.id, ESCALATION, None, {"round": notice.deadline_round})
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.ESCALATION, {"notice_id": notice.id}))
    return True


async def _awaiting_answer(ctx: Context, notice_id: int) -> Notice | None:
    notice = await ctx.uow.notices.get(notice_id)
    if notice is None or notice.state is not NoticeState.SENT or notice.acknowledge_by is None:
        return None
    return notice


async def _this_round(ctx: Context, notice: Notice) -> list:
    """The follow-ups since the notice was sent or its deadline last extended."""
    return [f for f in await ctx.uow.follow_ups.for_notice(notice.id) if f.round == notice.deadline_round]


async def send_reminder(ctx: Context, notice: Notice, by: str) -> None:
    step = await ctx.uow.follow_ups.record(notice.id, REMINDER, notice.deadline_round, ctx.now, by)
    await ctx.audit("notice", notice.id, REMINDER, None, {"round": step.round, "step": step.step, "by": by})
    await ctx.to_factory(notice.factory_id, MessageKind.REMINDER, {"notice_id": notice.id})


async def alert_overdue(ctx: Context) -> Chased:
    """One alert per order and factory day, listing every instruction past its date (checked,
    then recorded: one pass at a time, under the passes' own lock)."""
    await ctx.uow.locks.key("overdue-alerts")
    by_visit: dict[int, list] = defaultdict(list)
    for instruction in await ctx.uow.instructions.open_at_factory():
        by_visit[instruction.visit_id].append(instruction)
    alerts = 0
    for visit_id, instructions in by_visit.items():
        visit = await ctx.uow.visits.get(visit_id)
        today = factory_today(ctx.now, ctx.settings.factories[visit.factory_id])
        overdue = [i for i in instructions if i.is_overdue(today)]
        if not overdue or await ctx.uow.follow_ups.alerted_overdue(visit_id, today):
            continue
        await ctx.uow.follow_ups.record_overdue_alert(visit_id, today, ctx.now)
        payload = {"visit_id": visit_id, "sources": [i.source for i in overdue], "day": today.isoformat()}
        await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.OVERDUE, payload))
        alerts += 1
    return Chased(overdue_alerts=alerts)
