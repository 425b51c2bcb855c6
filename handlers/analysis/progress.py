"""The figures of an order's progress chart: plan, visits, projection, dates, packaging.

Built from every stored visit of one order; the newest visit gives the order's dates, the
status and the pace of the projection, exactly as the status answer computes them
(`analyze`, `schedule.project`), so the picture never disagrees with the text beside it.
Drawing is the job of `messages/chart.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from handlers.analysis.analyze import Analysis, analyze, order_progress
from handlers.analysis.figures import points, progress_pct
from handlers.model import Factory, StoredVisit, Thresholds
from handlers.model.report import VisitReport
from handlers.model.verdicts import Status


@dataclass(frozen=True)
class Line:
    """A straight segment from (start, start_pct) to (end, end_pct)."""

    start: date
    start_pct: float
    end: date
    end_pct: float

    def at(self, day: date) -> float:
        """The line's value on `day` (between its ends), one decimal."""
        span = (self.end - self.start).days
        if span <= 0:
            return self.end_pct
        share = min(max((day - self.start).days / span, 0.0), 1.0)
        return round(self.start_pct + (self.end_pct - self.start_pct) * share, 1)


@dataclass(frozen=True)
class VisitPoint:
    day: date
    verified_pct: float
    reported_pct: float

    @property
    def gap_pts(self) -> float:
        """Reported − verified, in points, rounded as the status answer rounds it."""
        return points(self.reported_pct, self.verified_pct)


@dataclass(frozen=True)
class Projection:
    """Where the observed pace leads from the newest visit.

    `line` ends at 100 % on the projected completion date, or, when production has stalled,
    stays flat at the verified figure to the end of the chart (`completion` is then None).
    For an order of several items the date is its latest item's (`item`), and `daily_output`
    is that item's pace, not the order's sum: the line is drawn to where that pace leads.
    """

    line: Line
    daily_output: int
    completion: date | None
    item: str | None = None

    @property
    def stalled(self) -> bool:
        return self.completion is None


@dataclass(frozen=True)
class PackagingCheckpoint:
    """The field rule: packaging materials on site by the time `threshold_pct` is complete.

    `reached_on` is the first visit that counted production at or past the threshold (None:
    not reached yet); `materials_on_site` is what that visit found, or, before the threshold
    is reached, what the newest visit found.
    """

    threshold_pct: float
    reached_on: date | None
    materials_on_site: bool

    @property
    def missed(self) -> bool:
        return self.reached_on is not None and not self.materials_on_site


@dataclass(frozen=True)
class ItemPoint:
    """An item of an order of several, at the newest visit."""

    code: str
    verified_pct: float
    completion: date | None


@dataclass(frozen=True)
class ProgressChart:
    reference: str
    status: Status
    plan: Line | None
    visits: tuple[VisitPoint, ...]  # oldest first
    projection: Projection
    final_inspection: date
    ex_factory: date
    packaging: PackagingCheckpoint
    start: date
    end: date
    items: tuple[ItemPoint, ...] = ()  # an order of several items: each at the newest visit

    @property
    def latest(self) -> VisitPoint:
        return self.visits[-1]


def progress_chart(visits: Iterable[StoredVisit], factory: Factory, thresholds: Thresholds,
                   production_start: date | None = None) -> ProgressChart:
    """The chart of one order from its stored visits, in any order (at least one), and when its
    production started if the order says (see `plan_from`)."""
    ordered = sorted(visits, key=lambda v: (v.report.visit.date, v.id))
    return reports_chart([v.report for v in ordered], factory, thresholds, production_start)


def reports_chart(reports: Sequence[VisitReport], factory: Factory, thresholds: Thresholds,
                  production_start: date | None = None) -> ProgressChart:
    """The chart of one order from its visit reports, oldest first (at least one). Production
    starts on `production_start`, else on the newest report's, when either is known."""
    if not reports:
        raise ValueError("a progress chart needs at least one visit")
    newest = reports[-1]
    production_start = production_start or newest.order.production_start
    analysis = analyze(newest, factory, thresholds)
    points = tuple(_point(r) for r in reports)
    order = newest.order
    completion = analysis.schedule.projected_completion
    end = max(order.final_inspection, order.ex_factory, points[-1].day, completion or points[-1].day)
    return ProgressChart(
        reference=order.reference,
        status=analysis.status,
        plan=plan_from(production_start, order.final_inspection),
        visits=points,
        projection=_projection(points[-1], analysis, end),
        final_inspection=order.final_inspection,
        ex_factory=order.ex_factory,
        packaging=_packaging(reports, points, thresholds.packaging_materials_pct),
        # a visit after the final inspection still shows the date
        start=min(points[0].day, order.final_inspection, production_start or points[0].day),
        end=end,
        items=tuple(ItemPoint(i.line.code, i.progress.verified_pct, i.schedule.projected_completion)
                    for i in analysis.items) if analysis.several_items else (),
    )


def _point(report: VisitReport) -> VisitPoint:
    progress = order_progress(report)
    return VisitPoint(day=report.visit.date, verified_pct=progress.verified_pct, reported_pct=progress.reported_pct)


def _projection(latest: VisitPoint, analysis: Analysis, end: date) -> Projection:
    completion = analysis.schedule.projected_completion
    if completion is None:  # stalled: no pace to project, the line stays where production stopped
        line = Line(latest.day, latest.verified_pct, end, latest.verified_pct)
        return Projection(line, analysis.schedule.daily_output, None)
    line = Line(latest.day, latest.verified_pct, completion, 100.0)
    item = analysis.completion_item()
    if item is None:
        return Projection(line, analysis.schedule.daily_output, completion)
    return Projection(line, item.schedule.daily_output, completion, item.line.code)


def plan_from(production_start: date | None, final_inspection: date) -> Line | None:
    """The plan: a straight line from 0 % when production started to 100 % on the
    final-inspection date; None when production's start is not known (or not before the final
    inspection).

    Linear is fair because a factory quotes an order as a daily capacity times a number of
    days, and the final inspection samples the whole lot, so every unit must be finished by
    then: a steady pace to that date is what the factory agreed to. Without a start there is
    no plan to draw: a line from what the first visit counted would put every order on plan
    at its first visit, which flatters exactly the orders nobody knows about yet."""
    if production_start is None or production_start >= final_inspection:
        return None
    return Line(production_start, 0.0, final_inspection, 100.0)


def _packaging(reports: Sequence[VisitReport], points: tuple[VisitPoint, ...], threshold: float) -> PackagingCheckpoint:
    """The checkpoint is reached at the first visit where any item is at the threshold: the
    packaging materials serve every item (`analyze` judges the rule so too)."""
    reached = next((i for i, r in enumerate(reports) if _furthest_item_pct(r) >= threshold), None)
    witness = reports[-1 if reached is None else reached]
    return PackagingCheckpoint(
        threshold_pct=threshold,
        reached_on=None if reached is None else points[reached].day,
        materials_on_site=witness.packaging.materials_on_site,
    )


def _furthest_item_pct(report: VisitReport) -> float:
    return max(progress_pct(line.progress.counted_complete, line.ordered) for line in report.item_lines())
