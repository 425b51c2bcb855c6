"""Closing an instruction: the factory reports it done with photos, the buyer verifies or
reopens it with a reason that goes back to the factory."""

from __future__ import annotations

import dataclasses

from handlers.commands import ReopenInstruction, ReportDone, VerifyInstruction
from handlers.context import Context
from handlers.lifecycle import Action
from handlers.model.message_kinds import MessageKind
from handlers.results import Refused, Reply
from handlers.text import required_text
from handlers.transitions import already, load_instruction, move, repeated


async def report_done(command: ReportDone, ctx: Context) -> Reply:
    """A done report starts a round of evidence; an earlier round, reopened, stays as it was."""
    instruction = await load_instruction(ctx, command.instruction_id)
    if repeated(instruction, Action.REPORT_DONE):
        return await _more_evidence(ctx, instruction, command)
    photos = tuple(dict.fromkeys(command.photos))
    if not photos:
        raise Refused("evidence_required")
    moved = await move(ctx, instruction, Action.REPORT_DONE, evidence=photos)
    started = await ctx.uow.evidence.latest_round(moved.id) + 1
    await ctx.uow.evidence.add(moved.id, started, photos, ctx.decision(), command.captured)
    payload = {"instruction_id": moved.id, "photos": list(photos), "round": started}  # later photos: more_evidence
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.DONE_REPORTED, payload))
    return Reply("done_reported", {"instruction_id": moved.id})


async def _more_evidence(ctx: Context, instruction, command: ReportDone) -> Reply:
    """More photos for a done report (the rest of an album, a better shot): kept with the
    first, in its round, no second report; the same photo twice changes nothing."""
    new = tuple(p for p in dict.fromkeys(command.photos) if p not in instruction.evidence)
    if not new:
        return already(instruction)
    added = dataclasses.replace(instruction, evidence=instruction.evidence + new)
    await ctx.uow.instructions.save(added)
    current = max(await ctx.uow.evidence.latest_round(instruction.id), 1)
    await ctx.uow.evidence.add(instruction.id, current, new, ctx.decision(), command.captured)
    await ctx.audit("instruction", instruction.id, "add_evidence", {"evidence": list(instruction.evidence)},
                    {"evidence": list(added.evidence)})
    payload = {"instruction_id": instruction.id, "photos": list(new)}
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.MORE_EVIDENCE, payload))
    return Reply("evidence_added", {"instruction_id": instruction.id, "count": len(added.evidence)})


async def verify(command: VerifyInstruction, ctx: Context) -> Reply:
    instruction = await load_instruction(ctx, command.instruction_id)
    if repeated(instruction, Action.VERIFY):
        return already(instruction)
    moved = await move(ctx, instruction, Action.VERIFY)
    await ctx.about_instruction_to_factory(moved.id, MessageKind.INSTRUCTION_VERIFIED)
    return Reply("instruction_verified", {"instruction_id": moved.id})


async def reopen(command: ReopenInstruction, ctx: Context) -> Reply:
    instruction = await load_instruction(ctx, command.instruction_id)
    if repeated(instruction, Action.REOPEN):
        return already(instruction)
    reason = required_text(command.reason, "reason")
    moved = await move(ctx, instruction, Action.REOPEN, reason=reason)
    await ctx.about_instruction_to_factory(moved.id, MessageKind.INSTRUCTION_REOPENED)
    return Reply("instruction_reopened", {"instruction_id": moved.id})
