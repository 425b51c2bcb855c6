"""Moving one instruction along its lifecycle, with the audit event and the 'already' answer."""

from __future__ import annotations

import dataclasses

from handlers.context import Context
from handlers.lifecycle import Action, IllegalTransition, is_repeat, next_state
from handlers.model import Instruction, InstructionState
from handlers.results import ALREADY, Refused, Reply


async def load_instruction(ctx: Context, instruction_id: int) -> Instruction:
    instruction = await ctx.uow.instructions.get(instruction_id)
    if instruction is None:
        raise Refused("unknown_instruction", instruction_id=instruction_id)
    return instruction


def already(instruction: Instruction) -> Reply:
    """Answer to a repeated tap: who already did it and when, and no second effect."""
    decided = instruction.decided
    return Reply(
        ALREADY,
        {
            "instruction_id": instruction.id,
            "state": instruction.state.value,
            "by": decided.by if decided else None,
            "at": decided.at.isoformat() if decided else None,
        },
    )


def allowed(instruction: Instruction, action: Action) -> InstructionState:
    """The state `action` leads to; refuses, saying who put it where it is, when it cannot."""
    try:
        return next_state(action, instruction.state)
    except IllegalTransition as exc:
        decided = instruction.decided
        raise Refused(
            "illegal_transition",
            instruction_id=instruction.id,
            action=action.value,
            state=exc.state.value,
            by=decided.by if decided else None,
            at=decided.at.isoformat() if decided else None,
        ) from None


async def move(ctx: Context, instruction: Instruction, action: Action, **changes) -> Instruction:
    """Applies `action`, records who/when and the audit event; refuses illegal transitions."""
    state = allowed(instruction, action)
    moved = dataclasses.replace(instruction, state=state, decided=ctx.decision(), **changes)
    await ctx.uow.instructions.save(moved)
    await ctx.audit("instruction", instruction.id, action.value, _snapshot(instruction), _snapshot(moved))
    return moved


def repeated(instruction: Instruction, action: Action) -> bool:
    return is_repeat(action, instruction.state)


def _snapshot(instruction: Instruction) -> dict:
    """What the audit keeps of an instruction before and after a change: everything a person
    can change or send, so each step reads on its own."""
    return {
        "state": instruction.state.value,
        "params": instruction.params,
        "note": instruction.note,
        "note_zh": instruction.note_zh,
        "description_zh": instruction.description_zh,
        "params_zh": instruction.params_zh,
        "due": instruction.due.isoformat(),
        "reason": instruction.reason,
        "evidence": list(instruction.evidence),
    }
