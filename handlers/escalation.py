"""What the buyer may do about a notice the factory has not answered: remind them again,
escalate to the factory's manager, give more time, or withdraw the notice."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from handlers.chasing import MANAGER, remind_if_due
from handlers.commands import CancelNotice, EscalateToManager, ExtendDeadline, RemindFactory
from handlers.context import Context
from handlers.lifecycle import Action
from handlers.model import Notice, NoticeState
from handlers.model.message_kinds import MessageKind
from handlers.results import Refused, Reply
from handlers.transitions import move
from handlers.working_hours import next_working_moment


async def remind(command: RemindFactory, ctx: Context) -> Reply:
    notice = await _awaiting_answer(ctx, command.notice_id)
    factory = ctx.settings.factories[notice.factory_id]
    await ctx.uow.notices.save(dataclasses.replace(notice, reminder_requested_by=ctx.actor.person.key))
    await ctx.audit("notice", notice.id, "request_reminder", None, {"by": ctx.actor.person.key})
    params = {"notice_id": notice.id, "number": notice.number}
    if await remind_if_due(ctx, notice.id):
        return Reply("reminder_sent", params)
    when = next_working_moment(ctx.now, factory)
    return Reply("reminder_scheduled", {**params, "at": when.isoformat(), "timezone": factory.timezone})


async def escalate_to_manager(command: EscalateToManager, ctx: Context) -> Reply:
    notice = await _awaiting_answer(ctx, command.notice_id)
    factory = ctx.settings.factories[notice.factory_id]
    if factory.manager is None:
        raise Refused("no_manager", factory=factory.name)
    step = await ctx.uow.follow_ups.record(notice.id, MANAGER, notice.deadline_round, ctx.now, ctx.actor.person.key)
    await ctx.audit("notice", notice.id, "escalate_to_manager", None, {"manager": factory.manager, "step": step.step})
    escalated = ctx.settings.routing.to_manager(notice.factory_id, MessageKind.MANAGER_ESCALATION,
                                                {"notice_id": notice.id})
    await ctx.enqueue(escalated)
    return Reply("manager_escalated", {"notice_id": notice.id, "number": notice.number, "manager": factory.manager})


async def extend(command: ExtendDeadline, ctx: Context) -> Reply:
    if not 1 <= command.hours <= 24 * 14:
        raise Refused("bad_extension", hours=command.hours)
    notice = await _awaiting_answer(ctx, command.notice_id)
    new_deadline = max(ctx.now, notice.acknowledge_by or ctx.now) + timedelta(hours=command.hours)
    extended = await ctx.uow.notices.extend(notice, new_deadline)
    await ctx.audit("notice", notice.id, "extend", {"acknowledge_by": _iso(notice.acknowledge_by)},
                    {"acknowledge_by": _iso(extended.acknowledge_by), "round": extended.deadline_round})
    await ctx.to_factory(notice.factory_id, MessageKind.DEADLINE_EXTENDED, {"notice_id": notice.id})
    return Reply("deadline_extended", {"notice_id": notice.id, "number": notice.number,
                                       "until": extended.acknowledge_by.isoformat()})


async def cancel(command: CancelNotice, ctx: Context) -> Reply:
    notice = await ctx.uow.notices.get(command.notice_id)
    if notice is not None and notice.state is NoticeState.CANCELLED:
        return Reply("notice_already_cancelled", {"notice_id": notice.id, "number": notice.number})
    notice = await _awaiting_answer(ctx, command.notice_id)
    cancelled = dataclasses.replace(notice, state=NoticeState.CANCELLED, answered=ctx.decision(),
                                    reminder_requested_by=None)
    await ctx.uow.notices.save(cancelled)
    await ctx.audit("notice", notice.id, "cancel", {"state": notice.state.value}, {"state": cancelled.state.value})
    for instruction in await ctx.uow.instructions.for_notice(notice.id):
        await move(ctx, instruction, Action.CANCEL)
    await ctx.to_factory(notice.factory_id, MessageKind.NOTICE_CLOSED,
                         {"notice_id": notice.id, "version": notice.version})
    return Reply("notice_cancelled", {"notice_id": notice.id, "number": notice.number})


async def _awaiting_answer(ctx: Context, notice_id: int) -> Notice:
    notice = await ctx.uow.notices.get(notice_id)
    if notice is None:
        raise Refused("unknown_notice", notice_id=notice_id)
    if notice.state is not NoticeState.SENT:
        raise Refused("notice_not_awaiting", number=notice.number, state=notice.state.value)
    return notice


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()
