"""The date the factory commits to finish an instruction by. On or before the due date it
stands at once; a later date is the buyer's to accept or decline, asked with one tap."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from handlers.commands import AcceptCommitment, CommitToDate, DeclineCommitment
from handlers.context import Context
from handlers.model import Commitment, InstructionState
from handlers.model.message_kinds import MessageKind
from handlers.results import Refused, Reply
from handlers.transitions import load_instruction
from handlers.working_hours import factory_today

COMMITTABLE = (InstructionState.SENT, InstructionState.ACKNOWLEDGED, InstructionState.REOPENED)
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_CHINESE = re.compile(r"^\s*(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*$")


def parse_date(text: str, today: date) -> date | None:
    """ISO (2026-12-05) or the way a Chinese factory writes it (2026年12月5日, 12月5日). A date
    without a year is this year's, unless that is half a year gone: in December, 1月5日 means
    next January, while 11月20日 typed on 24 November is a date in the past, not next year's."""
    if match := _ISO.match(text) or _CHINESE.match(text):
        year, month, day = match.groups()
        try:
            found = date(int(year or today.year), int(month), int(day))
        except ValueError:
            return None
        if year is None and (today - found).days > 182:
            found = found.replace(year=today.year + 1)
        return found
    return None


async def commit(command: CommitToDate, ctx: Context) -> Reply:
    instruction = await load_instruction(ctx, command.instruction_id)
    if instruction.state not in COMMITTABLE:
        raise Refused("cannot_commit", instruction_id=instruction.id, state=instruction.state.value)
    factory_id = await ctx.uow.instructions.factory_of(instruction.id)
    today = factory_today(ctx.now, ctx.settings.factories[factory_id])
    committed = parse_date(command.text, today)
    if committed is None:
        raise Refused("bad_date", text=command.text.strip())
    if committed < today:
        raise Refused("commitment_in_past", date=committed.isoformat(), today=today.isoformat())
    if committed == instruction.committed and instruction.commitment is not Commitment.DECLINED:
        return Reply("commitment_unchanged", {"instruction_id": instruction.id, "date": committed.isoformat()})
    state = Commitment.ACCEPTED if committed <= instruction.due else Commitment.REQUESTED
    await _save(ctx, instruction, committed, state, "commit")
    if state is Commitment.REQUESTED:
        await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.COMMITMENT_REQUESTED,
                                                        {"instruction_id": instruction.id}))
    code = "commitment_recorded" if state is Commitment.ACCEPTED else "commitment_asked"
    params = {"instruction_id": instruction.id, "date": committed.isoformat(), "due": instruction.due.isoformat()}
    return Reply(code, params)


async def accept(command: AcceptCommitment, ctx: Context) -> Reply:
    return await _decide(ctx, command.instruction_id, Commitment.ACCEPTED)


async def decline(command: DeclineCommitment, ctx: Context) -> Reply:
    return await _decide(ctx, command.instruction_id, Commitment.DECLINED)


async def _decide(ctx: Context, instruction_id: int, decision: Commitment) -> Reply:
    instruction = await load_instruction(ctx, instruction_id)
    params = {"instruction_id": instruction.id, "date": _iso(instruction.committed), "decision": decision.value}
    if instruction.commitment is decision:
        return Reply("commitment_already_decided", params)
    if instruction.commitment is not Commitment.REQUESTED:
        raise Refused("no_commitment_to_decide", instruction_id=instruction.id)
    await _save(ctx, instruction, instruction.committed, decision, decision.value)
    await ctx.about_instruction_to_factory(instruction.id, MessageKind.COMMITMENT_DECIDED)
    return Reply("commitment_decided", params)


async def _save(ctx: Context, instruction, committed: date, state: Commitment, action: str) -> None:
    """The commitment is not a lifecycle move: state, decider and history stay as they are."""
    changed = dataclasses.replace(instruction, committed=committed, commitment=state)
    await ctx.uow.instructions.save(changed)
    await ctx.audit("instruction", instruction.id, f"commitment_{action}",
                    {"committed": _iso(instruction.committed), "commitment": _value(instruction.commitment)},
                    {"committed": committed.isoformat(), "commitment": state.value})


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _value(state: Commitment | None) -> str | None:
    return None if state is None else state.value
