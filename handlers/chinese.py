"""The buyer's Chinese for text that would reach the factory in English only, given in chat
before the notice is sent (Add Chinese, under the warning handlers/notices.py sends).

Each answer fills the instruction's next English-only text, in the order the warning lists
them: the item's problem, its descriptive parameters, its note. The report is never
rewritten: the Chinese is kept on the instruction, and the notice shows it beside the English.
"""

from __future__ import annotations

from handlers.commands import AddChinese
from handlers.context import Context
from handlers.lifecycle import Action
from handlers.model.message_kinds import MessageKind
from handlers.queries.english_only import NOTE, PARAM, PROBLEM, EnglishOnly, item_english_only
from handlers.results import Refused, Reply
from handlers.text import required_text, written_in_chinese
from handlers.transitions import allowed, load_instruction, move
from handlers.views import Item, label_of

FIELD = "chinese"


async def add(command: AddChinese, ctx: Context) -> Reply:
    instruction = await load_instruction(ctx, command.instruction_id)
    allowed(instruction, Action.EDIT)  # once sent, the notice's version is what the factory has
    text = required_text(command.text, FIELD)
    label = label_of(instruction.source)
    if not written_in_chinese(text):
        raise Refused("not_chinese", label=label)
    if text in _chinese_of(instruction):  # the same answer again: it is already there
        return Reply("chinese_already_added", {"label": label})
    visit = await ctx.uow.visits.get(instruction.visit_id)
    english = item_english_only(Item(instruction.source, label, visit.report.item(instruction.source), instruction))
    if not english:
        raise Refused("no_english_only", label=label)
    moved = await move(ctx, instruction, Action.EDIT, **_filled(instruction, english[0], text))
    await ctx.enqueue(ctx.settings.routing.to_buyer(MessageKind.INSTRUCTION_DECIDED, {"instruction_id": moved.id}))
    left = len(english) - 1
    return Reply("chinese_added" if left else "chinese_complete", {"label": label, "field": english[0].field,
                                                                   "count": left})


def _filled(instruction, text: EnglishOnly, chinese: str) -> dict:
    """The instruction's change that gives `text` its Chinese."""
    if text.field == PROBLEM:
        return {"description_zh": chinese}
    if text.field == NOTE:
        return {"note_zh": chinese}
    return {"params_zh": instruction.params_zh | {text.field.removeprefix(PARAM): chinese}}


def _chinese_of(instruction) -> set[str]:
    return {t for t in (instruction.description_zh, instruction.note_zh, *instruction.params_zh.values()) if t}
