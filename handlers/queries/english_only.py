"""Free text that would reach the factory in English only: what the buyer is asked about
before a notice goes (issue 15 §6), so that a notice never mixes languages unnoticed.

The notice shows, for each instruction it carries, the item's problem (a finding's
description, a material's or packaging check's note), the instruction's descriptive
parameters and its note. Each counts as Chinese when a Chinese version exists (the
inspector's, or the buyer's added in chat) or the text itself is written in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handlers import catalog
from handlers.model import Instruction, StoredVisit
from handlers.text import written_in_chinese
from handlers.views import Item, label_of

PROBLEM, NOTE = "problem", "note"
PARAM = "params."  # followed by the parameter's name


@dataclass(frozen=True)
class EnglishOnly:
    """One text the factory would read in English only: which instruction, which field, what."""

    instruction_id: int
    label: str  # F2, P2: how the buyer refers to the item
    field: str  # "problem", "note", or "params.<name>"
    text: str

    def as_dict(self) -> dict:
        return {"instruction_id": self.instruction_id, "label": self.label, "field": self.field, "text": self.text}


def english_only(visit: StoredVisit, instructions: Iterable[Instruction]) -> tuple[EnglishOnly, ...]:
    """Every English-only text of `instructions` (those the notice would carry), item by item
    in the notice's order, each item's problem, then its parameters, then its note."""
    return tuple(text for instruction in instructions
                 for text in item_english_only(Item(instruction.source, label_of(instruction.source),
                                                    visit.report.item(instruction.source), instruction)))


def item_english_only(item: Item) -> tuple[EnglishOnly, ...]:
    instruction = item.instruction
    params_zh = item.params_zh
    found = [(PROBLEM, item.problem, item.problem_zh)]
    found += [(PARAM + p.name, instruction.params.get(p.name), params_zh.get(p.name))
              for p in catalog.BY_KEY[instruction.kind].params if p.describes]
    found.append((NOTE, instruction.note, instruction.note_zh))
    return tuple(EnglishOnly(instruction.id, item.label, field, str(text))
                 for field, text, text_zh in found if text and not text_zh and not written_in_chinese(str(text)))
