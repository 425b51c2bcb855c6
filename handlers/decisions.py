"""The buyer's decisions on proposed instructions: approve (one, or all that are proposed),
edit, reject."""

from __future__ import annotations

from handlers import catalog
from handlers.commands import ApproveAllInstructions, ApproveInstruction, EditInstruction, RejectInstruction
from handlers.context import Context
from handlers.lifecycle import Action
from handlers.model import InstructionState
from handlers.model.message_kinds import MessageKind
from handlers.results import Refused, Reply
from handlers.text import optional_text
from handlers.transitions import allowed, already, load_instruction, move, repeated
from handlers.views import label_of


async def approve(command: ApproveInstruction, ctx: Context) -> Reply:
    return await _decide(ctx, command.instruction_id, Action.APPROVE)


async def approve_all(command: ApproveAllInstructions, ctx: Context) -> Reply:
    """Every instruction still proposed, approved as one tap on each would approve it (its own
    decision and audit event), in the command's one transaction: a crash leaves all of them
    approved or none, and a tap after some single decisions approves only the rest."""
    visit = await ctx.uow.visits.get(command.visit_id)
    if visit is None:
        raise Refused("unknown_visit", visit_id=command.visit_id)
    proposed = [i for i in await ctx.uow.instructions.for_visit(visit.id) if i.state is InstructionState.PROPOSED]
    if not proposed:
        raise Refused("nothing_to_approve", order=visit.report.order.reference)
    approved = [await move(ctx, instruction, Action.APPROVE) for instruction in proposed]
    sources = [i.source for i in approved]
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.INSTRUCTIONS_APPROVED,
                                                    {"visit_id": visit.id, "sources": sources}))
    return Reply("instructions_approved", {"visit_id": visit.id, "count": len(approved),
                                           "labels": [label_of(s) for s in sources]})


async def reject(command: RejectInstruction, ctx: Context) -> Reply:
    reason = optional_text(command.reason, "reason")
    return await _decide(ctx, command.instruction_id, Action.REJECT, reason=reason)


async def edit(command: EditInstruction, ctx: Context) -> Reply:
    instruction = await load_instruction(ctx, command.instruction_id)
    allowed(instruction, Action.EDIT)  # a sent instruction is refused as such, whatever the edit
    params = instruction.params if command.params is None else command.params
    problems = catalog.check_params(catalog.BY_KEY[instruction.kind], params)
    if problems:
        raise Refused("invalid_params", problems=problems)
    visit = await ctx.uow.visits.get(instruction.visit_id)
    due = command.due or instruction.due
    if due < visit.report.visit.date:
        raise Refused("due_before_visit", due=due.isoformat(), visit_date=visit.report.visit.date.isoformat())
    note = instruction.note if command.note is None else optional_text(command.note, "note")
    # A buyer's rewording replaces the inspector's Chinese version, which no longer matches.
    note_zh = instruction.note_zh if note == instruction.note else None
    # Likewise the Chinese the buyer added for a parameter this edit changes.
    params_zh = {name: zh for name, zh in instruction.params_zh.items()
                 if params.get(name) == instruction.params.get(name)}
    moved = await move(ctx, instruction, Action.EDIT, params=params, note=note, note_zh=note_zh, due=due,
                       params_zh=params_zh)
    await _tell_buyer(ctx, moved.id)
    return Reply("instruction_edited", {"instruction_id": moved.id})


async def _decide(ctx: Context, instruction_id: int, action: Action, **changes) -> Reply:
    instruction = await load_instruction(ctx, instruction_id)
    if repeated(instruction, action):
        return already(instruction)
    moved = await move(ctx, instruction, action, **changes)
    await _tell_buyer(ctx, moved.id)
    return Reply(f"instruction_{moved.state.value}", {"instruction_id": moved.id})


async def _tell_buyer(ctx: Context, instruction_id: int) -> None:
    """Every buyer chat shows the decision, whichever platform it was taken on."""
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.INSTRUCTION_DECIDED,
                                                    {"instruction_id": instruction_id}))
