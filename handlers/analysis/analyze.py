"""The analysis of one visit: progress gap, schedule, packaging rule, AQL, risks, options.

Figures only; wording is the job of `messages/`, so the same analysis reads well in
English and Chinese, in a chat, a terminal or JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from handlers.analysis.figures import points, progress_pct, units_for_pct
from handlers.analysis.quality import Quality, judge, systematic_defects
from handlers.analysis.schedule import Schedule, nth_working_day, project
from handlers.intake.checks import judgement_warnings
from handlers.intake.problems import Problem
from handlers.model import Factory, Thresholds
from handlers.model.report import Material, MaterialStatus, VisitReport
from handlers.model.verdicts import Option, Status


@dataclass(frozen=True)
class Progress:
    ordered: int
    reported_complete: int
    verified_complete: int
    reported_pct: float
    verified_pct: float
    gap_pts: float


@dataclass(frozen=True)
class Packaging:
    materials_on_site: bool
    threshold_pct: float
    materials_risk: bool
    # Not on site: the day production reaches the threshold at the observed pace (the visit's day
    # once it has; None when the line has stalled below it). On site: None.
    needed_by: date | None = None


@dataclass(frozen=True)
class Analysis:
    progress: Progress
    schedule: Schedule
    status: Status
    status_reasons: tuple[str, ...]
    packaging: Packaging
    materials: tuple[tuple[int, Material], ...]
    quality: Quality
    options: tuple[tuple[Option, tuple[str, ...]], ...]
    warnings: tuple[Problem, ...] = ()  # what the check accepted but doubted (checks.judgement_warnings)


def analyze(report: VisitReport, factory: Factory, thresholds: Thresholds) -> Analysis:
    progress = _progress(report)
    schedule = project(report.order, report.visit, report.progress, factory)
    packaging = _packaging(report, progress, thresholds, factory)
    quality = judge(report, thresholds)
    materials = tuple((i, m) for i, m in enumerate(report.materials) if m.status is not MaterialStatus.ON_SITE)
    reasons = _risk_reasons(report, progress, schedule, packaging, quality, materials, thresholds)
    status = _status(schedule, reasons)
    options = _options(report, schedule, reasons, quality)
    warnings = judgement_warnings(report, thresholds.overrun_pct)
    return Analysis(progress, schedule, status, reasons, packaging, materials, quality, options, warnings)


def _progress(report: VisitReport) -> Progress:
    ordered = report.order.quantity
    reported = progress_pct(report.progress.reported_complete, ordered)
    verified = progress_pct(report.progress.counted_complete, ordered)
    return Progress(
        ordered=ordered,
        reported_complete=report.progress.reported_complete,
        verified_complete=report.progress.counted_complete,
        reported_pct=reported,
        verified_pct=verified,
        gap_pts=points(reported, verified),
    )


def _packaging(report: VisitReport, progress: Progress, thresholds: Thresholds, factory: Factory) -> Packaging:
    on_site = report.packaging.materials_on_site
    threshold = thresholds.packaging_materials_pct
    risk = not on_site and progress.verified_pct >= threshold
    needed_by = None if on_site else _threshold_reached(report, threshold, factory)
    return Packaging(on_site, threshold, risk, needed_by)


def _threshold_reached(report: VisitReport, threshold: float, factory: Factory) -> date | None:
    """The working day the counted units reach `threshold` % at the observed daily output: the
    packaging materials must be on site by then (the visit's day when they already have)."""
    ordered, counted = report.order.quantity, report.progress.counted_complete
    needed = units_for_pct(threshold, ordered)
    if counted >= needed:
        return report.visit.date
    if report.progress.daily_output <= 0:
        return None
    days = math.ceil((needed - counted) / report.progress.daily_output)
    return nth_working_day(report.visit.date, days, factory)


def _risk_reasons(
    report: VisitReport,
    progress: Progress,
    schedule: Schedule,
    packaging: Packaging,
    quality: Quality,
    materials: tuple[tuple[int, Material], ...],
    thresholds: Thresholds,
) -> tuple[str, ...]:
    """Why the order needs attention, most serious first."""
    checks = (
        ("final_inspection_passed", report.visit.date > report.order.final_inspection),
        ("no_output", schedule.projected_completion is None),
        ("late", schedule.slack_days is not None and schedule.slack_days < 0),
        ("little_slack", schedule.slack_days is not None and 0 <= schedule.slack_days < thresholds.slack_days_at_risk),
        ("progress_gap", progress.gap_pts >= thresholds.gap_pts_at_risk),
        ("quality_fail", quality.fails),
        ("sample_incomplete", bool(quality.incomplete)),
        ("systematic_defect", bool(systematic_defects(report, quality))),
        ("packaging_materials", packaging.materials_risk),
        ("materials_substituted", any(m.status is MaterialStatus.SUBSTITUTED for _, m in materials)),
        ("materials_missing", any(m.status is MaterialStatus.MISSING for _, m in materials)),
    )
    return tuple(reason for reason, applies in checks if applies)


def _status(schedule: Schedule, reasons: tuple[str, ...]) -> Status:
    if {"final_inspection_passed", "late", "no_output"}.intersection(reasons):
        return Status.LATE
    at_risk = {"little_slack", "progress_gap", "quality_fail", "sample_incomplete", "systematic_defect",
               "packaging_materials", "materials_substituted", "materials_missing"}
    return Status.AT_RISK if at_risk.intersection(reasons) else Status.ON_TRACK


def _options(
    report: VisitReport, schedule: Schedule, reasons: tuple[str, ...], quality: Quality
) -> tuple[tuple[Option, tuple[str, ...]], ...]:
    """The buyer's options that apply, each with the reasons that make it apply."""

    def having(*codes: str) -> tuple[str, ...]:
        return tuple(r for r in reasons if r in codes)

    timing = having("final_inspection_passed", "no_output", "late", "little_slack")
    systematic = ("systematic",) if quality.systematic else ()
    proposed = ("instructions_proposed",) if report.proposed_instructions() else ()
    candidates = (
        (Option.ADJUST_FINAL_INSPECTION, timing),
        (Option.REVISE_FREIGHT_BOOKING, ("misses_ex_factory",) if timing and schedule.misses_ex_factory else ()),
        (Option.ESCALATE_WITH_FACTORY,
         having("progress_gap", "no_output", "late", "materials_substituted", "materials_missing")),
        (Option.ADDITIONAL_CHECK, having("quality_fail", "sample_incomplete", "packaging_materials") + systematic),
        (Option.WRITTEN_CORRECTIVE_REQUIREMENTS, proposed),
    )
    return tuple((option, why) for option, why in candidates if why)
