"""The buyer's record of one visit: what a visit report PDF shows to colleagues who are not in
the chat. The visit as analysed, every finding, material and packaging check with what was
decided on it and by whom, the notices sent with their answers, and the order's progress as
the chart draws it up to that visit.

It is the buyer side's view (handlers.sight.BUYER_SIDE): it holds the buyer's deliberation
(rejected findings, who decided what), which is not a factory's business. Read only: making
the record changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from handlers.analysis.analyze import Analysis, analyze
from handlers.analysis.progress import ProgressChart, progress_chart
from handlers.context import Settings
from handlers.model import EvidenceRound, Factory, Notice, StoredVisit
from handlers.model.orders import reference_key
from handlers.text import file_safe
from handlers.views import Item, label_of

# The steps a record tells of: the instruction's moves, in the words of their state after
# (messages/wording.py), and the factory's answers that are no move: more photos of the
# correction, a completion date committed and the buyer's word on it. The others (a reminder
# asked for, links revoked) are chasing, told by `followup notices`.
INSTRUCTION_STEPS = frozenset({"approve", "edit", "reject", "send", "acknowledge", "dispute", "report_done",
                               "verify", "reopen", "cancel", "add_evidence", "commitment_commit",
                               "commitment_accepted", "commitment_declined"})
NOTICE_STEPS = frozenset({"send", "revise", "acknowledge", "dispute", "extend", "cancel"})
# The steps that give a reason of their own, by entity: an instruction keeps its last reason in
# the steps after it, and a dispute's reason is the notice's.
REASONED = {"instruction": frozenset({"reject", "reopen"}), "notice": frozenset({"dispute"})}


@dataclass(frozen=True)
class Step:
    """One thing done to an instruction or a notice: what (its audit action), the state it led
    to, by whom, when, and the reason given (a rejection, a dispute, a reopen). A commitment
    step holds the completion date and what became of it, an extension the new deadline."""

    action: str
    state: str | None
    by: str
    at: datetime
    reason: str | None = None
    committed: date | None = None
    commitment: str | None = None  # messages/wording.py COMMITMENT
    deadline: datetime | None = None


@dataclass(frozen=True)
class ItemRecord:
    """A finding, material or packaging check with its instruction's history, oldest first,
    and the photos the factory sent of its correction, done report by done report."""

    item: Item
    steps: tuple[Step, ...]
    corrections: tuple[EvidenceRound, ...] = ()

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
        return f"{file_safe(self.visit.order_reference)}-visit-{self.visit.report.visit.date.isoformat()}.pdf"


@dataclass(frozen=True)
class NoSuchVisit:
    """The order has visits, none on the date asked for: the dates it has."""

    reference: str
    asked: date
    dates: tuple[date, ...]


@dataclass(frozen=True)
class SeveralOrders:
    """The reference, written without case or separators, is that of several orders with
    visits (PO-1-23 and PO-12-3): their references, for the asker to choose."""

    asked: str
    references: tuple[str, ...]


async def find_visit(uow, reference: str, on: date | None) -> StoredVisit | NoSuchVisit | SeveralOrders | None:
    """The order's visit on `on` (the latest that day), or its latest; None for an order
    without stored visits. Of several orders written alike, the one written exactly so. The
    caller checks rights."""
    latest = await uow.visits.latest_for_key(reference_key(reference))
    latest = [v for v in latest if v.order_reference == reference.strip()] or latest
    if len(latest) > 1:
        return SeveralOrders(reference, tuple(v.order_reference for v in latest))
    if not latest:
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
        corrections = await uow.evidence.rounds(instruction.id) if instruction else ()
        items.append(ItemRecord(Item(source, label_of(source), report.item(source), instruction), steps,
                                corrections))
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
        Step(e.action, e.after.get("state"), e.actor, e.at,
             reason=e.after.get("reason") if e.action in REASONED[entity] else None,
             committed=_day(e.after.get("committed")), commitment=e.after.get("commitment"),
             deadline=_moment(e.after.get("acknowledge_by")) if e.action == "extend" else None)
        for e in events if e.action in told
    )


def _day(iso: str | None) -> date | None:
    return None if iso is None else date.fromisoformat(iso)


def _moment(iso: str | None) -> datetime | None:
    return None if iso is None else datetime.fromisoformat(iso)
