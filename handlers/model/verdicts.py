"""What the analysis of a visit concludes, as the store keeps it: the order's status, the
buyer's options, and the verdict stored with the visit so a listing never reads the report.

Types only, apart from how a verdict is judged (handlers.verdicts), so the store can read and
write them without reaching the analysis or the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"


class Option(StrEnum):
    """What a mid-production visit still lets the buyer do; a final inspection is too late."""

    ADJUST_FINAL_INSPECTION = "adjust_final_inspection"
    REVISE_FREIGHT_BOOKING = "revise_freight_booking"
    ESCALATE_WITH_FACTORY = "escalate_with_factory"
    ADDITIONAL_CHECK = "additional_check"
    WRITTEN_CORRECTIVE_REQUIREMENTS = "written_corrective_requirements"


# Most urgent first: how a listing ranks orders before anything else (handlers.queries.status).
ATTENTION_ORDER = (Status.LATE, Status.AT_RISK, Status.ON_TRACK)


@dataclass(frozen=True)
class Verdict:
    status: Status
    verified_pct: float
    reported_pct: float
    gap_pts: float
    options: tuple[Option, ...]  # the buyer's options, in the analysis' order
    projected_completion: date | None  # None: no output to project from


@dataclass(frozen=True)
class JudgedVisit:
    """A visit as a listing reads it: whose order it is, the final inspection date it was
    posted with, and its stored verdict; never the report."""

    id: int
    order_reference: str
    factory_id: str
    final_inspection: date
    verdict: Verdict
