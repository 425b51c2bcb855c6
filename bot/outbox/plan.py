"""The delivery plan: for each kind of message, the steps that show it, the same on every
surface. Adding a kind adds its row here and its templates; no adapter changes.

Most messages are posted. Some change what an earlier message of the same subject shows,
so a chat keeps one message per instruction and per notice rather than a trail of stale
buttons: a decision rewrites the finding's message, and gives the visit's summary the
buttons that now apply (Approve all, then Send notice); Approve all rewrites every finding
it approved; an answered notice keeps its text and swaps its buttons for those that now
apply; a sent notice takes the buttons off the instructions it carries, which can no longer
be decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.model.message_kinds import MessageKind as K


@dataclass(frozen=True)
class Post:
    """Post the message, its photos first; remember it under its subject."""


@dataclass(frozen=True)
class EditEarlier:
    """Show the change on the subject's earlier message: its text as `shown_as` renders it,
    with the buttons of the message's own kind. Without one, or when one message cannot
    hold it, post that anew."""

    shown_as: K


@dataclass(frozen=True)
class SwapButtons:
    """Give the subject's earlier message the buttons `shown_as` now carries, its text kept;
    without one, post the message."""

    shown_as: K


@dataclass(frozen=True)
class AttachPdf:
    """The notice's PDF with the message posted."""


@dataclass(frozen=True)
class AttachVisitReport:
    """The visit's report PDF with the message posted, rendered for it in its reader's language."""


@dataclass(frozen=True)
class ShareLink:
    """The notice's signed link for the factory, with its QR code, in a message of its own
    after the one posted, so the buyer can pass it on by any channel; nothing without the web
    server."""


@dataclass(frozen=True)
class RefreshItems:
    """Each item that has a message of its own is shown by the plan of `shown_as` (but for its
    `RefreshSummary`: the items share one summary, which the plan refreshes once)."""

    shown_as: K


@dataclass(frozen=True)
class PostTogether:
    """A crowded chat's findings (a Telegram group: twenty messages a minute): as few messages
    as hold their text, several findings to a message, each with its own decision buttons,
    named by its label, and remembered under that message; then each finding's photos, as its
    own message would show them. The decisions land first; the photos follow as the chat allows."""

    shown_as: K


@dataclass(frozen=True)
class RefreshSummary:
    """The visit's summary, where it was posted, gets the buttons it now carries, its text
    kept: Approve all (n) while anything is proposed, then Send notice (n), then none. Left
    to a later message to the chat that refreshes it too (bot/outbox/summary_refresh.py)."""


Step = (Post | EditEarlier | SwapButtons | AttachPdf | AttachVisitReport | ShareLink | RefreshItems | RefreshSummary
        | PostTogether)
POST = Post()

# Kinds whose message is only posted: most are; those below change what an earlier one shows.
POSTED = (
    K.VISIT_SUMMARY, K.FINDING, K.NOTICE_ANSWERED, K.REMINDER, K.ESCALATION, K.MANAGER_ESCALATION,
    K.DEADLINE_EXTENDED, K.OVERDUE, K.COMMITMENT_REQUESTED, K.COMMITMENT_DECIDED, K.DONE_REPORTED,
    K.MORE_EVIDENCE, K.INSTRUCTION_VERIFIED, K.INSTRUCTION_REOPENED, K.DELIVERY_FAILED, K.ENGLISH_ONLY,
)
PLANS: dict[K, tuple[Step, ...]] = {
    **{kind: (POST,) for kind in POSTED},
    K.FINDINGS: (PostTogether(shown_as=K.FINDING),),
    K.INSTRUCTION_DECIDED: (EditEarlier(shown_as=K.FINDING), RefreshSummary()),
    K.INSTRUCTIONS_APPROVED: (RefreshItems(shown_as=K.INSTRUCTION_DECIDED), RefreshSummary()),
    K.NOTICE: (POST, AttachPdf()),
    K.NOTICE_SENT: (POST, ShareLink(), RefreshItems(shown_as=K.INSTRUCTION_DECIDED), RefreshSummary()),
    K.NOTICE_CLOSED: (SwapButtons(shown_as=K.NOTICE),),
    K.VISIT_REPORT: (POST, AttachVisitReport()),
}
# A surface that cannot change a message once shown (the console prints and forgets) shows
# every message as posted, in its own words, the link beside a sent notice, and a visit report.
POST_ONLY = (POST,)
UNCHANGING: dict[K, tuple[Step, ...]] = {K.NOTICE_SENT: (POST, ShareLink()), K.VISIT_REPORT: PLANS[K.VISIT_REPORT]}
