"""The modals a Slack user fills in: editing an instruction, and the words a button needs. Values
come back as strings; this module turns them into typed values or per-field errors."""

from __future__ import annotations

import json
from datetime import date

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View as SlackView

from handlers import catalog
from handlers.catalog import N_, ParamType
from handlers.model import Instruction
from messages.i18n import Language

EDIT = "edit_instruction"
ASK_TEXT = "ask_text"  # one modal for every button that needs words: dispute, date, reopen, Chinese
NOTE, DUE, TEXT = "note", "due", "text"

EDIT_TITLE = N_("Edit instruction")
SAVE, SEND, CANCEL = N_("Save and approve"), N_("Send"), N_("Cancel")
NOTE_LABEL, DUE_LABEL = N_("Note"), N_("Due date")
NOT_A_NUMBER = N_("Enter a whole number of units.")
# Per field asked for (bot.chat.actions.ASKS_FOR_TEXT): the modal's title, its field's label, and
# what is said when it is submitted empty.
TEXT_MODALS = {
    "reason": (N_("Dispute notice"), N_("Reason"), N_("Please give the reason for the dispute.")),
    "date": (N_("Completion date"), N_("Done by (e.g. 2026-12-05)"), N_("Please give a date.")),
    "what_is_wrong": (N_("Reopen"), N_("What is still wrong"), N_("Please say what is still wrong.")),
    "chinese": (N_("Add Chinese"), N_("Chinese for the next text in English only"), N_("Please write the Chinese.")),
}
DUE_TOO_EARLY = N_("The due date cannot be before the visit date (%(date)s).")


def edit_modal(instruction: Instruction, label: str, language: Language) -> SlackView:
    blocks = [
        InputBlock(block_id=NOTE, label=language.gettext(NOTE_LABEL), optional=True,
                   element=PlainTextInputElement(action_id=NOTE, multiline=True, initial_value=instruction.note or "")),
        InputBlock(block_id=DUE, label=language.gettext(DUE_LABEL),
                   element=DatePickerElement(action_id=DUE, initial_date=instruction.due.isoformat())),
    ]
    kind = catalog.BY_KEY[instruction.kind]
    for param in kind.params:
        initial = str(instruction.params.get(param.name, ""))
        blocks.append(InputBlock(
            block_id=f"param:{param.name}", label=param.name.replace("_", " "),
            hint=language.gettext(param.description),
            element=PlainTextInputElement(action_id="value", initial_value=initial),
        ))
    return SlackView(
        type="modal", callback_id=EDIT, private_metadata=json.dumps({"instruction_id": instruction.id}),
        title=PlainTextObject(text=f"{language.gettext(EDIT_TITLE)} {label}"[:24]),
        submit=language.gettext(SAVE)[:24], close=language.gettext(CANCEL)[:24], blocks=blocks,
    )


def text_modal(verb: str, field: str, target: int, subject: str, language: Language) -> SlackView:
    """Asks for the words `verb` needs; `subject` (a notice number, an item label) says what for."""
    title, label, _ = TEXT_MODALS[field]
    return SlackView(
        type="modal", callback_id=ASK_TEXT,
        private_metadata=json.dumps({"verb": verb, "field": field, "target": target}),
        title=PlainTextObject(text=language.gettext(title)[:24]),
        submit=language.gettext(SEND)[:24], close=language.gettext(CANCEL)[:24],
        blocks=[InputBlock(block_id=TEXT, label=f"{language.gettext(label)} · {subject}",
                           element=PlainTextInputElement(action_id=TEXT, multiline=field != "date"))],
    )


def edit_values(state: dict, instruction: Instruction, visit_date: date, language: Language):
    """(note, params, due) from a submitted edit modal, or per-block errors for Slack."""
    values = state["values"]
    note = values[NOTE][NOTE].get("value") or ""
    due = date.fromisoformat(values[DUE][DUE]["selected_date"])
    errors: dict[str, str] = {}
    if due < visit_date:
        errors[DUE] = language.gettext(DUE_TOO_EARLY) % {"date": language.date(visit_date)}
    kind = catalog.BY_KEY[instruction.kind]
    params = {}
    for param in kind.params:
        raw = (values[f"param:{param.name}"]["value"].get("value") or "").strip()
        if param.type is ParamType.QUANTITY:
            if not raw.isdigit():
                errors[f"param:{param.name}"] = language.gettext(NOT_A_NUMBER)
                continue
            params[param.name] = int(raw)
        else:
            params[param.name] = raw
    for name, problem in catalog.check_params(kind, params).items():
        errors.setdefault(f"param:{name}", language.text(problem))
    return note, params, due, errors


def text_value(state: dict, field: str, language: Language) -> tuple[str, dict[str, str]]:
    text = (state["values"][TEXT][TEXT].get("value") or "").strip()
    return text, ({} if text else {TEXT: language.gettext(TEXT_MODALS[field][2])})
