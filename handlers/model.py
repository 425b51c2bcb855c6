"""Domain objects: who the people are, which factories exist, and the state of a visit's
instructions and notices. Nothing here knows about a chat platform or a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from handlers.reports.schema import VisitReport

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Role(StrEnum):
    BUYER = "buyer"
    INSPECTOR = "inspector"
    FACTORY = "factory"
    ADMIN = "admin"


class Platform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    SLACK = "slack"


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from None
    return value


class Factory(_Config):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]
    name: Name
    name_zh: Name
    timezone: str = "Asia/Shanghai"
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat")
    holidays: tuple[date, ...] = ()
    telegram_chat_id: int | None = None
    slack_channel: Name | None = None
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


class Person(_Config):
    name: Name
    role: Role
    factory: str | None = Field(None, description="The factory id, for factory contacts only")
    locale: str = "en"
    timezone: str = "UTC"
    telegram_user_id: int | None = None
    slack_user_id: Name | None = None

    _timezone = field_validator("timezone")(lambda cls, value: _known_timezone(value))

    @property
    def key(self) -> str:
        """A stable identity for audit trails, independent of the platform used."""
        return f"{self.role.value}:{self.name}"


def display_name(person_key: str) -> str:
    """The name part of a `Person.key`, for showing who decided something."""
    return person_key.partition(":")[2] or person_key


class Thresholds(_Config):
    """When a visit counts as at risk; configurable because buyers differ in appetite."""

    gap_pts_at_risk: float = Field(10.0, ge=0)
    slack_days_at_risk: int = Field(3, ge=0)
    packaging_materials_pct: float = Field(40.0, ge=0, le=100)
    systematic_rate_pct: float = Field(10.0, gt=0, le=100)
    # Which orders warrant a follow-up visit (handlers.factories): large or high value when in
    # the top `top_share_pct` % of the orders compared (10 or more of them), or at least these.
    top_share_pct: float = Field(10.0, gt=0, le=100)
    large_quantity: int | None = Field(None, gt=0)
    high_value: float | None = Field(None, gt=0)
    # Fewer working days than this between projected completion (not visited: the final
    # inspection) and ex-factory make the window tight.
    tight_window_days: int = Field(5, ge=0)


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
