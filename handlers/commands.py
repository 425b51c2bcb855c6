"""What people ask the bot to do, as plain data: adapters build these, handlers carry them out.

Ids in a command come from a button or a message, so they are only a claim: the bus
checks the actor's rights against the store before any handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from handlers.model import Person, Platform
from handlers.model.orders import OrderLine
from handlers.model.report import VisitReport


@dataclass(frozen=True)
class Actor:
    person: Person
    platform: Platform

    @property
    def user_id(self) -> str | None:
        """Who acted, as the platform identifies them: what the audit trail records beside the key."""
        return self.person.account_on(self.platform)


class Command:
    """Something a person asks the bot to do. Each kind is listed once, with who may give it and
    what carries it out, in handlers/registry.py."""


@dataclass(frozen=True)
class PostVisit(Command):
    report: VisitReport
    photos: dict[str, str]  # photo name in the report -> sha256 of the stored file


@dataclass(frozen=True)
class ImportOrders(Command):
    """Create or update each order by its reference; with `dry_run`, only count what would change."""

    lines: tuple[OrderLine, ...]
    dry_run: bool = False


@dataclass(frozen=True)
class ApproveInstruction(Command):
    instruction_id: int


@dataclass(frozen=True)
class ApproveAllInstructions(Command):
    """Approve, as proposed, every instruction of the visit still proposed: the common case
    ("the inspector's proposals are fine") in one tap, each decision as ApproveInstruction
    makes it."""

    visit_id: int


@dataclass(frozen=True)
class EditInstruction(Command):
    instruction_id: int
    note: str | None = None
    params: dict | None = None
    due: date | None = None


@dataclass(frozen=True)
class RejectInstruction(Command):
    instruction_id: int
    reason: str | None = None


@dataclass(frozen=True)
class SendNotice(Command):
    """Send the visit's notice. Free text that would reach the factory in English only holds it
    back once, with a warning to the buyer; `english_only_confirmed` (Send anyway), or a
    Send after that warning, sends it as it is."""

    visit_id: int
    english_only_confirmed: bool = False


@dataclass(frozen=True)
class AddChinese(Command):
    """The buyer's Chinese for the instruction's next text that would reach the factory in
    English only (its problem, a descriptive parameter, its note, in that order)."""

    instruction_id: int
    text: str


@dataclass(frozen=True)
class SendVisitReport(Command):
    """The visit's report PDF, to the person who asked, where everyone who reads it may."""

    visit_id: int


@dataclass(frozen=True)
class AcknowledgeNotice(Command):
    notice_id: int


@dataclass(frozen=True)
class DisputeNotice(Command):
    notice_id: int
    reason: str


@dataclass(frozen=True)
class ReportDone(Command):
    instruction_id: int
    photos: tuple[str, ...] = field(default_factory=tuple)  # sha256 of evidence photos
    # sha256 -> the camera's clock (EXIF, no zone), for the photos that carry one
    captured: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifyInstruction(Command):
    instruction_id: int


@dataclass(frozen=True)
class ReopenInstruction(Command):
    instruction_id: int
    reason: str


@dataclass(frozen=True)
class RemindFactory(Command):
    """The buyer's "remind them again": sent now, or at the start of the factory's working day."""

    notice_id: int


@dataclass(frozen=True)
class EscalateToManager(Command):
    notice_id: int


@dataclass(frozen=True)
class ExtendDeadline(Command):
    notice_id: int
    hours: int = 24


@dataclass(frozen=True)
class CancelNotice(Command):
    notice_id: int


@dataclass(frozen=True)
class RevokeNoticeLinks(Command):
    """Every signed link to the notice for `recipient` stops opening its page, for good."""

    notice_id: int
    recipient: str


@dataclass(frozen=True)
class CommitToDate(Command):
    """The factory's promised completion date, as typed in chat ("2026-12-05", "12月5日")."""

    instruction_id: int
    text: str


@dataclass(frozen=True)
class AcceptCommitment(Command):
    instruction_id: int


@dataclass(frozen=True)
class DeclineCommitment(Command):
    instruction_id: int


@dataclass(frozen=True)
class InviteContact(Command):
    """The buyer asks for a one-time code that binds whoever redeems it to `factory_id` as its
    contact (Telegram's /invite, Slack's /followup invite)."""

    factory_id: str


@dataclass(frozen=True)
class ConfirmBinding(Command):
    """The buyer confirms that someone who asked to act for a factory (on Slack, in its
    channel) is that factory's contact."""

    request_id: int


@dataclass(frozen=True)
class RefuseBinding(Command):
    request_id: int


@dataclass(frozen=True)
class RevokeContact(Command):
    """A bound contact stops acting for their factory at once. `name_or_id` is what the buyer
    typed: a name, a platform user id, or a Slack mention."""

    name_or_id: str


@dataclass(frozen=True)
class RedeemInvite(Command):
    """Someone the bot does not act for yet redeems a buyer's one-time code (Telegram's /start
    CODE, Slack's /followup join CODE): bound to its factory as its contact, under their
    account, by `name`, what they call themselves."""

    code: str
    name: str


@dataclass(frozen=True)
class AskToAct(Command):
    """Someone the bot does not act for tried `attempted` (a tap, a command, an upload, a
    mention) in the chat `channel`: in a factory's chat this asks the buyer to confirm them
    as its contact, by `name`, what their colleagues see them called."""

    channel: str | None
    name: str
    attempted: str


@dataclass(frozen=True)
class OpenVisitForm(Command):
    """The inspector's form for the order `reference`: a draft of its visit report, pre-filled
    from the order (or the one this person left open)."""

    reference: str


@dataclass(frozen=True)
class SubmitVisitDraft(Command):
    """Post the draft's report as `followup visit post` posts a file (handlers/visits.py)."""

    draft_id: str
