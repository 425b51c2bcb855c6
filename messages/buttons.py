"""Which buttons a message carries, from the state it shows: a button that no longer
applies is not drawn. Platforms turn these into inline keyboards, Block Kit or numbers."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.catalog import N_
from handlers.model import NoticeState
from handlers.views import View
from messages.i18n import CHINESE, Language

APPROVE, EDIT, REJECT, SEND_NOTICE = "approve", "edit", "reject", "send_notice"
ACKNOWLEDGE, DISPUTE = "acknowledge", "dispute"

_LABELS = {
    APPROVE: N_("Approve"),
    EDIT: N_("Edit"),
    REJECT: N_("Reject"),
    SEND_NOTICE: N_("Send notice (%(num)s)"),
    ACKNOWLEDGE: N_("Acknowledge"),
    DISPUTE: N_("Dispute"),
}


@dataclass(frozen=True)
class Button:
    action: str
    target: int
    label: str


def buttons_for(view: View, language: Language) -> tuple[Button, ...]:
    if view.kind == "finding":
        return _decision_buttons(view, language)
    if view.kind == "instruction_decided":
        return _decision_buttons(view, language) + _send_button(view, language)
    if view.kind == "notice" and view.notice.state is NoticeState.SENT:
        return tuple(Button(a, view.notice.id, _bilingual(_LABELS[a])) for a in (ACKNOWLEDGE, DISPUTE))
    return ()


def _bilingual(label: str) -> str:
    """The factory reads both languages on its buttons, as on the notice: 确认收到 Acknowledge."""
    return f"{Language(CHINESE).gettext(label)} {label}"


def _decision_buttons(view: View, language: Language) -> tuple[Button, ...]:
    instruction = view.item.instruction
    if instruction is None:
        return ()
    if instruction.is_undecided:
        actions = (APPROVE, EDIT, REJECT)
    elif instruction.is_approved:
        actions = (EDIT,)
    else:
        actions = ()
    return tuple(Button(a, instruction.id, language.gettext(_LABELS[a])) for a in actions)


def _send_button(view: View, language: Language) -> tuple[Button, ...]:
    if not view.notice_ready:
        return ()
    label = language.gettext(_LABELS[SEND_NOTICE]) % {"num": view.approved_count}
    return (Button(SEND_NOTICE, view.visit.id, label),)
