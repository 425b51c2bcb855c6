"""The corrective notice: sent to the factory once every instruction is decided, then
acknowledged or disputed by the factory, which the buyer is told of."""

from __future__ import annotations

import dataclasses

from handlers.commands import AcknowledgeNotice, DisputeNotice, SendNotice
from handlers.chasing import deadline_for
from handlers.context import Context
from handlers.lifecycle import Action
from handlers.model.message_kinds import MessageKind
from handlers.model import Notice, NoticeState
from handlers.queries.english_only import EnglishOnly, english_only
from handlers.results import Refused, Reply
from handlers.text import required_text
from handlers.transitions import move

WARNED = "warn_english_only"  # the audit action of a notice held back for English-only text
_ANSWERS = {Action.ACKNOWLEDGE: NoticeState.ACKNOWLEDGED, Action.DISPUTE: NoticeState.DISPUTED}


async def send(command: SendNotice, ctx: Context) -> Reply:
    visit = await ctx.uow.visits.get(command.visit_id)
    if visit is None:
        raise Refused("unknown_visit", visit_id=command.visit_id)
    instructions = await ctx.uow.instructions.for_visit(visit.id)
    undecided = [i for i in instructions if i.is_undecided]
    approved = [i for i in instructions if i.is_approved]
    if undecided:
        raise Refused("notice_not_ready", undecided=len(undecided), approved=len(approved))
    if not approved:
        return await _already_sent(ctx, visit.id)
    english = english_only(visit, approved)
    if english and not command.english_only_confirmed and not await _warned_of(ctx, visit.id, english):
        return await _warn(ctx, visit.id, english, approved)
    ids = tuple(i.id for i in approved)
    deadline = deadline_for(ctx.now, ctx.settings.factories[visit.factory_id])
    disputed = next((n for n in reversed(await ctx.uow.notices.for_visit(visit.id)) if n.state is NoticeState.DISPUTED),
                    None)
    if disputed is not None:  # the buyer decided again after the dispute: the notice's next version
        notice = await ctx.uow.notices.revise(disputed, ids, ctx.decision(), deadline)
        await ctx.audit("notice", notice.id, "revise", {"version": disputed.version, "state": disputed.state.value},
                        {"version": notice.version, "state": notice.state.value,
                         "english_only": [t.as_dict() for t in english]})
    else:
        notice = await ctx.uow.notices.add(
            visit.id, visit.factory_id, visit.order_reference, ids, ctx.decision(), deadline
        )
        await ctx.audit("notice", notice.id, "send", None, {"number": notice.number, "state": notice.state.value,
                                                            "english_only": [t.as_dict() for t in english]})
    for instruction in approved:
        await move(ctx, instruction, Action.SEND, notice_id=notice.id)
    await ctx.uow.notices.record_version(notice, [_as_sent(i) for i in approved])
    payload = {"notice_id": notice.id}
    await ctx.to_factory(visit.factory_id, MessageKind.NOTICE, payload | {"version": notice.version})
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.NOTICE_SENT, payload))
    params = {"notice_id": notice.id, "number": notice.number, "count": len(approved), "version": notice.version}
    return Reply("notice_sent" if notice.version == 1 else "notice_revised", params)


async def _warn(ctx: Context, visit_id: int, english: tuple[EnglishOnly, ...], approved: list) -> Reply:
    """Holds the notice back: the buyer's chats list the texts, with Add Chinese and Send anyway."""
    await ctx.audit("visit", visit_id, WARNED, None, {"english_only": [t.as_dict() for t in english]})
    message = {"visit_id": visit_id, "sources": [i.source for i in approved]}  # what the notice would carry
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.ENGLISH_ONLY, message))
    return Reply("notice_english_only", {"count": len(english)})


async def _warned_of(ctx: Context, visit_id: int, english: tuple[EnglishOnly, ...]) -> bool:
    """Whether the buyer was already warned of each of these texts: sending again after the
    warning is their answer to it."""
    warned = {(t["instruction_id"], t["field"], t["text"])
              for e in await ctx.uow.audit.for_entity("visit", visit_id) if e.action == WARNED
              for t in e.after["english_only"]}
    return all((t.instruction_id, t.field, t.text) in warned for t in english)


def _as_sent(instruction) -> dict:
    """What the factory reads of an instruction in this version, kept when it is revised."""
    return {
        "source": instruction.source, "kind": instruction.kind, "params": instruction.params,
        "note": instruction.note, "note_zh": instruction.note_zh, "due": instruction.due.isoformat(),
        "description_zh": instruction.description_zh, "params_zh": instruction.params_zh,
    }


async def _already_sent(ctx: Context, visit_id: int) -> Reply:
    notices = await ctx.uow.notices.for_visit(visit_id)
    if not notices:
        raise Refused("nothing_approved")
    latest = notices[-1]
    return Reply("notice_already_sent", _notice_params(latest, latest.sent))


async def acknowledge(command: AcknowledgeNotice, ctx: Context) -> Reply:
    return await _answer(ctx, command.notice_id, Action.ACKNOWLEDGE, None)


async def dispute(command: DisputeNotice, ctx: Context) -> Reply:
    reason = required_text(command.reason, "reason")
    return await _answer(ctx, command.notice_id, Action.DISPUTE, reason)


async def _answer(ctx: Context, notice_id: int, action: Action, reason: str | None) -> Reply:
    notice = await _load(ctx, notice_id)
    state = _ANSWERS[action]
    if notice.state is NoticeState.CANCELLED:
        raise Refused("notice_withdrawn", **_notice_params(notice, notice.answered))
    if notice.state is state:
        return Reply("notice_already_answered", _notice_params(notice, notice.answered))
    if notice.state is not NoticeState.SENT:
        raise Refused("notice_already_answered", **_notice_params(notice, notice.answered))
    answered = dataclasses.replace(notice, state=state, answered=ctx.decision(), dispute_reason=reason)
    await ctx.uow.notices.save(answered)
    await ctx.audit("notice", notice.id, action.value, {"state": notice.state.value},
                    {"state": state.value, "reason": reason})
    for instruction in await ctx.uow.instructions.for_notice(notice.id):
        await move(ctx, instruction, action)
        if action is Action.DISPUTE:  # the buyer decides each one again: their messages get buttons
            await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.INSTRUCTION_DECIDED,
                                                            {"instruction_id": instruction.id}))
    answered_version = {"notice_id": notice.id, "version": notice.version}
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.NOTICE_ANSWERED, answered_version))
    await ctx.to_factory(notice.factory_id, MessageKind.NOTICE_CLOSED, answered_version)
    return Reply(f"notice_{state.value}", {"notice_id": notice.id, "number": notice.number})


async def _load(ctx: Context, notice_id: int) -> Notice:
    notice = await ctx.uow.notices.get(notice_id)
    if notice is None:
        raise Refused("unknown_notice", notice_id=notice_id)
    return notice


def _notice_params(notice: Notice, decision) -> dict:
    return {
        "notice_id": notice.id,
        "number": notice.number,
        "state": notice.state.value,
        "by": decision.by if decision else None,
        "at": decision.at.isoformat() if decision else None,
    }
