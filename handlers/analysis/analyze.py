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
from handlers.analysis.schedule import Schedule, combined, nth_working_day, project
from handlers.intake.checks import judgement_warnings
from handlers.intake.problems import Problem
from handlers.model import Factory, Thresholds
from handlers.model.report import ItemLine, Material, MaterialStatus, VisitReport
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
class ItemAnalysis:
    """One item's progress, schedule and packaging rule, judged as if it were an order."""

    line: ItemLine
    progress: Progress
    schedule: Schedule
    packaging: Packaging


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
    items: tuple[ItemAnalysis, ...] = ()  # one per item of the order; the figures above are the order's

    @property
    def several_items(self) -> bool:
        """Whether the order has items worth showing one by one (one item is the order)."""
        return len(self.items) > 1

    def widest_gap(self) -> tuple[str | None, Progress]:
        """The progress with the widest gap and its item's code: the order's (code None) unless
        an item's gap is wider, which the order's sums would hide."""
        widest = max(self.items, key=lambda i: i.progress.gap_pts, default=None)
        if widest is None or not self.several_items or widest.progress.gap_pts <= self.progress.gap_pts:
            return None, self.progress
        return widest.line.code, widest.progress

    def stalled_items(self) -> tuple[ItemAnalysis, ...]:
        """Every item of several whose line has stalled with units still to make: the factory
        must restart each, so naming only the first would hide the others."""
        if not self.several_items:
            return ()
        return tuple(i for i in self.items if i.schedule.projected_completion is None)

    def completion_item(self) -> ItemAnalysis | None:
        """The item of several whose projected completion is the order's: the order's daily
        output and units remaining are sums, so the date is only read right beside this item's
        own pace. None for one item, or when a stalled item leaves the order no completion."""
        if not self.several_items or self.schedule.projected_completion is None:
            return None
        return next(i for i in self.items if i.schedule.projected_completion == self.schedule.projected_completion)

    def packaging_pct(self) -> tuple[str | None, float]:
        """How far production is toward the packaging rule: the order's verified % (code None),
        or the furthest item's when the order is below the threshold and that item is not."""
        furthest = max(self.items, key=lambda i: i.progress.verified_pct, default=None)
        below = self.progress.verified_pct < self.packaging.threshold_pct
        if furthest is None or not self.several_items or not below or not furthest.packaging.materials_risk:
            return None, self.progress.verified_pct
        return furthest.line.code, furthest.progress.verified_pct


def analyze(report: VisitReport, factory: Factory, thresholds: Thresholds) -> Analysis:
    """Progress, schedule and the packaging rule per item and for the order (the sums; as late
    as its latest item; packaging needed by the first item's need), then the order's verdict."""
    items = tuple(_item(report, line, thresholds, factory) for line in report.item_lines())
    progress = order_progress(report)
    schedule = combined([i.schedule for i in items])
    packaging = _order_packaging(report, items, thresholds)
    quality = judge(report, thresholds)
    materials = tuple((i, m) for i, m in enumerate(report.materials) if m.status is not MaterialStatus.ON_SITE)
    reasons = _risk_reasons(report, progress, items, schedule, packaging, quality, materials, thresholds)
    status = _status(schedule, reasons)
    options = _options(report, schedule, reasons, quality)
    warnings = judgement_warnings(report, thresholds.overrun_pct)
    return Analysis(progress, schedule, status, reasons, packaging, materials, quality, options, warnings, items)


def order_progress(report: VisitReport) -> Progress:
    """The order's progress: its items' units summed, the percentages of the sums. Of several
    items each counts up to its own quantity: an overrun of one colour makes none of another, so
    it must not shrink what the order has left to make (the sum of the items' remaining)."""
    lines = report.item_lines()
    several = len(lines) > 1

    def toward_order(units: int, line: ItemLine) -> int:
        return min(units, line.ordered) if several else units

    return _progress(sum(line.ordered for line in lines),
                     sum(toward_order(line.progress.reported_complete, line) for line in lines),
                     sum(toward_order(line.progress.counted_complete, line) for line in lines))


def _progress(ordered: int, reported_complete: int, counted_complete: int) -> Progress:
    reported = progress_pct(reported_complete, ordered)
    verified = progress_pct(counted_complete, ordered)
    return Progress(
        ordered=ordered,
        reported_complete=reported_complete,
        verified_complete=counted_complete,
        reported_pct=reported,
        verified_pct=verified,
        gap_pts=points(reported, verified),
    )


def _item(report: VisitReport, line: ItemLine, thresholds: Thresholds, factory: Factory) -> ItemAnalysis:
    progress = _progress(line.ordered, line.progress.reported_complete, line.progress.counted_complete)
    schedule = project(report.order, report.visit, line.ordered, line.progress, factory)
    on_site = report.packaging.materials_on_site
    threshold = thresholds.packaging_materials_pct
    risk = not on_site and progress.verified_pct >= threshold
    needed_by = None if on_site else _threshold_reached(report, line, threshold, factory)
    return ItemAnalysis(line, progress, schedule, Packaging(on_site, threshold, risk, needed_by))


def _order_packaging(report: VisitReport, items: tuple[ItemAnalysis, ...], thresholds: Thresholds) -> Packaging:
    """The packaging materials serve every item: at risk once any item is past the threshold,
    needed by the day the first item reaches it."""
    needed = [i.packaging.needed_by for i in items if i.packaging.needed_by is not None]
    return Packaging(report.packaging.materials_on_site, thresholds.packaging_materials_pct,
                     any(i.packaging.materials_risk for i in items), min(needed, default=None))


def _threshold_reached(report: VisitReport, line: ItemLine, threshold: float, factory: Factory) -> date | None:
    """The working day the item's counted units reach `threshold` % at its observed daily
    output: the packaging materials must be on site by then (the visit's day when they already
    have)."""
    counted = line.progress.counted_complete
    needed = units_for_pct(threshold, line.ordered)
    if counted >= needed:
        return report.visit.date
    if line.progress.daily_output <= 0:
        return None
    days = math.ceil((needed - counted) / line.progress.daily_output)
    return nth_working_day(report.visit.date, days, factory)


def _risk_reasons(
    report: VisitReport,
    progress: Progress,
    items: tuple[ItemAnalysis, ...],
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
        ("progress_gap", max([progress.gap_pts, *(i.progress.gap_pts for i in items)]) >= thresholds.gap_pts_at_risk),
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
