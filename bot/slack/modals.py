"""The modals a Slack user fills in: editing an instruction and disputing a notice. Values
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
DISPUTE = "dispute_notice"
NOTE, DUE, REASON = "note", "due", "reason"

EDIT_TITLE = N_("Edit instruction")
DISPUTE_TITLE = N_("Dispute notice")
SAVE, SEND, CANCEL = N_("Save and approve"), N_("Send"), N_("Cancel")
NOTE_LABEL, DUE_LABEL, REASON_LABEL = N_("Note"), N_("Due date"), N_("Reason")
NOT_A_NUMBER = N_("Enter a whole number of units.")
REASON_NEEDED = N_("Please give the reason for the dispute.")
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


def dispute_modal(notice_id: int, number: str, language: Language) -> SlackView:
    return SlackView(
        type="modal", callback_id=DISPUTE, private_metadata=json.dumps({"notice_id": notice_id}),
        title=PlainTextObject(text=language.gettext(DISPUTE_TITLE)[:24]),
        submit=language.gettext(SEND)[:24], close=language.gettext(CANCEL)[:24],
        blocks=[InputBlock(block_id=REASON, label=f"{language.gettext(REASON_LABEL)} · {number}",
                           element=PlainTextInputElement(action_id=REASON, multiline=True))],
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


def dispute_reason(state: dict, language: Language) -> tuple[str, dict[str, str]]:
    reason = (state["values"][REASON][REASON].get("value") or "").strip()
    return reason, ({} if reason else {REASON: language.gettext(REASON_NEEDED)})
