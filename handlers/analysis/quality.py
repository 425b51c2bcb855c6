"""Judging the sample by ISO 2859-1 and spotting findings that look systematic.

A systematic problem (every unit made the same way is wrong) calls for sorting and a
process fix, not just repairing the units seen, so the buyer must see which ones they are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from handlers.analysis.aql import sampling_plan
from handlers.analysis.figures import pct
from handlers.model import Thresholds
from handlers.model.report import Finding, FindingCategory, Severity, VisitReport

_PROCESS_CATEGORIES = (FindingCategory.LABELLING, FindingCategory.MATERIAL_SUBSTITUTION)


@dataclass(frozen=True)
class SeverityResult:
    severity: Severity
    aql: Decimal
    code_letter: str | None  # Table 1's letter for the lot
    plan_letter: str | None  # the letter whose plan applies after the table's arrows
    sample_size: int | None  # what the plan requires, capped at the lot
    accept: int | None
    reject: int | None
    found: int
    result: str  # "pass", "fail", "incomplete" (fewer units checked than the plan) or "not_judged"
    checked: int | None = None  # units checked in the sample drawn


@dataclass(frozen=True)
class Systematic:
    finding: int  # index in report.findings
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Quality:
    lot_size: int
    sample_drawn: bool
    hundred_percent: bool
    by_severity: tuple[SeverityResult, ...]
    systematic: tuple[Systematic, ...]
    units_checked: int | None = None  # the sample drawn; None: nothing says a sample was checked

    @property
    def fails(self) -> bool:
        return any(r.result == "fail" for r in self.by_severity)

    @property
    def incomplete(self) -> tuple[SeverityResult, ...]:
        return tuple(r for r in self.by_severity if r.result == "incomplete")


def units_checked(report: VisitReport) -> int | None:
    """The units checked in the random sample: as the visit says, else the most any finding
    in the sample checked; None when the report shows no sample at all."""
    if report.visit.sample_size is not None:
        return report.visit.sample_size
    return max((f.units_checked for f in report.findings if f.in_sample), default=None)


def judge(report: VisitReport, thresholds: Thresholds) -> Quality:
    lot = report.visit.lot_size or sum(line.progress.counted_complete for line in report.item_lines())
    checked = units_checked(report) if report.visit.sample_drawn else None
    judged = checked is not None and lot >= 2
    results = tuple(_judge_severity(report, severity, lot, checked if judged else None) for severity in Severity)
    hundred = judged and any(r.sample_size == lot and r.result != "incomplete" for r in results)
    systematic = _systematic(report.findings, thresholds)
    return Quality(lot, report.visit.sample_drawn, hundred, results, systematic, checked)


def _judge_severity(report: VisitReport, severity: Severity, lot: int, checked: int | None) -> SeverityResult:
    """The plan the lot calls for, judged on the sample that was drawn: defects that already
    reach the rejection number fail whatever the sample's size; fewer defects in fewer units
    than the plan requires prove nothing, so the result is incomplete, never a pass."""
    aql = report.order.aql.for_severity(severity)
    found = sum(f.units_affected for f in report.findings if f.severity is severity and f.in_sample)
    if checked is None:
        return SeverityResult(severity, aql, None, None, None, None, None, found, "not_judged")
    plan = sampling_plan(lot, aql, report.order.inspection_level)
    sample = min(plan.sample_size, lot)
    if found >= plan.reject:
        result = "fail"
    elif checked < sample:
        result = "incomplete"
    else:
        result = "pass"
    return SeverityResult(
        severity, aql, plan.code_letter, plan.plan_letter, sample, plan.accept, plan.reject, found, result, checked
    )


def systematic_defects(report: VisitReport, quality: Quality) -> tuple[Systematic, ...]:
    """The systematic findings of major or critical severity: sorting and a process fix are
    needed whether or not the units were in the sample, so they put the order at risk."""
    serious = (Severity.MAJOR, Severity.CRITICAL)
    return tuple(s for s in quality.systematic if report.findings[s.finding].severity in serious)


def _systematic(findings: list[Finding], thresholds: Thresholds) -> tuple[Systematic, ...]:
    per_category = Counter(f.category for f in findings)
    flagged = []
    for i, finding in enumerate(findings):
        if finding.systematic is False:
            continue  # the inspector saw it on the line and judged it isolated
        reasons = _reasons(finding, per_category[finding.category], thresholds)
        if reasons:
            flagged.append(Systematic(i, tuple(reasons)))
    return tuple(flagged)


def _reasons(finding: Finding, same_category: int, thresholds: Thresholds) -> list[str]:
    reasons = []
    if finding.systematic:
        reasons.append("inspector_judged_systematic")
    rate = pct(finding.units_affected, finding.units_checked)
    if rate >= thresholds.systematic_rate_pct:
        reasons.append("high_rate")
    if finding.category in _PROCESS_CATEGORIES and finding.units_affected > 1:
        reasons.append("process_category")
    if same_category > 1:
        reasons.append("repeated_category")
    return reasons
