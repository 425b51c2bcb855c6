"""Rules that span several fields of a report, each problem tied to the field it is about.

They run on whatever sections of the report are individually valid, so one round of
`followup visit check` lists as many problems as can be known at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from handlers import catalog
from handlers.analysis.aql import AqlError, parse_aql
from handlers.reports.problems import Level, Problem, join_path
from handlers.reports.schema import (
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
)


@dataclass
class Parts:
    """The sections of a report that passed their own validation (others are None/absent)."""

    order: Order | None = None
    visit: Visit | None = None
    progress: Progress | None = None
    packaging: Packaging | None = None
    materials: list[tuple[int, Material]] = field(default_factory=list)
    findings: list[tuple[int, Finding]] = field(default_factory=list)

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


def cross_checks(parts: Parts, factory_ids: Iterable[str]) -> list[Problem]:
    return [
        *_order_checks(parts, set(factory_ids)),
        *_date_checks(parts),
        *_progress_checks(parts),
        *_finding_checks(parts),
        *_material_checks(parts),
        *_packaging_checks(parts),
        *_instruction_checks(parts),
    ]


def _order_checks(parts: Parts, factory_ids: set[str]) -> Iterator[Problem]:
    order = parts.order
    if known(order, "factory") and order.factory not in factory_ids:
        configured = ", ".join(sorted(factory_ids)) or "none"
        yield Problem("order.factory", f"unknown factory {order.factory!r}; configured factories: {configured}")
    for severity in Severity if known(order, "aql") else ():
        try:
            parse_aql(order.aql.for_severity(severity))
        except AqlError as exc:
            yield Problem(f"order.aql.{severity.value}", str(exc))


def _date_checks(parts: Parts) -> Iterator[Problem]:
    order, visit = parts.order, parts.visit
    if known(order, "ex_factory", "final_inspection") and order.ex_factory < order.final_inspection:
        yield Problem(
            "order.ex_factory",
            f"ex-factory date {order.ex_factory} is before the final inspection {order.final_inspection}",
        )
    if known(order, "final_inspection") and known(visit, "date") and order.final_inspection < visit.date:
        yield Problem(
            "order.final_inspection",
            f"final inspection {order.final_inspection} is before the visit date {visit.date}",
        )


def _progress_checks(parts: Parts) -> Iterator[Problem]:
    order, progress, visit = parts.order, parts.progress, parts.visit
    if not known(order, "quantity") or progress is None:
        return
    ordered = order.quantity
    for name in ("reported_complete", "counted_complete"):
        if known(progress, name) and (value := getattr(progress, name)) > ordered:
            label = name.replace("_", " ")
            yield Problem(f"progress.{name}", f"{label} {value:,} exceeds the ordered quantity {ordered:,}")
    if not known(progress, "counted_complete", "in_progress", "not_started"):
        return
    accounted = progress.counted_complete + progress.in_progress + progress.not_started
    if accounted > ordered:
        yield Problem(
            "progress",
            f"counted complete + in progress + not started = {accounted:,}, more than the ordered {ordered:,}",
        )
    elif accounted < ordered and (progress.in_progress or progress.not_started):
        yield Problem(
            "progress",
            f"counted complete + in progress + not started = {accounted:,} of {ordered:,} ordered; "
            f"{ordered - accounted:,} units are unaccounted for",
            Level.WARNING,
        )
    if known(visit, "lot_size") and visit.lot_size is not None and visit.lot_size > ordered:
        yield Problem("visit.lot_size", f"lot size {visit.lot_size:,} exceeds the ordered quantity {ordered:,}")


def _finding_checks(parts: Parts) -> Iterator[Problem]:
    ordered = parts.order.quantity if known(parts.order, "quantity") else None
    for i, finding in parts.findings:
        if not known(finding, "units_affected", "units_checked"):
            continue
        if finding.units_affected > finding.units_checked:
            yield Problem(
                f"findings.{i}.units_affected",
                f"{finding.units_affected:,} units affected but only {finding.units_checked:,} checked",
            )
        if ordered is not None and finding.units_checked > ordered:
            yield Problem(
                f"findings.{i}.units_checked",
                f"{finding.units_checked:,} units checked, more than the ordered {ordered:,}",
            )


def _material_checks(parts: Parts) -> Iterator[Problem]:
    for i, material in parts.materials:
        if known(material, "status") and material.status is MaterialStatus.SUBSTITUTED and not material.substitute:
            yield Problem(f"materials.{i}.substitute", "say what is used instead of the approved material")


def _packaging_checks(parts: Parts) -> Iterator[Problem]:
    if not known(parts.packaging, "checks"):
        return
    for i, check in enumerate(parts.packaging.checks):
        if check.status in (PackagingStatus.WRONG, PackagingStatus.MISSING) and not check.note:
            yield Problem(f"packaging.checks.{i}.note", f"say what is {check.status.value}")


def _instruction_checks(parts: Parts) -> Iterator[Problem]:
    visit, order = parts.visit, parts.order
    for owner, instruction in parts.instructions():
        path = join_path(owner, "instruction")
        kind = catalog.kind_named(instruction.kind)
        if kind is None:
            yield Problem(f"{path}.kind", f"unknown instruction kind {instruction.kind!r}; see `followup notice kinds`")
        else:
            for name, message in catalog.check_params(kind, instruction.params).items():
                yield Problem(join_path(path, "params", name), message)
            for name, message in catalog.check_params_zh(kind, instruction.params, instruction.params_zh).items():
                yield Problem(join_path(path, "params_zh", name), message)
        if known(visit, "date") and instruction.due < visit.date:
            yield Problem(f"{path}.due", f"due date {instruction.due} is before the visit date {visit.date}")
        elif known(order, "ex_factory") and instruction.due > order.ex_factory:
            yield Problem(
                f"{path}.due",
                f"due date {instruction.due} is after the ex-factory date {order.ex_factory}",
                Level.WARNING,
            )
