"""Closing an instruction: the factory reports it done with photos, the buyer verifies or
reopens it with a reason that goes back to the factory."""

from __future__ import annotations

from handlers.commands import ReopenInstruction, ReportDone, VerifyInstruction
from handlers.context import Context
from handlers.lifecycle import Action
from handlers.results import Refused, Reply
from handlers.text import required_text
from handlers.transitions import already, load_instruction, move, repeated


async def report_done(command: ReportDone, ctx: Context) -> Reply:
    instruction = await load_instruction(ctx, command.instruction_id)
    if repeated(instruction, Action.REPORT_DONE):
        return already(instruction)
    if not command.photos:
        raise Refused("evidence_required")
    moved = await move(ctx, instruction, Action.REPORT_DONE, evidence=command.photos)
    await ctx.enqueue(ctx.settings.routing.to_buyer("done_reported", {"instruction_id": moved.id}))
    return Reply("done_reported", {"instruction_id": moved.id})


async def verify(command: VerifyInstruction, ctx: Context) -> Reply:
    instruction = await load_instruction(ctx, command.instruction_id)
    if repeated(instruction, Action.VERIFY):
        return already(instruction)
    moved = await move(ctx, instruction, Action.VERIFY)
    return Reply("instruction_verified", {"instruction_id": moved.id})


async def reopen(command: ReopenInstruction, ctx: Context) -> Reply:
    instruction = await load_instruction(ctx, command.instruction_id)
    if repeated(instruction, Action.REOPEN):
        return already(instruction)
    reason = required_text(command.reason, "reason")
    moved = await move(ctx, instruction, Action.REOPEN, reason=reason)
    visit = await ctx.uow.visits.get(moved.visit_id)
    await ctx.to_factory(visit.factory_id, "instruction_reopened", {"instruction_id": moved.id})
    return Reply("instruction_reopened", {"instruction_id": moved.id})
