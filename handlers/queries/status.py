"""Answers to "what's the status of PO-123?" and the portfolio, ordered by what needs
attention first. A status query changes no order, instruction or notice; it may first
store verdicts judged afresh under the current settings (handlers.verdicts.rejudge).

People write order references as they remember them: PO-123, po123 and "po 123" name the
same order, so references are compared by `reference_key` (case and separators dropped).
A factory contact only ever sees its own factory's orders, including in "did you mean".
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from handlers.analysis.analyze import Analysis, analyze
from handlers.analysis.progress import ProgressChart, plan_from, progress_chart
from handlers.chasing import REMINDER
from handlers.context import Settings
from handlers.model import (
    Commitment,
    Factory,
    Instruction,
    InstructionState,
    Notice,
    NoticeState,
    Person,
    Role,
    StoredVisit,
)
from handlers.model.orders import StoredOrder, reference_key
from handlers.model.report import MaterialStatus, PackagingStatus, Severity
from handlers.model.search import Search
from handlers.model.verdicts import ATTENTION_ORDER, JudgedVisit, Option, Status, Verdict
from handlers.sight import may_see_factory, own_factory
from handlers.verdicts import rejudge, verdict_of
from handlers.working_hours import factory_today

MAX_SUGGESTIONS = 3
PAGE_SIZE = 20
NOT_VISITED = "not_visited"  # a listing's status filter: orders no visit was posted for
# An order not visited yet whose final inspection is this near (calendar days) is a risk: two
# weeks is about the last moment a visit can still be booked and its findings corrected before.
UNVISITED_SOON_DAYS = 14


class NextStep(StrEnum):
    """What the person asking should do next about the order, most pressing first.

    A buyer's steps come first in this list, then a factory contact's; when nothing is due
    and the order is not on track, the analysis' first option stands in (its own code).
    """

    DECIDE_DISPUTED = "decide_disputed"
    CHASE_ACKNOWLEDGEMENT = "chase_acknowledgement"
    CHASE_OVERDUE = "chase_overdue"
    DECIDE_COMMITMENT = "decide_commitment"
    DECIDE_PROPOSED = "decide_proposed"
    SEND_NOTICE = "send_notice"
    VERIFY_DONE = "verify_done"
    AWAIT_ACKNOWLEDGEMENT = "await_acknowledgement"
    AWAIT_CORRECTION = "await_correction"
    ACKNOWLEDGE = "acknowledge"
    FINISH_OVERDUE = "finish_overdue"
    REPORT_DONE = "report_done"
    NOTHING = "nothing"


@dataclass(frozen=True, kw_only=True)
class PortfolioLine:
    """An order as the portfolio lists and ranks it: the stored verdict of its latest visit
    (handlers.verdicts) and what its instructions and notices say now, without reading the
    report. `OrderStatus` is the same order answered in full."""

    reference: str
    factory: Factory
    final_inspection: date
    verdict: Verdict
    instructions: tuple[Instruction, ...]
    notices: tuple[Notice, ...]
    now: datetime
    reminders: tuple[tuple[int, int], ...] = ()  # (notice id, reminders sent about it)
    for_factory: bool = False  # asked by a factory contact: the factory's own next step

    @property
    def today(self) -> date:
        """The date at the factory: what overdue is counted against."""
        return factory_today(self.now, self.factory)

    def instruction_counts(self) -> dict[str, int]:
        """How many instructions are in each state, in lifecycle order, zeros left out."""
        counts = {state.value: 0 for state in InstructionState}
        for instruction in self.instructions:
            counts[instruction.state.value] += 1
        return {state: n for state, n in counts.items() if n}

    @property
    def undecided(self) -> int:
        return sum(1 for i in self.instructions if i.is_undecided)

    @property
    def overdue(self) -> tuple[Instruction, ...]:
        """Open at the factory and past the date it is held to, oldest first."""
        today = self.today
        return tuple(sorted((i for i in self.instructions if i.is_overdue(today)), key=lambda i: i.deadline))

    @property
    def disputed_instructions(self) -> tuple[Instruction, ...]:
        return tuple(i for i in self.instructions if i.state is InstructionState.DISPUTED)

    @property
    def disputed(self) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.state is NoticeState.DISPUTED)

    @property
    def awaiting_acknowledgement(self) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.state is NoticeState.SENT)

    @property
    def past_deadline(self) -> tuple[Notice, ...]:
        """Notices still unanswered after their acknowledgement deadline."""
        return tuple(n for n in self.awaiting_acknowledgement if self.is_past_deadline(n))

    def is_past_deadline(self, notice: Notice) -> bool:
        return notice.acknowledge_by is not None and notice.acknowledge_by < self.now

    def waiting(self, notice: Notice) -> timedelta:
        """How long the notice has waited for an answer since it was sent."""
        return self.now - notice.sent.at

    def reminders_about(self, notice: Notice) -> int:
        return dict(self.reminders).get(notice.id, 0)

    @property
    def days_to_final_inspection(self) -> int:
        return (self.final_inspection - self.today).days

    @property
    def next_step(self) -> str:
        """A `NextStep` code, or an analysis `Option` code when only the schedule needs a decision."""
        return self._factory_step() if self.for_factory else self._buyer_step()

    def _buyer_step(self) -> str:
        states = {i.state for i in self.instructions}
        to_do = (
            (self.disputed_instructions, NextStep.DECIDE_DISPUTED),
            (self.past_deadline, NextStep.CHASE_ACKNOWLEDGEMENT),
            (self.overdue, NextStep.CHASE_OVERDUE),
            (any(i.commitment is Commitment.REQUESTED for i in self.instructions), NextStep.DECIDE_COMMITMENT),
            (InstructionState.PROPOSED in states, NextStep.DECIDE_PROPOSED),
            (any(i.is_approved for i in self.instructions), NextStep.SEND_NOTICE),
            (InstructionState.DONE in states, NextStep.VERIFY_DONE),
        )
        waiting = (
            (self.awaiting_acknowledgement, NextStep.AWAIT_ACKNOWLEDGEMENT),
            (any(i.is_open_at_factory for i in self.instructions), NextStep.AWAIT_CORRECTION),
        )
        step = next((step for due, step in to_do if due), None) or self._schedule_option()
        return step or next((step for due, step in waiting if due), NextStep.NOTHING).value

    def _schedule_option(self) -> str | None:
        """While the order is not on track, the first of the analysis' options still open."""
        if self.verdict.status is Status.ON_TRACK:
            return None
        done = {Option.WRITTEN_CORRECTIVE_REQUIREMENTS} if self.notices else set()
        return next((option.value for option in self.verdict.options if option not in done), None)

    def _factory_step(self) -> str:
        steps = (
            (self.awaiting_acknowledgement, NextStep.ACKNOWLEDGE),
            (self.overdue, NextStep.FINISH_OVERDUE),
            (any(i.is_open_at_factory for i in self.instructions), NextStep.REPORT_DONE),
        )
        return next((step.value for due, step in steps if due), NextStep.NOTHING.value)

    def attention(self) -> tuple:
        """Sort key of the portfolio, most urgent first (the definition the store's SQL ranking,
        storage.visits._RANKED, is held to by tests/test_status.py):

        1. late, then at risk, then on track;
        2. more instructions overdue or disputed first;
        3. more notices unacknowledged past their deadline first;
        4. a larger gap between reported and verified progress first;
        5. fewer days to the final inspection first;
        6. the order reference, so equal orders keep one order.
        """
        return (
            ATTENTION_ORDER.index(self.verdict.status),
            -(len(self.overdue) + len(self.disputed_instructions)),
            -len(self.past_deadline),
            -self.verdict.gap_pts,
            self.days_to_final_inspection,
            self.reference,
        )


@dataclass(frozen=True, kw_only=True)
class OrderStatus(PortfolioLine):
    """The whole answer about one order: its latest visit read whole and analysed afresh."""

    visit: StoredVisit
    analysis: Analysis
    production_start: date | None = None  # when the order says production started

    @property
    def planned_pct(self) -> float | None:
        """Where the plan (handlers.analysis.progress.plan_from) had production on the visit
        day, to set against what the inspector counted; None without a production start."""
        plan = plan_from(self.production_start, self.final_inspection)
        return None if plan is None else plan.at(self.visit.report.visit.date)

    def open_findings(self) -> dict[str, int]:
        """Findings of the latest visit not yet closed (verified, rejected or withdrawn), by
        severity, most severe first, zeros left out. A factory contact counts only findings
        whose instruction was sent to the factory: one the buyer rejected is no work of theirs."""
        closed = {InstructionState.VERIFIED, InstructionState.REJECTED, InstructionState.CANCELLED}
        state_of = {i.source: i.state for i in self.instructions}
        counts = {severity.value: 0 for severity in Severity}
        for index, finding in enumerate(self.visit.report.findings):
            source = f"findings.{index}"
            if (source in state_of or not self.for_factory) and state_of.get(source) not in closed:
                counts[finding.severity.value] += 1
        return {severity: n for severity, n in counts.items() if n}

    def materials(self) -> dict[str, int]:
        """The latest visit's materials by status (on site, partial, missing, substituted)."""
        counts = {status.value: 0 for status in MaterialStatus}
        for material in self.visit.report.materials:
            counts[material.status.value] += 1
        return {status: n for status, n in counts.items() if n}

    def packaging(self) -> dict[str, int]:
        """The latest visit's packaging checks by result, problems first."""
        counts = {status.value: 0 for status in (PackagingStatus.WRONG, PackagingStatus.MISSING,
                                                 PackagingStatus.NOT_CHECKED, PackagingStatus.OK)}
        for check in self.visit.report.packaging.checks:
            counts[check.status.value] += 1
        return {status: n for status, n in counts.items() if n}


@dataclass(frozen=True)
class NotVisited:
    """An order known from the buyer's list that no visit has been posted for yet: what the
    order says, and how soon its final inspection is."""

    order: StoredOrder
    factory: Factory
    now: datetime

    @property
    def today(self) -> date:
        return factory_today(self.now, self.factory)

    @property
    def days_to_final_inspection(self) -> int:
        return (self.order.line.final_inspection - self.today).days

    @property
    def reference(self) -> str:
        return self.order.reference

    def attention(self) -> tuple:
        """Sort key beside `PortfolioLine.attention`: nobody has seen production yet, so while
        the final inspection is at most UNVISITED_SOON_DAYS away the order ranks with the at-risk
        ones, otherwise with the on-track ones; nothing overdue, no gap, so by that date."""
        status = Status.AT_RISK if self.days_to_final_inspection <= UNVISITED_SOON_DAYS else Status.ON_TRACK
        return (ATTENTION_ORDER.index(status), 0, 0, -0.0, self.days_to_final_inspection, self.reference)


@dataclass(frozen=True)
class UnknownOrder:
    """No order the person may see is written so. `hidden`: one is, of a factory they may not
    see; they are answered exactly as for an order that does not exist, and the refusal is
    audited (handlers.refusals)."""

    reference: str
    suggestions: tuple[str, ...]
    hidden: bool = False


async def order_status(store, settings: Settings, person: Person, reference: str,
                       now: datetime) -> OrderStatus | NotVisited | UnknownOrder:
    """Reads only the visits of the order asked about; all references only when it is unknown."""
    async with store.unit_of_work() as uow:
        key = reference_key(reference)
        latest = await uow.visits.latest_for_key(key)
        matches = [v for v in latest if _may_see(person, v)]
        if len(matches) == 1:
            return await _status_of(uow, settings, matches[0], person, now)
        order = await uow.orders.get(reference) if not matches else None
        if order is not None and _may_see(person, order):
            return NotVisited(order, settings.factories[order.factory_id], now)
        hidden = not matches and (bool(latest) or order is not None)
        # none, or several written alike (PO-1-23 and PO-12-3)
        visible = [ref for ref, factory_id in await uow.visits.references() if may_see_factory(person, factory_id)]
        visible += [o.reference for o in await uow.orders.all(own_factory(person)) if _may_see(person, o)]
        found = [v.order_reference for v in matches] or _closest(reference, visible)
        return UnknownOrder(reference, tuple(found[:MAX_SUGGESTIONS]), hidden)


@dataclass(frozen=True)
class Filters:
    """What a listing keeps: orders whose reference, product or factory contains `text`, with
    status `status` (a `Status` value, or NOT_VISITED), of the factory `factory_id` (any case)."""

    text: str | None = None
    status: str | None = None
    factory_id: str | None = None

    def __bool__(self) -> bool:
        return any((self.text is not None, self.status, self.factory_id))


@dataclass(frozen=True)
class Page:
    """One page of the portfolio, most urgent first: visited orders (`PortfolioLine`) and those
    not visited yet (`NotVisited`) ranked together."""

    entries: list[PortfolioLine | NotVisited]
    number: int
    pages: int
    total: int
    size: int = PAGE_SIZE

    @property
    def lines(self) -> list[PortfolioLine]:
        return [e for e in self.entries if isinstance(e, PortfolioLine)]

    @property
    def planned(self) -> list[NotVisited]:
        return [e for e in self.entries if isinstance(e, NotVisited)]

    @property
    def offset(self) -> int:
        """How many orders earlier pages hold."""
        return (self.number - 1) * self.size


async def portfolio_page(store, settings: Settings, person: Person, now: datetime, number: int = 1,
                         size: int | None = PAGE_SIZE, filters: Filters = Filters()) -> Page:
    """Page `number` (from 1) of the orders `filters` keep (all of them when `size` is None),
    ranked as `PortfolioLine.attention` and `NotVisited.attention` rank them, by SQL from each
    visit's stored verdict and counts; the page's lines are made from those verdicts too, so no
    report is read."""
    await rejudge(store, settings)
    search = _search(settings, person, now, filters)
    limit, start = (size, (max(1, number) - 1) * size) if size else (-1, 0)
    async with store.unit_of_work() as uow:
        ranked, total = await uow.visits.ranked(search, now, limit, start) if search.todays else ([], 0)
        pages = max(1, -(-total // size)) if size else 1
        if size and start >= size * pages:  # past the last page: the last one
            start = size * (pages - 1)
            ranked, _ = await uow.visits.ranked(search, now, limit, start) if search.todays else ([], 0)
        visit_ids = [i for kind, i in ranked if kind == "visit"]
        judged = await uow.verdicts.judged_visits(visit_ids)
        lines = dict(zip(visit_ids, await _lines_of(uow, settings, [judged[i] for i in visit_ids], person, now)))
        orders = await uow.orders.get_many([i for kind, i in ranked if kind == "order"])
    entries = [lines[i] if kind == "visit" else NotVisited(orders[i], settings.factories[orders[i].factory_id], now)
               for kind, i in ranked]
    return Page(entries, start // size + 1 if size else 1, pages, total, size or max(total, 1))


def _search(settings: Settings, person: Person, now: datetime, filters: Filters) -> Search:
    """The visited and not-visited orders `filters` keep, among those `person` may see."""
    wanted = filters.factory_id.casefold() if filters.factory_id else None
    factories = [f for f in settings.factories.values() if may_see_factory(person, f.id)
                 and (wanted is None or f.id.casefold() == wanted)]
    text = None if filters.text is None else reference_key(filters.text)
    named = tuple(f.id for f in factories
                  if text and any(text in reference_key(name) for name in (f.id, f.name, f.name_zh)))
    visited = filters.status != NOT_VISITED
    todays = {f.id: factory_today(now, f).isoformat() for f in factories}
    planned = tuple(f.id for f in factories) if filters.status in (None, NOT_VISITED) else ()
    return Search(todays, filters.status if visited else None, text, named, planned, visited, UNVISITED_SOON_DAYS)


async def order_chart(store, settings: Settings, reference: str) -> ProgressChart | None:
    """The progress chart of an order (its reference written any way, as in a status question)
    from every stored visit and, when the order says, the day its production started; None when
    no visit of it is stored, or when several orders are written alike."""
    async with store.unit_of_work() as uow:
        latest = await uow.visits.latest_for_key(reference_key(reference))
        if len(latest) != 1:
            return None
        visits = await uow.visits.for_order(latest[0].order_reference)
        order = await uow.orders.get(latest[0].order_reference)
    production_start = None if order is None else order.line.production_start
    return progress_chart(visits, settings.factories[visits[0].factory_id], settings.thresholds, production_start)


async def _status_of(uow, settings: Settings, visit: StoredVisit, person: Person, now: datetime) -> OrderStatus:
    """The whole status of the visit's order, the report analysed afresh."""
    activity = await _activity_of(uow, [visit.id], person)
    order = await uow.orders.get(visit.order_reference)
    factory = settings.factories[visit.factory_id]
    analysis = analyze(visit.report, factory, settings.thresholds)
    return OrderStatus(
        visit=visit, analysis=analysis, reference=visit.order_reference, factory=factory,
        final_inspection=visit.report.order.final_inspection, verdict=verdict_of(analysis), now=now,
        production_start=None if order is None else order.line.production_start, **activity[visit.id],
    )


async def _lines_of(uow, settings: Settings, visits: list[JudgedVisit], person: Person,
                    now: datetime) -> list[PortfolioLine]:
    """Each visit's order as a listing shows it, from its stored verdict."""
    activity = await _activity_of(uow, [v.id for v in visits], person)
    return [PortfolioLine(reference=v.order_reference, factory=settings.factories[v.factory_id],
                          final_inspection=v.final_inspection, verdict=v.verdict, now=now, **activity[v.id])
            for v in visits]


async def _activity_of(uow, visit_ids: list[int], person: Person) -> dict[int, dict]:
    """What each visit's instructions and notices say now, as `PortfolioLine` fields: one query
    each for a whole page (not four per order)."""
    instructions = await uow.instructions.for_visits(visit_ids)
    notices = await uow.notices.for_visits(visit_ids)
    reminded = await uow.follow_ups.counts([n.id for ns in notices.values() for n in ns], REMINDER)
    for_factory = person.role is Role.FACTORY
    activity = {}
    for visit_id in visit_ids:
        shown = instructions[visit_id]
        if for_factory:
            # The buyer's deliberation is not the factory's business: only what was sent to it.
            shown = [i for i in shown if i.notice_id is not None]
        activity[visit_id] = {
            "instructions": tuple(shown),
            "notices": tuple(notices[visit_id]),
            "reminders": tuple((n.id, reminded[n.id]) for n in notices[visit_id]),
            "for_factory": for_factory,
        }
    return activity


def _may_see(person: Person, visit: StoredVisit | StoredOrder) -> bool:
    return may_see_factory(person, visit.factory_id)


def _closest(reference: str, references: list[str]) -> list[str]:
    """Visible references that contain what was typed, then those that look like it."""
    key = reference_key(reference)
    by_key = {reference_key(r): r for r in references}
    containing = [r for k, r in sorted(by_key.items()) if key and key in k]
    close = difflib.get_close_matches(key, list(by_key), n=MAX_SUGGESTIONS, cutoff=0.5)
    return list(dict.fromkeys(containing + [by_key[c] for c in close]))
