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
    sample_size: int | None
    accept: int | None
    reject: int | None
    found: int
    result: str  # "pass", "fail" or "not_judged"


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

    @property
    def fails(self) -> bool:
        return any(r.result == "fail" for r in self.by_severity)


def judge(report: VisitReport, thresholds: Thresholds) -> Quality:
    lot = report.visit.lot_size or report.progress.counted_complete
    judged = report.visit.sample_drawn and lot >= 2
    results = tuple(_judge_severity(report, severity, lot, judged) for severity in Severity)
    hundred = judged and any(r.sample_size == lot for r in results)
    return Quality(lot, report.visit.sample_drawn, hundred, results, _systematic(report.findings, thresholds))


def _judge_severity(report: VisitReport, severity: Severity, lot: int, judged: bool) -> SeverityResult:
    aql = report.order.aql.for_severity(severity)
    found = sum(f.units_affected for f in report.findings if f.severity is severity and f.in_sample)
    if not judged:
        return SeverityResult(severity, aql, None, None, None, None, None, found, "not_judged")
    plan = sampling_plan(lot, aql, report.order.inspection_level)
    sample = min(plan.sample_size, lot)
    result = "pass" if found <= plan.accept else "fail"
    return SeverityResult(
        severity, aql, plan.code_letter, plan.plan_letter, sample, plan.accept, plan.reject, found, result
    )


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
