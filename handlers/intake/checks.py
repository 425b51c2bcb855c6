"""Rules that span several fields of a report, each problem tied to the field it is about.

They run on whatever sections of the report are individually valid, so one round of
`followup visit check` lists as many problems as can be known at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from handlers import catalog
from handlers.analysis.aql import AqlError, parse_aql
from handlers.intake.problems import (
    COUNTED_ABOVE_REPORTED,
    EX_FACTORY_PASSED,
    FINAL_INSPECTION_PASSED,
    OVER_ORDERED,
    PACKAGING_CONTRADICTION,
    REQUIRED,
    UNITS_UNACCOUNTED,
    Level,
    Problem,
    join_path,
)
from handlers.model import Thresholds
from handlers.model.report import (
    Finding,
    Instruction,
    Material,
    MaterialStatus,
    Order,
    Packaging,
    PackagingStatus,
    Progress,
    Severity,
    Visit,
    VisitReport,
)
from handlers.translatable import N_, Nn_, Text, names_or_none

# Above the ordered quantity: a warning within the accepted overrun, refused beyond it.
_OVER_ORDERED = {
    "reported_complete": (
        N_("reported complete %(value)s is above the ordered quantity %(ordered)s, within the %(overrun)s %% "
           "overrun accepted"),
        N_("reported complete %(value)s exceeds the ordered quantity %(ordered)s by more than the %(overrun)s %% "
           "overrun accepted"),
    ),
    "counted_complete": (
        N_("counted complete %(value)s is above the ordered quantity %(ordered)s, within the %(overrun)s %% "
           "overrun accepted"),
        N_("counted complete %(value)s exceeds the ordered quantity %(ordered)s by more than the %(overrun)s %% "
           "overrun accepted"),
    ),
}
DEFAULT_OVERRUN_PCT = Thresholds().overrun_pct
_SEVERITY = {Severity.CRITICAL: N_("CR critical"), Severity.MAJOR: N_("MA major"), Severity.MINOR: N_("MI minor")}
_MORE_THAN_SAMPLE = N_("%(checked)s units checked in the sample, more than the sample of %(sample)s "
                       "(visit.sample_size)")
_DEFECTS_BEYOND_SAMPLE = N_("%(found)s %(severity)s defects found in the sample, more than the %(checked)s units "
                            "checked")
_LOT_BELOW_SAMPLE = N_("lot size %(lot)s is smaller than the %(checked)s units checked in the sample")
_COUNTED_BELOW_SAMPLE = Nn_(
    "the lot (%(lot)s counted complete unit) is smaller than the %(checked)s units checked in the sample; "
    "give visit.lot_size",
    "the lot (%(lot)s counted complete units) is smaller than the %(checked)s units checked in the sample; "
    "give visit.lot_size",
)
_UNACCOUNTED = Nn_(
    "counted complete + in progress + not started = %(accounted)s of %(ordered)s ordered; %(missing)s unit is "
    "unaccounted for",
    "counted complete + in progress + not started = %(accounted)s of %(ordered)s ordered; %(missing)s units are "
    "unaccounted for",
)
_CONTRADICTS_ON_SITE = {
    PackagingStatus.WRONG: N_("reported wrong while packaging.materials_on_site is true: are the right packaging "
                              "materials really on site?"),
    PackagingStatus.MISSING: N_("reported missing while packaging.materials_on_site is true: are all the packaging "
                                "materials really on site?"),
}
_NOT_BESIDE_ITEMS = N_("give either order.items or order.product with order.quantity, not both: the order's "
                       "quantity is the sum of its items")
_PROGRESS_PER_ITEM = N_("an order with items gives each item's progress in order.items; leave out progress")
_ITEM_TWICE = N_("item %(code)s is also order.items.%(first)s: each item is given once")
_UNKNOWN_ITEM = N_("unknown item %(item)s; the order's items: %(known)s")
_SAY_WHAT_IS = {
    PackagingStatus.WRONG: N_("say what is wrong"),
    PackagingStatus.MISSING: N_("say what is missing"),
}


@dataclass
class Parts:
    """The sections of a report that passed their own validation (others are None/absent)."""

    order: Order | None = None
    visit: Visit | None = None
    progress: Progress | None = None
    packaging: Packaging | None = None
    materials: list[tuple[int, Material]] = field(default_factory=list)
    findings: list[tuple[int, Finding]] = field(default_factory=list)

    @classmethod
    def of(cls, report: VisitReport) -> Parts:
        return cls(order=report.order, visit=report.visit, progress=report.progress, packaging=report.packaging,
                   materials=list(enumerate(report.materials)), findings=list(enumerate(report.findings)))

    def item_progress(self) -> Iterator[tuple[str, int, Progress]]:
        """(path, ordered, progress) of each item whose figures passed their validation: the
        report's progress for a product, each entry of order.items for an order with items."""
        if known(self.order, "items") and self.order.items is not None:
            for i, item in enumerate(self.order.items):
                yield f"order.items.{i}", item.quantity, item
        elif known(self.order, "quantity") and self.order.quantity is not None and self.progress is not None:
            yield "progress", self.order.quantity, self.progress

    def ordered(self) -> int | None:
        """The order's quantity, when it is known: the product's or the sum of the items'."""
        if known(self.order, "items") and self.order.items is not None:
            return sum(item.quantity for item in self.order.items)
        return self.order.quantity if known(self.order, "quantity") else None

    def item_codes(self) -> list[str] | None:
        """The codes a finding may name: each item's, or the product's item number. None when
        the order's items or product failed their own validation: a finding's item cannot be
        judged against them, and "the order's items: none" would be false. A field that failed
        is left out of the salvaged order's `model_fields_set` (see reports._salvaged)."""
        given = self.order.model_fields_set if self.order is not None else set()
        if "items" in given and self.order.items is not None:
            return [item.code for item in self.order.items]
        if "product" in given and self.order.product is not None:
            item_number = self.order.product.item_number
            return [item_number] if item_number else []
        return None

    def instructions(self) -> Iterator[tuple[str, Instruction]]:
        """Every proposed instruction with the path of the item it belongs to."""
        for i, material in self.materials:
            if material.instruction:
                yield f"materials.{i}", material.instruction
        for i, finding in self.findings:
            if finding.instruction:
                yield f"findings.{i}", finding.instruction
        if self.packaging:
            for i, check in enumerate(self.packaging.checks):
                if check.instruction:
                    yield f"packaging.checks.{i}", check.instruction


def known(item: object | None, *fields: str) -> bool:
    """Whether `item` exists and each field passed its own validation (see reader._salvaged)."""
    return item is not None and all(name in item.__dict__ for name in fields)


def form_checks(raw: dict) -> Iterator[Problem]:
    """An order is one product (order.product, order.quantity and the report's progress) or
    several items (order.items, each with its own progress), never both: read from the report
    as written, so a field given but invalid still counts as given."""
    order = raw.get("order")
    if not isinstance(order, dict):
        return  # the schema's problem
    if "items" in order:
        for name in ("product", "quantity"):
            if name in order:
                yield Problem(f"order.{name}", Text(_NOT_BESIDE_ITEMS))
        if "progress" in raw:
            yield Problem("progress", Text(_PROGRESS_PER_ITEM))
        return
    for path, given in (("order.product", "product" in order), ("order.quantity", "quantity" in order),
                        ("progress", "progress" in raw)):
        if not given:
            yield Problem(path, Text(REQUIRED))


def cross_checks(parts: Parts, factory_ids: Iterable[str], overrun_pct: float = DEFAULT_OVERRUN_PCT) -> list[Problem]:
    return [
        *_order_checks(parts, set(factory_ids)),
        *_item_checks(parts),
        *_date_checks(parts),
        *_progress_checks(parts, overrun_pct),
        *_finding_checks(parts),
        *_sample_checks(parts),
        *_material_checks(parts),
        *_packaging_checks(parts),
        *_instruction_checks(parts),
    ]


def judgement_warnings(report: VisitReport, overrun_pct: float) -> tuple[Problem, ...]:
    """What the check accepted but doubts about a report's dates, counts and packaging: the
    buyer reads these beside the analysis, as the inspector read them from the check."""
    parts = Parts.of(report)
    found = [*_date_checks(parts), *_progress_checks(parts, overrun_pct), *_packaging_checks(parts)]
    return tuple(p for p in found if p.level is Level.WARNING)


def _order_checks(parts: Parts, factory_ids: set[str]) -> Iterator[Problem]:
    order = parts.order
    if known(order, "factory") and order.factory not in factory_ids:
        message = N_("unknown factory %(factory)s; configured factories: %(configured)s")
        configured = names_or_none(sorted(factory_ids))
        yield Problem("order.factory", Text(message, factory=repr(order.factory), configured=configured))
    for severity in Severity if known(order, "aql") else ():
        try:
            parse_aql(order.aql.for_severity(severity))
        except AqlError as exc:
            yield Problem(f"order.aql.{severity.value}", exc.text)


def _item_checks(parts: Parts) -> Iterator[Problem]:
    """Each item is given once, and a finding names one of the order's items."""
    if known(parts.order, "items") and parts.order.items is not None:
        first: dict[str, int] = {}
        for i, item in enumerate(parts.order.items):
            if item.code in first:
                yield Problem(f"order.items.{i}.code", Text(_ITEM_TWICE, code=repr(item.code), first=str(first[item.code])))
            first.setdefault(item.code, i)
    codes = parts.item_codes()
    for i, finding in parts.findings if codes is not None else ():
        if known(finding, "item") and finding.item is not None and finding.item not in codes:
            text = Text(_UNKNOWN_ITEM, item=repr(finding.item), known=names_or_none(codes))
            yield Problem(f"findings.{i}.item", text)


def _date_checks(parts: Parts) -> Iterator[Problem]:
    order, visit = parts.order, parts.visit
    if known(order, "ex_factory", "final_inspection") and order.ex_factory < order.final_inspection:
        message = N_("ex-factory date %(ex_factory)s is before the final inspection %(final_inspection)s")
        yield Problem(
            "order.ex_factory",
            Text(message, ex_factory=order.ex_factory, final_inspection=order.final_inspection),
        )
    if known(order, "production_start", "final_inspection") and order.production_start is not None:
        if order.production_start >= order.final_inspection:
            message = N_("production start %(production_start)s is not before the final inspection"
                         " %(final_inspection)s")
            yield Problem("order.production_start", Text(message, production_start=order.production_start,
                                                         final_inspection=order.final_inspection))
        elif known(visit, "date") and order.production_start > visit.date:
            message = N_("production start %(production_start)s is after the visit date %(visit_date)s")
            yield Problem("order.production_start", Text(message, production_start=order.production_start,
                                                         visit_date=visit.date))
    if known(order, "final_inspection") and known(visit, "date") and order.final_inspection < visit.date:
        message = N_("the visit on %(visit_date)s is after the planned final inspection %(final_inspection)s: "
                     "accepted, and the order is judged late")
        text = Text(message, final_inspection=order.final_inspection, visit_date=visit.date)
        yield Problem("order.final_inspection", text, Level.WARNING, FINAL_INSPECTION_PASSED)
    if known(order, "ex_factory") and known(visit, "date") and order.ex_factory < visit.date:
        message = N_("the visit on %(visit_date)s is after the ex-factory date %(ex_factory)s")
        text = Text(message, ex_factory=order.ex_factory, visit_date=visit.date)
        yield Problem("order.ex_factory", text, Level.WARNING, EX_FACTORY_PASSED)


def overrun_limit(ordered: int, overrun_pct: float) -> int:
    """The most units a report may say are made: the order and the accepted overrun."""
    return int(Decimal(ordered) * (100 + Decimal(str(overrun_pct))) / 100)


def _progress_checks(parts: Parts, overrun_pct: float) -> Iterator[Problem]:
    """The counts of each item (the product's, or each of order.items) against its order, and
    the lot against the whole order."""
    for path, ordered, progress in parts.item_progress():
        yield from _counts_checks(path, ordered, progress, overrun_pct)
    ordered, visit = parts.ordered(), parts.visit
    if ordered is not None and known(visit, "lot_size") and visit.lot_size is not None:
        if visit.lot_size > overrun_limit(ordered, overrun_pct):
            message = N_("lot size %(lot_size)s exceeds the ordered quantity %(ordered)s")
            yield Problem("visit.lot_size", Text(message, lot_size=f"{visit.lot_size:,}", ordered=f"{ordered:,}"))


def _counts_checks(path: str, ordered: int, progress: Progress, overrun_pct: float) -> Iterator[Problem]:
    """Above the ordered quantity, counted above reported, units unaccounted for: the problems
    of one item's counts, each at its field under `path`."""
    limit = overrun_limit(ordered, overrun_pct)
    overrun = f"{overrun_pct:g}"
    for name, (within, beyond) in _OVER_ORDERED.items():
        if known(progress, name) and (value := getattr(progress, name)) > ordered:
            figures = {"value": f"{value:,}", "ordered": f"{ordered:,}", "overrun": overrun}
            if value <= limit:
                yield Problem(f"{path}.{name}", Text(within, **figures), Level.WARNING, OVER_ORDERED)
            else:
                yield Problem(f"{path}.{name}", Text(beyond, **figures))
    counted_above = known(progress, "counted_complete", "reported_complete") and (
        progress.reported_complete < progress.counted_complete <= ordered)  # above the order: said above
    if counted_above:
        message = N_("counted complete %(counted)s is more than the factory reports (%(reported)s): "
                     "the factory under-reports its progress")
        text = Text(message, counted=f"{progress.counted_complete:,}", reported=f"{progress.reported_complete:,}")
        yield Problem(f"{path}.counted_complete", text, Level.WARNING, COUNTED_ABOVE_REPORTED)
    if not known(progress, "counted_complete", "in_progress", "not_started"):
        return
    accounted = progress.counted_complete + progress.in_progress + progress.not_started
    if accounted > limit:
        message = N_("counted complete + in progress + not started = %(accounted)s, more than the ordered %(ordered)s")
        yield Problem(path, Text(message, accounted=f"{accounted:,}", ordered=f"{ordered:,}"))
    elif accounted < ordered and (progress.in_progress or progress.not_started):
        missing = ordered - accounted
        text = Text.counted(_UNACCOUNTED, missing, accounted=f"{accounted:,}", ordered=f"{ordered:,}",
                            missing=f"{missing:,}")
        yield Problem(path, text, Level.WARNING, UNITS_UNACCOUNTED)


def _finding_checks(parts: Parts) -> Iterator[Problem]:
    ordered = parts.ordered()
    for i, finding in parts.findings:
        if not known(finding, "units_affected", "units_checked"):
            continue
        if finding.units_affected > finding.units_checked:
            message = N_("%(affected)s units affected but only %(checked)s checked")
            text = Text(message, affected=f"{finding.units_affected:,}", checked=f"{finding.units_checked:,}")
            yield Problem(f"findings.{i}.units_affected", text)
        if ordered is not None and finding.units_checked > ordered:
            message = N_("%(checked)s units checked, more than the ordered %(ordered)s")
            text = Text(message, checked=f"{finding.units_checked:,}", ordered=f"{ordered:,}")
            yield Problem(f"findings.{i}.units_checked", text)


def _sample_checks(parts: Parts) -> Iterator[Problem]:
    """The sample drawn holds the defects found in it, and the lot holds the sample."""
    visit = parts.visit
    if not known(visit, "sample_drawn") or not visit.sample_drawn:
        return
    in_sample = [(i, f) for i, f in parts.findings
                 if known(f, "in_sample", "severity", "units_checked", "units_affected") and f.in_sample]
    stated = visit.sample_size if known(visit, "sample_size") else None
    ordered = parts.ordered()
    if stated is not None:
        for i, finding in in_sample:
            beyond_order = ordered is not None and finding.units_checked > ordered  # said in _finding_checks
            if finding.units_checked > stated and not beyond_order:
                text = Text(_MORE_THAN_SAMPLE, checked=f"{finding.units_checked:,}", sample=f"{stated:,}")
                yield Problem(f"findings.{i}.units_checked", text)
    checked = stated if stated is not None else max((f.units_checked for _, f in in_sample), default=None)
    if checked is None:
        return
    yield from _defects_beyond_sample(in_sample, checked)
    yield from _lot_below_sample(parts, checked)


def _defects_beyond_sample(in_sample: list[tuple[int, Finding]], checked: int) -> Iterator[Problem]:
    found: dict[Severity, int] = {}
    for i, finding in in_sample:
        if finding.units_affected > finding.units_checked:
            continue  # said of the finding itself (_finding_checks)
        before = found.get(finding.severity, 0)
        found[finding.severity] = before + finding.units_affected
        if before <= checked < found[finding.severity]:
            text = Text(_DEFECTS_BEYOND_SAMPLE, found=f"{found[finding.severity]:,}",
                        severity=Text(_SEVERITY[finding.severity]), checked=f"{checked:,}")
            yield Problem(f"findings.{i}.units_affected", text)


def _lot_below_sample(parts: Parts, checked: int) -> Iterator[Problem]:
    visit = parts.visit
    counts = list(parts.item_progress())
    known_counts = all(known(progress, "counted_complete") for _, _, progress in counts)
    counted = sum(progress.counted_complete for _, _, progress in counts) if counts and known_counts else None
    if known(visit, "lot_size") and visit.lot_size is not None:
        if visit.lot_size < checked:
            text = Text(_LOT_BELOW_SAMPLE, lot=f"{visit.lot_size:,}", checked=f"{checked:,}")
            yield Problem("visit.lot_size", text)
    elif counted is not None and counted < checked:
        text = Text.counted(_COUNTED_BELOW_SAMPLE, counted, lot=f"{counted:,}", checked=f"{checked:,}")
        yield Problem("visit.lot_size", text)


def _material_checks(parts: Parts) -> Iterator[Problem]:
    for i, material in parts.materials:
        if known(material, "status") and material.status is MaterialStatus.SUBSTITUTED and not material.substitute:
            yield Problem(f"materials.{i}.substitute", Text(N_("say what is used instead of the approved material")))


def _packaging_checks(parts: Parts) -> Iterator[Problem]:
    if not known(parts.packaging, "checks"):
        return
    on_site = known(parts.packaging, "materials_on_site") and parts.packaging.materials_on_site
    for i, check in enumerate(parts.packaging.checks):
        if check.status in _SAY_WHAT_IS and not check.note:
            yield Problem(f"packaging.checks.{i}.note", Text(_SAY_WHAT_IS[check.status]))
        if on_site and check.status in _CONTRADICTS_ON_SITE:
            yield Problem(f"packaging.checks.{i}.status", Text(_CONTRADICTS_ON_SITE[check.status]), Level.WARNING,
                          PACKAGING_CONTRADICTION)


def _instruction_checks(parts: Parts) -> Iterator[Problem]:
    visit, order = parts.visit, parts.order
    for owner, instruction in parts.instructions():
        path = join_path(owner, "instruction")
        kind = catalog.kind_named(instruction.kind)
        if kind is None:
            message = N_("unknown instruction kind %(kind)s; see `followup notice kinds`")
            yield Problem(f"{path}.kind", Text(message, kind=repr(instruction.kind)))
        else:
            for name, text in catalog.check_params(kind, instruction.params).items():
                yield Problem(join_path(path, "params", name), text)
            for name, text in catalog.check_params_zh(kind, instruction.params, instruction.params_zh).items():
                yield Problem(join_path(path, "params_zh", name), text)
        if known(visit, "date") and instruction.due < visit.date:
            message = N_("due date %(due)s is before the visit date %(visit_date)s")
            yield Problem(f"{path}.due", Text(message, due=instruction.due, visit_date=visit.date))
        elif known(order, "ex_factory") and instruction.due > order.ex_factory:
            message = N_("due date %(due)s is after the ex-factory date %(ex_factory)s")
            yield Problem(f"{path}.due", Text(message, due=instruction.due, ex_factory=order.ex_factory), Level.WARNING)
