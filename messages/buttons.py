"""Which buttons a message carries, from the state it shows: a button that no longer
applies is not drawn. Platforms turn these into inline keyboards, Block Kit or numbers.

Labels are in the reader's language only: a factory's chat reads Chinese (the notice itself
stays bilingual), an English-speaking contact English. A menu button holds the buttons it
opens (the factory's 更新整改进度: a date or a done report per instruction), so a phone
shows one button under the notice rather than two per instruction."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.catalog import N_
from handlers.model import Commitment, InstructionState, NoticeState
from handlers.model.message_kinds import MessageKind
from handlers.queries.english_only import item_english_only
from handlers.views import EVIDENCE_KINDS, View
from messages.i18n import CHINESE, Language

APPROVE, EDIT, REJECT, SEND_NOTICE = "approve", "edit", "reject", "send_notice"
APPROVE_ALL = "approve_all"
UPDATE_PROGRESS, PROGRESS_BACK = "update_progress", "progress_back"
ACKNOWLEDGE, DISPUTE = "acknowledge", "dispute"
REMIND, ESCALATE, EXTEND, CANCEL_NOTICE = "remind", "escalate", "extend", "cancel_notice"
COMMIT_DATE, ACCEPT_DATE, DECLINE_DATE = "commit_date", "accept_date", "decline_date"
VERIFY, REOPEN, REPORT_DONE = "verify", "reopen", "report_done"
CONFIRM_BINDING, REFUSE_BINDING = "confirm_binding", "refuse_binding"
VISIT_REPORT = "visit_report"
ADD_CHINESE, SEND_ANYWAY = "add_chinese", "send_anyway"

_LABELS = {
    APPROVE: N_("Approve"),
    APPROVE_ALL: N_("Approve all (%(num)s)"),
    EDIT: N_("Edit"),
    REJECT: N_("Reject"),
    SEND_NOTICE: N_("Send notice (%(num)s)"),
    ACKNOWLEDGE: N_("Acknowledge"),
    DISPUTE: N_("Dispute"),
    REMIND: N_("Remind again"),
    ESCALATE: N_("Escalate to manager"),
    EXTEND: N_("Extend by 24 h"),
    CANCEL_NOTICE: N_("Withdraw notice"),
    COMMIT_DATE: N_("%(label)s completion date"),
    ACCEPT_DATE: N_("Accept the date"),
    DECLINE_DATE: N_("Keep the due date"),
    REPORT_DONE: N_("%(label)s done, with photos"),
    UPDATE_PROGRESS: N_("Update progress"),
    PROGRESS_BACK: N_("Back"),
    VERIFY: N_("Verify"),
    REOPEN: N_("Reopen"),
    ADD_CHINESE: N_("Add Chinese %(label)s"),
    SEND_ANYWAY: N_("Send anyway"),
    CONFIRM_BINDING: N_("Confirm"),
    REFUSE_BINDING: N_("Refuse"),
    VISIT_REPORT: N_("Visit report (PDF)"),
}
# The language a notice's link opens its page in (bot/web/page.py), so the page's buttons read so.
PAGE_LOCALE = CHINESE
# Several findings to a message (a crowded chat's): each decision names the finding it decides.
_NAMED_DECISIONS = {
    APPROVE: N_("Approve %(label)s"),
    EDIT: N_("Edit %(label)s"),
    REJECT: N_("Reject %(label)s"),
}
_ANSWERS_NOTICE = (MessageKind.REMINDER, MessageKind.DEADLINE_EXTENDED, MessageKind.MANAGER_ESCALATION)


@dataclass(frozen=True)
class Button:
    action: str
    target: int
    label: str
    menu: tuple[Button, ...] = ()  # what a menu button opens: a list on Slack, the keyboard in place on Telegram


def label(action: str, language: Language) -> str:
    """A button's label in `language`: what every surface draws, and what a text that names
    the button quotes."""
    return language.gettext(_LABELS[action])


def named(action: str, reader: Language, language: Language, **values: str) -> str:
    """A button quoted in a sentence of `language` as `reader`'s screen labels it, with its
    name in `language` beside it where the two differ: “确认收到” (Acknowledge). `values` fill
    the label's placeholders; `label=""` names an instruction's button whichever it is
    (“整改完成（附照片）”)."""
    shown, own = (label(action, lang) % values if values else label(action, lang) for lang in (reader, language))
    shown, own = shown.strip(), own.strip()
    return f"“{shown}”" if shown == own else f"“{shown}”" + language.parenthesised(own)


def buttons_for(view: View, language: Language) -> tuple[Button, ...]:
    if view.kind is MessageKind.VISIT_SUMMARY:
        return _summary_buttons(view, language)
    if view.kind is MessageKind.FINDING:
        return _decision_buttons(view, language)
    if view.kind is MessageKind.FINDINGS:
        return tuple(button for it in view.items for button in _decisions(it, language, _NAMED_DECISIONS))
    if view.kind is MessageKind.INSTRUCTION_DECIDED:
        return _decision_buttons(view, language) + _send_button(view, language)
    if view.kind is MessageKind.ENGLISH_ONLY:
        return _english_only_buttons(view, language)
    if view.kind is MessageKind.INSTRUCTIONS_APPROVED:
        return _send_button(view, language)
    if view.kind in (MessageKind.NOTICE, *_ANSWERS_NOTICE) and view.notice.state is NoticeState.SENT:
        return tuple(Button(a, view.notice.id, label(a, language)) for a in (ACKNOWLEDGE, DISPUTE))
    if view.kind in (MessageKind.NOTICE, MessageKind.NOTICE_CLOSED) and view.notice.state is NoticeState.ACKNOWLEDGED:
        return _progress_menu(view, language)
    if view.kind is MessageKind.ESCALATION and view.notice.state is NoticeState.SENT:
        actions = (REMIND, ESCALATE, EXTEND, CANCEL_NOTICE) if view.factory.manager else (REMIND, EXTEND, CANCEL_NOTICE)
        return tuple(Button(a, view.notice.id, label(a, language)) for a in actions)
    if view.kind is MessageKind.COMMITMENT_REQUESTED and view.item.instruction.commitment is Commitment.REQUESTED:
        return _instruction_buttons(view, language, (ACCEPT_DATE, DECLINE_DATE))
    if view.kind in EVIDENCE_KINDS and view.item.instruction.state is InstructionState.DONE:
        return _instruction_buttons(view, language, (VERIFY, REOPEN))
    if view.kind is MessageKind.INSTRUCTION_REOPENED and view.item.instruction.state is InstructionState.REOPENED:
        return _factory_buttons(view.items[:1], (REPORT_DONE,), language)
    return ()


def opened(menu: Button, language: Language) -> tuple[Button, ...]:
    """What a menu shows once opened in place of its button: its choices, then the way back."""
    return menu.menu + (Button(PROGRESS_BACK, menu.target, label(PROGRESS_BACK, language)),)


def binding_buttons(request_id: int, language: Language) -> tuple[Button, ...]:
    """The buyer's answer to someone asking to act for a factory."""
    return tuple(Button(a, request_id, label(a, language)) for a in (CONFIRM_BINDING, REFUSE_BINDING))


def _progress_menu(view: View, language: Language) -> tuple[Button, ...]:
    """After acknowledging, the factory gives a completion date or reports each open
    instruction done, with photos: choices behind one 更新整改进度 while any is open."""
    choices = _factory_buttons(view.items, (COMMIT_DATE, REPORT_DONE), language)
    if not choices:
        return ()
    return (Button(UPDATE_PROGRESS, view.notice.id, label(UPDATE_PROGRESS, language), choices),)


def _factory_buttons(items, actions: tuple[str, ...], language: Language) -> tuple[Button, ...]:
    return tuple(
        Button(action, it.instruction.id, label(action, language) % {"label": it.label})
        for it in items
        if it.instruction is not None and it.instruction.is_open_at_factory
        for action in actions
    )


def _instruction_buttons(view: View, language: Language, actions: tuple[str, ...]) -> tuple[Button, ...]:
    return tuple(Button(a, view.item.instruction.id, label(a, language)) for a in actions)


def _decision_buttons(view: View, language: Language) -> tuple[Button, ...]:
    return _decisions(view.item, language, _LABELS)


def _decisions(item, language: Language, labels: dict[str, str]) -> tuple[Button, ...]:
    instruction = item.instruction
    if instruction is None:
        return ()
    if instruction.is_undecided:
        actions = (APPROVE, EDIT, REJECT)
    elif instruction.is_approved:
        actions = (EDIT, REJECT)  # until the notice is sent: what Approve all approved can still be changed
    else:
        actions = ()
    return tuple(Button(a, instruction.id, language.gettext(labels[a]) % {"label": item.label}) for a in actions)


def _english_only_buttons(view: View, language: Language) -> tuple[Button, ...]:
    """Add Chinese for each item still holding English-only text, and Send anyway, while the
    notice is still to be sent."""
    if not view.notice_ready:
        return ()
    add = tuple(Button(ADD_CHINESE, it.instruction.id, label(ADD_CHINESE, language) % {"label": it.label})
                for it in view.items if it.instruction is not None and item_english_only(it))
    return add + (Button(SEND_ANYWAY, view.visit.id, label(SEND_ANYWAY, language)),)


def _summary_buttons(view: View, language: Language) -> tuple[Button, ...]:
    """Approve all while anything is proposed; then, once every instruction is decided, Send; and
    the buyer's visit report (PDF) throughout."""
    if view.proposed_count:
        decide = (Button(APPROVE_ALL, view.visit.id, label(APPROVE_ALL, language) % {"num": view.proposed_count}),)
    else:
        decide = _send_button(view, language)
    return decide + (Button(VISIT_REPORT, view.visit.id, label(VISIT_REPORT, language)),)


def _send_button(view: View, language: Language) -> tuple[Button, ...]:
    if not view.notice_ready:
        return ()
    return (Button(SEND_NOTICE, view.visit.id, label(SEND_NOTICE, language) % {"num": view.approved_count}),)
