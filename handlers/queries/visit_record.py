"""The buyer's record of one visit: what a visit report PDF shows to colleagues who are not in
the chat. The visit as analysed, every finding, material and packaging check with what was
decided on it and by whom, the notices sent with their answers, and the order's progress as
the chart draws it up to that visit.

It is the buyer side's view (handlers.rights.BUYER_SIDE): it holds the buyer's deliberation
(rejected findings, who decided what), which is not a factory's business. Read only: making
the record changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from handlers.analysis.analyze import Analysis, analyze
from handlers.analysis.progress import ProgressChart, progress_chart
from handlers.context import Settings
from handlers.model import Factory, Notice, Platform, StoredVisit
from handlers.model.orders import reference_key
from handlers.views import Item, label_of

# The steps a record tells of, in the words of their state after (messages/wording.py); the
# others (a reminder asked for, links revoked) are chasing, told by `followup notices`.
INSTRUCTION_STEPS = frozenset({"approve", "edit", "reject", "send", "acknowledge", "dispute", "report_done",
                               "verify", "reopen", "cancel"})
NOTICE_STEPS = frozenset({"send", "revise", "acknowledge", "dispute", "extend", "cancel"})
# The steps that give a reason of their own, by entity: an instruction keeps its last reason in
# the steps after it, and a dispute's reason is the notice's.
REASONED = {"instruction": frozenset({"reject", "reopen"}), "notice": frozenset({"dispute"})}


@dataclass(frozen=True)
class Step:
    """One thing done to an instruction or a notice: what (its audit action), the state it led
    to, by whom, when, from where, and the reason given (a rejection, a dispute, a reopen)."""

    action: str
    state: str | None
    by: str
    at: datetime
    platform: Platform
    reason: str | None = None


@dataclass(frozen=True)
class ItemRecord:
    """A finding, material or packaging check with its instruction's history, oldest first."""

    item: Item
    steps: tuple[Step, ...]

    @property
    def photos(self) -> tuple[str, ...]:
        return tuple(self.item.item.photos)


@dataclass(frozen=True)
class NoticeRecord:
    """A notice as it stands, its steps (sent, revised, answered, extended, withdrawn) and the
    labels of the items its current version carries."""

    notice: Notice
    steps: tuple[Step, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class VisitRecord:
    visit: StoredVisit
    factory: Factory
    analysis: Analysis
    items: tuple[ItemRecord, ...]
    notices: tuple[NoticeRecord, ...]
    chart: ProgressChart  # the order's visits up to this one
    visit_dates: tuple[date, ...]  # every visit of the order, oldest first
    made_at: datetime

    @property
    def file_name(self) -> str:
        """A name a buyer can forward as is: the reference (which may hold a slash) and the date."""
        safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in self.visit.order_reference)
        return f"{safe}-visit-{self.visit.report.visit.date.isoformat()}.pdf"


@dataclass(frozen=True)
class NoSuchVisit:
    """The order has visits, none on the date asked for: the dates it has."""

    reference: str
    asked: date
    dates: tuple[date, ...]


async def find_visit(uow, reference: str, on: date | None) -> StoredVisit | NoSuchVisit | None:
    """The order's visit on `on` (the latest that day), or its latest; None for an order
    without stored visits (or several orders written alike). The caller checks rights."""
    latest = await uow.visits.latest_for_key(reference_key(reference))
    if len(latest) != 1:
        return None
    visits = await uow.visits.for_order(latest[0].order_reference)
    if on is None:
        return visits[-1]
    chosen = [v for v in visits if v.report.visit.date == on]
    if not chosen:
        return NoSuchVisit(latest[0].order_reference, on, tuple(v.report.visit.date for v in visits))
    return chosen[-1]


async def visit_record(uow, settings: Settings, visit: StoredVisit, now: datetime) -> VisitRecord:
    factory = settings.factories[visit.factory_id]
    instructions = {i.source: i for i in await uow.instructions.for_visit(visit.id)}
    report = visit.report
    sources = ([f"findings.{i}" for i in range(len(report.findings))]
               + [f"materials.{i}" for i in range(len(report.materials))]
               + [f"packaging.checks.{i}" for i in range(len(report.packaging.checks))])
    items = []
    for source in sources:
        instruction = instructions.get(source)
        steps = await _steps(uow, "instruction", instruction.id, INSTRUCTION_STEPS) if instruction else ()
        items.append(ItemRecord(Item(source, label_of(source), report.item(source), instruction), steps))
    labels = {i.id: label_of(i.source) for i in instructions.values()}
    notices = tuple([
        NoticeRecord(n, await _steps(uow, "notice", n.id, NOTICE_STEPS),
                     tuple(labels[i] for i in n.instruction_ids if i in labels))
        for n in await uow.notices.for_visit(visit.id)
    ])
    visits = await uow.visits.for_order(visit.order_reference)
    upto = [v for v in visits if v.id <= visit.id]
    order = await uow.orders.get(visit.order_reference)
    start = None if order is None else order.line.production_start
    return VisitRecord(
        visit, factory, analyze(report, factory, settings.thresholds), tuple(items), notices,
        progress_chart(upto, factory, settings.thresholds, start), tuple(v.report.visit.date for v in visits), now,
    )


async def _steps(uow, entity: str, entity_id: int, told: frozenset[str]) -> tuple[Step, ...]:
    events = await uow.audit.for_entity(entity, entity_id)
    return tuple(
        Step(e.action, e.after.get("state"), e.actor, e.at, e.platform,
             e.after.get("reason") if e.action in REASONED[entity] else None)
        for e in events if e.action in told
    )
