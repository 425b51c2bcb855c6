"""Domain objects: who the people are, which factories exist, and the state of a visit's
instructions and notices. Nothing here knows about a chat platform or a database.

The package is the part of the domain the store may read: beside these, the visit report
(report.py), orders (orders.py) and what a listing keeps of them (search.py), and the verdicts
kept with visits (verdicts.py). No use case, reader or query lives here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator, model_validator,
)
from pydantic_core import PydanticCustomError

from handlers.model.report import VisitReport

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Role(StrEnum):
    BUYER = "buyer"
    INSPECTOR = "inspector"
    FACTORY = "factory"
    ADMIN = "admin"
    # Someone the bot does not act for, known only by the platform account they acted from:
    # they may redeem an invitation or ask to act for a factory, nothing else (handlers.rights).
    STRANGER = "stranger"


class Platform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    SLACK = "slack"
    # Group robots of a factory's chat (bot/robots/): they post, nobody answers through them.
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"
    WEB = "web"  # the factory's notice page, opened through a signed link
    EMAIL = "email"  # outbound only: a factory's mailbox


_PLATFORMS = frozenset(platform.value for platform in Platform)  # a set built per Identity.parse was most of it


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from None
    return value


# An address as a mail server takes it: local part, @, a domain with a dot; no display name,
# spaces or angle brackets, which a header would have to quote.
_EMAIL_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"  # local part
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"  # domain labels, then the top level
)


def _email_address(value: str) -> str:
    if len(value) > 254 or not _EMAIL_ADDRESS.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address such as qc@factory.cn")
    return value


EmailAddress = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_email_address)]


def _one_or_more(value: object) -> object:
    """A single address may be written as a string."""
    return (value,) if isinstance(value, str) else value


class Factory(_Config):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]
    name: Name
    name_zh: Name
    timezone: str = "Asia/Shanghai"
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat")
    holidays: tuple[date, ...] = ()
    telegram_chat_id: int | None = None
    slack_channel: Name | None = None
    # The factory's group robots, each a webhook URL with its signing secret where the robot
    # signs (bot/config.py checks them; the URLs carry the robot's key, so they are secrets too).
    wecom_webhook: str | None = None
    dingtalk_webhook: str | None = None
    dingtalk_secret: str | None = None
    feishu_webhook: str | None = None
    feishu_secret: str | None = None
    # One or more addresses, as "qc@factory.cn" or a list; every message goes to all of them in one mail.
    email: Annotated[tuple[EmailAddress, ...], BeforeValidator(_one_or_more)] = ()
    # Chasing a notice: the factory answers within `acknowledge_within_hours` of sending;
    # reminders go at that deadline and every `remind_every_hours` after it, only within
    # working hours in the factory's zone; the buyer is alerted `escalate_after_hours`
    # after sending. `manager` names a factory contact the buyer may escalate to.
    acknowledge_within_hours: int = Field(24, ge=1, le=24 * 14)
    remind_every_hours: int = Field(12, ge=1, le=24 * 7)
    escalate_after_hours: int = Field(48, ge=1, le=24 * 28)
    working_hours_start: time = time(8, 30)
    working_hours_end: time = time(18, 0)
    manager: Name | None = None

    _timezone = field_validator("timezone")(lambda cls, value: _known_timezone(value))

    @model_validator(mode="after")
    def _chasing_adds_up(self) -> Factory:
        if self.working_hours_end <= self.working_hours_start:
            raise ValueError(
                f"working_hours_end {self.working_hours_end:%H:%M} must be after"
                f" working_hours_start {self.working_hours_start:%H:%M}"
            )
        if self.escalate_after_hours < self.acknowledge_within_hours:
            raise ValueError(
                f"escalate_after_hours ({self.escalate_after_hours}) must not be before the acknowledgement"
                f" deadline (acknowledge_within_hours = {self.acknowledge_within_hours})"
            )
        return self

    @field_validator("working_days")
    @classmethod
    def _known_weekdays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [d for d in value if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}; use {', '.join(WEEKDAYS)}")
        if not value:
            raise ValueError("at least one working day is needed")
        return value

    def is_working_day(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.working_days and day not in self.holidays


class PlatformAccount(_Config):
    """A person's account on a chat platform, as the platform identifies it."""

    platform: Platform
    user_id: Name


NAMED_ROLES = (Role.BUYER, Role.INSPECTOR, Role.FACTORY, Role.ADMIN)  # what followup.toml and the store may name


def _named_role(value: object) -> object:
    """A role as followup.toml or the store names it, never a stranger's: only the code makes a
    stranger (handlers.strangers), from the account they acted from."""
    if isinstance(value, Role):
        return value
    if value in {role.value for role in NAMED_ROLES}:
        return Role(value)
    named = [f"'{role.value}'" for role in NAMED_ROLES]
    raise PydanticCustomError("enum", "Input should be {expected}",
                              {"expected": f"{', '.join(named[:-1])} or {named[-1]}"})


class Person(_Config):
    name: Name
    role: Annotated[Role, BeforeValidator(_named_role)]
    factory: str | None = Field(None, description="The factory id, for factory contacts only")
    locale: str = "en"
    timezone: str = "UTC"
    telegram_user_id: int | None = None
    slack_user_id: Name | None = None
    contact: Name | None = Field(None, description="How a factory reaches them, printed on the notice for a buyer or "
                                                   "inspector: phone, WeChat or e-mail, as written")
    # A factory contact the store bound (by invitation or a buyer's confirmation), not one
    # from followup.toml: its name is what the person called themselves, so who they are is
    # their platform account. The configuration refuses this field.
    bound: PlatformAccount | None = None

    _timezone = field_validator("timezone")(lambda cls, value: _known_timezone(value))

    @model_validator(mode="after")
    def _only_factory_contacts_are_bound(self) -> Person:
        if self.role is Role.STRANGER:
            if self.bound is None or self.factory is not None:
                raise ValueError("a stranger is known by their platform account alone")
        elif self.bound is not None and (self.role is not Role.FACTORY or not self.factory):
            raise ValueError("only a factory contact with a factory can be bound by invitation or confirmation")
        return self

    def account_on(self, platform: Platform) -> str | None:
        """Their user id on `platform`, or None where they have no account the bot knows."""
        if self.bound is not None:
            return self.bound.user_id if self.bound.platform is platform else None
        value = {Platform.TELEGRAM: self.telegram_user_id, Platform.SLACK: self.slack_user_id}.get(platform)
        return None if value is None else str(value)

    @property
    def identity(self) -> Identity:
        account = self.bound
        return Identity(self.role.value, self.name, self.factory,
                        account.platform if account else None, account.user_id if account else None)

    @property
    def key(self) -> str:
        """A stable identity for audit trails and decisions, independent of the platform used
        (see `Identity`)."""
        return self.identity.key


@dataclass(frozen=True)
class Identity:
    """Who a stored `Person.key` names. The key is `ROLE[/FACTORY][@PLATFORM/USER_ID]:NAME`:

    - `buyer:Anna Schmidt` — a person of followup.toml (the buyer wrote the name);
    - `factory/NB-EVERGREEN:Li Wei` — a configured factory contact: two factories' Li Wei
      are two people;
    - `factory/NB-EVERGREEN@telegram/555:Wang` — a contact bound by invitation or
      confirmation: the account is who they are, the name is only what they call themselves;
    - `stranger@slack/U0X:Mallory` — someone the bot refused, for the audit trail.

    Keys written before factories and accounts were part of them (`factory:Li Wei`) read as a
    name and role alone. Factory ids and platform ids hold no `/`, `@` or `:`; a name may.
    """

    role: str
    name: str
    factory: str | None = None
    platform: Platform | None = None
    user_id: str | None = None

    @property
    def key(self) -> str:
        head = self.role + (f"/{self.factory}" if self.factory else "")
        if self.platform is not None:
            head += f"@{self.platform.value}/{self.user_id}"
        return f"{head}:{self.name}"

    @property
    def is_bound(self) -> bool:
        """Known by a platform account rather than by a name from followup.toml."""
        return self.platform is not None

    @classmethod
    def parse(cls, key: str) -> Identity:
        head, colon, name = key.partition(":")
        if not colon:
            return cls("", key)
        head, _, account = head.partition("@")
        role, _, factory = head.partition("/")
        platform, _, user_id = account.partition("/")
        known = platform in _PLATFORMS
        return cls(role, name, factory or None, Platform(platform) if known else None, user_id if known else None)

    @classmethod
    def stranger(cls, platform: Platform, user_id: str, name: str | None = None) -> Identity:
        return cls("stranger", name or user_id, None, platform, user_id)


@dataclass(frozen=True)
class RedeemOk:
    """What redeeming an invitation code came to (storage judges it, handlers.strangers acts
    on it): the code was good and is now used."""

    factory_id: str
    created_by: str  # who invited: the key of the buyer who made the code


@dataclass(frozen=True)
class RedeemUnknown:
    """No such code: mistyped, or never issued by this store."""


@dataclass(frozen=True)
class RedeemExpired:
    expires_at: datetime


@dataclass(frozen=True)
class RedeemUsed:
    platform: Platform
    by_user_id: str
    at: datetime


RedeemResult = RedeemOk | RedeemUnknown | RedeemExpired | RedeemUsed


class BindingVia(StrEnum):
    INVITE = "invite"  # the contact redeemed a buyer's invitation
    CONFIRMATION = "confirmation"  # the buyer confirmed the contact's request


@dataclass(frozen=True)
class Binding:
    """A factory contact the buyer bound, rather than one of followup.toml."""

    person: Person  # `person.bound` is the account
    bound_at: datetime
    via: BindingVia
    bound_by: str | None  # key of the buyer who invited or confirmed; None where nobody recorded it
    revoked: Decision | None = None

    @property
    def account(self) -> PlatformAccount:
        return self.person.bound


class RequestOutcome(StrEnum):
    CONFIRMED = "confirmed"
    REFUSED = "refused"


@dataclass(frozen=True)
class BindingRequest:
    """Someone who is nobody's contact acted in a factory's channel: the buyer is asked once."""

    id: int
    person: Person  # who they would be; `person.bound` is their account
    channel: str | None  # where they asked: they are told the answer there
    requested_at: datetime
    outcome: RequestOutcome | None = None
    decided: Decision | None = None

    @property
    def is_open(self) -> bool:
        return self.outcome is None


class Thresholds(_Config):
    """When a visit counts as at risk; configurable because buyers differ in appetite."""

    gap_pts_at_risk: float = Field(10.0, ge=0)
    slack_days_at_risk: int = Field(3, ge=0)
    packaging_materials_pct: float = Field(40.0, ge=0, le=100)
    systematic_rate_pct: float = Field(10.0, gt=0, le=100)
    # Reported or counted complete up to this share above the ordered quantity is accepted with a
    # warning (factories make a few spare units); beyond it the report is refused.
    overrun_pct: float = Field(5.0, ge=0, le=100)
    # Which orders warrant a follow-up visit (handlers.queries.factories): large or high value when in
    # the top `top_share_pct` % of the orders compared (10 or more of them), or at least these.
    top_share_pct: float = Field(10.0, gt=0, le=100)
    large_quantity: int | None = Field(None, gt=0)
    high_value: float | None = Field(None, gt=0)
    # Fewer working days than this between projected completion (not visited: the final
    # inspection) and ex-factory make the window tight. The window must hold packing the last
    # cartons (a final inspection is drawn from a lot at least 80 % packed: a day), the final
    # inspection (a day, its report that evening) and loading the booked container (a day):
    # three. Five flagged nearly every ordinary order, whose final inspection sits about a
    # working week before ex-factory, and a flag on every order tells the buyer nothing.
    tight_window_days: int = Field(3, ge=0)


class InstructionState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    EDITED = "edited"
    REJECTED = "rejected"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"
    DONE = "done"
    VERIFIED = "verified"
    REOPENED = "reopened"
    CANCELLED = "cancelled"


class NoticeState(StrEnum):
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


class Commitment(StrEnum):
    """Whether the date the factory committed to stands."""

    ACCEPTED = "accepted"  # on or before the due date, or accepted by the buyer
    REQUESTED = "requested"  # later than the due date: the buyer is asked
    DECLINED = "declined"  # the buyer holds the factory to the due date


@dataclass(frozen=True)
class Decision:
    """Who moved something into its current state, when, and from where."""

    by: str
    at: datetime
    platform: Platform


@dataclass(frozen=True)
class Instruction:
    """A corrective instruction proposed for one finding, material or packaging check."""

    id: int
    visit_id: int
    source: str  # "findings.0", "materials.2", "packaging.checks.1": what it answers
    kind: str
    params: dict
    note: str | None
    note_zh: str | None
    due: date
    state: InstructionState
    decided: Decision | None = None
    notice_id: int | None = None
    reason: str | None = None
    evidence: tuple[str, ...] = ()  # sha256 of the photos the factory sent as proof
    committed: date | None = None
    commitment: Commitment | None = None
    # The buyer's Chinese, added before sending, for what the report left in English: the
    # item's problem description, and descriptive parameters by name (each while it stands).
    description_zh: str | None = None
    params_zh: dict = field(default_factory=dict)

    @property
    def deadline(self) -> date:
        """The date the factory is held to: its accepted commitment, else the due date."""
        if self.committed is not None and self.commitment is Commitment.ACCEPTED:
            return self.committed
        return self.due

    @property
    def is_open_at_factory(self) -> bool:
        """Sent and not yet reported done (or reopened after a done report)."""
        return self.state in (InstructionState.SENT, InstructionState.ACKNOWLEDGED, InstructionState.REOPENED)

    def is_overdue(self, today: date) -> bool:
        return self.is_open_at_factory and self.deadline < today

    @property
    def is_approved(self) -> bool:
        return self.state in (InstructionState.APPROVED, InstructionState.EDITED)

    @property
    def is_undecided(self) -> bool:
        """Awaiting the buyer: newly proposed, or disputed by the factory and to be decided again."""
        return self.state in (InstructionState.PROPOSED, InstructionState.DISPUTED)


@dataclass(frozen=True)
class EvidencePhoto:
    """One photo of a done report, and who sent it, when, from where."""

    sha256: str
    added: Decision
    captured_at: datetime | None = None  # the camera's clock (EXIF): its own local time, no zone


@dataclass(frozen=True)
class EvidenceRound:
    """The photos of one done report (and those added to it), kept after a reopen: the
    factory's earlier attempts stay traceable beside its latest."""

    number: int  # 1 for the first done report, 2 after a reopen and another, ...
    photos: tuple[EvidencePhoto, ...]

    @property
    def reported(self) -> Decision:
        """Who reported the instruction done with this round's first photo, when, from where."""
        return self.photos[0].added

    @property
    def hashes(self) -> tuple[str, ...]:
        return tuple(photo.sha256 for photo in self.photos)


@dataclass(frozen=True)
class StoredVisit:
    id: int
    order_reference: str
    factory_id: str
    report: VisitReport
    photos: dict[str, str]  # report photo name -> sha256
    posted: Decision


@dataclass(frozen=True)
class Notice:
    id: int
    number: str
    version: int
    visit_id: int
    factory_id: str
    order_reference: str
    instruction_ids: tuple[int, ...]
    state: NoticeState
    sent: Decision
    answered: Decision | None = None
    dispute_reason: str | None = None
    acknowledge_by: datetime | None = None
    deadline_round: int = 0  # a buyer's extension starts a new round of reminders
    reminder_requested_by: str | None = None  # a buyer's reminder waiting for working hours


@dataclass(frozen=True)
class OutgoingMessage:
    """A message the bot owes someone: written with the change that causes it, sent later."""

    platform: Platform
    destination: str
    kind: str
    payload: dict
    locale: str
    timezone: str = "UTC"
    id: int | None = None
    sent_at: datetime | None = None
    attempts: int = 0
