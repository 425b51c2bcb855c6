"""How each factory is doing across its orders, and which orders warrant a follow-up visit.

The product brief names who needs a visit: a first order with the factory, a large or high-value
order, a tight window between production and ex-factory, complex packaging, and a factory with a
history of trouble. The history is the per-factory summary itself: late orders, the average gap
between reported and verified progress, overdue instructions. Thresholds are the [analysis]
ones (`handlers.model.Thresholds`):

- large / high value: quantity (value) in the top `top_share_pct` % of the orders compared, when
  there are at least ten of them, or at least `large_quantity` (`high_value`, in the order's
  currency);
- tight window: fewer than `tight_window_days` working days at the factory from the projected
  completion (an order not visited yet: its final inspection) to ex-factory;
- factory history: an average gap of at least `gap_pts_at_risk`, a late order, or an overdue
  instruction.

Changes nothing but the stored verdicts it may first judge afresh (handlers.verdicts.rejudge).
A factory contact sees its own factory only, and its orders are compared only with
each other. Orders are judged by their latest visit's stored verdict (handlers.verdicts), kept
current with the configured factories and thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from handlers.context import Settings
from handlers.model import Factory, Person, Role
from handlers.model.tallies import NoticeTally, OrderFacts, VisitTally, Weighing
from handlers.sight import may_see_factory, own_factory
from handlers.translatable import N_, Nn_, Text
from handlers.verdicts import rejudge
from handlers.working_hours import factory_today

MIN_ORDERS_FOR_SHARE = 10
MAX_RECOMMENDATIONS = 10
MAX_FACTORIES_SHOWN = 10
Cut = TypeVar("Cut", int, Decimal)  # a quantity or a value

FIRST_ORDER = N_("first order with this factory")
LARGE = N_("large order: %(quantity)s units")
HIGH_VALUE = N_("high value: %(value)s %(currency)s")
TIGHT_WINDOW = Nn_("tight window: %(num)s working day to ex-factory",
                   "tight window: %(num)s working days to ex-factory")
COMPLEX_PACKAGING = N_("complex packaging")
HISTORY = N_("factory history: %(late)s late, %(overdue)s overdue, average gap %(gap)s pts")


class Criterion(StrEnum):
    """Why an order warrants a follow-up visit, as the brief names the reasons."""

    FIRST_ORDER = "first_order"
    LARGE = "large"
    HIGH_VALUE = "high_value"
    TIGHT_WINDOW = "tight_window"
    COMPLEX_PACKAGING = "complex_packaging"
    FACTORY_HISTORY = "factory_history"


@dataclass(frozen=True)
class FactorySummary:
    factory: Factory
    orders: int
    visited: int
    late: int
    at_risk: int
    average_gap_pts: float | None  # over each visited order's latest visit
    open_instructions: int  # sent to the factory and not reported done
    overdue_instructions: int
    disputed_notices: int
    awaiting_acknowledgement: int
    past_deadline: int
    average_acknowledgement_hours: float | None  # sent → acknowledged, over acknowledged notices

    @property
    def not_visited(self) -> int:
        return self.orders - self.visited

    def troubled(self, gap_pts_at_risk: float) -> bool:
        """A history the brief says warrants follow-up visits."""
        gap = self.average_gap_pts is not None and self.average_gap_pts >= gap_pts_at_risk
        return gap or self.late > 0 or self.overdue_instructions > 0


@dataclass(frozen=True)
class Recommendation:
    reference: str
    factory: Factory
    reasons: tuple[Text, ...]
    days_to_final_inspection: int
    criteria: tuple[Criterion, ...] = ()  # one per reason, in the same order


@dataclass(frozen=True)
class FactoryReport:
    factories: list[FactorySummary]  # the most troubled first (`trouble`)
    recommendations: list[Recommendation]  # most reasons first, the first MAX_RECOMMENDATIONS
    recommended: int  # how many orders warrant a visit in all
    # How many orders each criterion flags, in Criterion's order: a criterion that flags most
    # orders says more about its threshold than about the orders.
    flagged: dict[Criterion, int] = field(default_factory=dict)
    for_factory: bool = False  # asked by a factory contact: its own figures, no buyer's judgement

    @property
    def shown_factories(self) -> list[FactorySummary]:
        """What a chat message shows: a buyer with 200 factories reads the ten in most trouble
        and how many more there are, not 600 lines."""
        return self.factories[:MAX_FACTORIES_SHOWN]


def trouble(summary: FactorySummary) -> tuple:
    """Sort key of the factories, most troubled first: more late orders, more overdue
    instructions, more notices unanswered past their deadline, more orders at risk, a larger
    average gap; then by name."""
    return (-summary.late, -summary.overdue_instructions, -summary.past_deadline, -summary.at_risk,
            -(summary.average_gap_pts or 0.0), summary.factory.name)


async def factory_report(store, settings: Settings, person: Person, now: datetime) -> FactoryReport:
    """From figures the store counts per factory and the few most pressing orders it picks:
    no report, verdict, notice or order is read as a whole, so 10,000 orders are summed up in
    tens of ms."""
    await rejudge(store, settings)
    factories = [f for f in settings.factories.values() if may_see_factory(person, f.id)]
    todays = {f.id: factory_today(now, f) for f in factories}
    own = own_factory(person)
    async with store.unit_of_work() as uow:
        visits = await uow.verdicts.tallies(own)
        work = await uow.instructions.open_at_factories({f: day.isoformat() for f, day in todays.items()})
        ordered = await uow.order_criteria.counts(list(todays))
        notices = await uow.notices.tallies(now, own)
        summaries = [_summary(f, visits.get(f.id), ordered.get(f.id, (0, 0))[0], notices.get(f.id),
                              work.get(f.id, (0, 0))) for f in factories]
        summaries = sorted((s for s in summaries if s.orders or s.awaiting_acknowledgement
                            or s.average_acknowledgement_hours), key=trouble)
        if person.role is Role.FACTORY:  # which orders to visit, and its "history", are the buyer's judgement
            return FactoryReport(summaries, [], 0, for_factory=True)
        weighing = await _weighing(uow, settings, summaries, todays, ordered)
        masks, candidates = await uow.order_criteria.flagged(weighing, MAX_RECOMMENDATIONS)
    found = {_COMBINATIONS[mask]: orders for mask, orders in masks.items()}
    flagged = {c: sum(n for criteria, n in found.items() if c in criteria) for c in Criterion}
    shown = [_recommendation(settings, order, _COMBINATIONS[mask], summaries, todays)
             for order, mask in _most_pressing(candidates, todays)]
    return FactoryReport(summaries, shown, sum(found.values()), flagged)


_NO_VISITS = VisitTally(0, 0, 0, None, 0)
_NO_NOTICES = NoticeTally(0, 0, 0, None)


def _summary(factory: Factory, visits: VisitTally | None, ordered: int, notices: NoticeTally | None,
             work: tuple[int, int]) -> FactorySummary:
    """`ordered`: the factory's imported orders; `work`: instructions open at the factory and
    overdue, over its orders' latest visits."""
    visits, notices = visits or _NO_VISITS, notices or _NO_NOTICES
    return FactorySummary(
        factory=factory,
        orders=ordered + visits.without_order,
        visited=visits.visited,
        late=visits.late,
        at_risk=visits.at_risk,
        average_gap_pts=visits.average_gap_pts,
        open_instructions=work[0],
        overdue_instructions=work[1],
        disputed_notices=notices.disputed,
        awaiting_acknowledgement=notices.awaiting,
        past_deadline=notices.past_deadline,
        average_acknowledgement_hours=notices.average_acknowledgement_hours,
    )


async def _weighing(uow, settings: Settings, summaries: list[FactorySummary], todays: dict[str, date],
                    ordered: dict[str, tuple[int, int]]) -> Weighing:
    """The brief's criteria as thresholds the store applies to every order of `todays`'
    factories (`ordered`: how many orders each has, and how many with a unit value)."""
    thresholds, compared = settings.thresholds, list(todays)
    criteria = uow.order_criteria
    large = await _cut(settings, sum(n for n, _ in ordered.values()),
                       lambda rank: criteria.largest_quantity(compared, rank), thresholds.large_quantity)
    valuable = await _cut(settings, sum(n for _, n in ordered.values()),
                          lambda rank: criteria.largest_value(compared, rank),
                          None if thresholds.high_value is None else Decimal(str(thresholds.high_value)))
    calendars, kept_by = _calendars([settings.factories[f] for f in compared])
    enough = thresholds.tight_window_days
    ends = await criteria.production_ends(calendars) if enough > 0 else set()
    return Weighing(todays, calendars, large, valuable,
                    {(calendar, end): _reach(end, kept_by[calendar], enough) for calendar, end in ends}, enough,
                    frozenset(s.factory.id for s in summaries if s.troubled(thresholds.gap_pts_at_risk)))


# Every set of criteria, in Criterion's order, by bit mask (bit n: the n-th criterion), as the
# store counts them (storage.order_criteria).
_COMBINATIONS = tuple(tuple(c for n, c in enumerate(Criterion) if mask >> n & 1) for mask in range(1 << len(Criterion)))


def _most_pressing(candidates: list[tuple[OrderFacts, int]], todays: dict[str, date]) -> list[tuple[OrderFacts, int]]:
    """The first MAX_RECOMMENDATIONS: most reasons, then the soonest final inspection."""
    return sorted(candidates, key=lambda c: (-len(_COMBINATIONS[c[1]]), (c[0].final_inspection - todays[c[0].factory_id]).days,
                                             c[0].reference))[:MAX_RECOMMENDATIONS]


def _calendars(factories: list[Factory]) -> tuple[dict[str, int], dict[int, Factory]]:
    """Each factory's working calendar as a small number, and a factory keeping each: windows
    are worked out once per calendar and production end (a few hundred), not once per order.
    Factories mostly share calendars."""
    numbers: dict[tuple, int] = {}
    calendars = {f.id: numbers.setdefault((f.working_days, f.holidays), len(numbers)) for f in factories}
    return calendars, {calendars[f.id]: f for f in factories}


def _reach(start: date, factory: Factory, enough: int) -> date:
    """The day the `enough`-th working day after `start` falls on."""
    days, day = 0, start
    while days < enough:
        day += timedelta(days=1)
        days += factory.is_working_day(day)
    return day


def _production_end(order: OrderFacts) -> date | None:
    """When production ends: as the latest visit projects it, or the final inspection before one."""
    return order.projected_completion if order.visited else order.final_inspection


def _recommendation(settings: Settings, order: OrderFacts, criteria: tuple[Criterion, ...],
                    summaries: list[FactorySummary], todays: dict[str, date]) -> Recommendation:
    """The order's recommendation with each criterion in words."""
    factory = settings.factories[order.factory_id]
    summary = next(s for s in summaries if s.factory.id == factory.id)
    thresholds = settings.thresholds
    start = _production_end(order)
    reasons = {
        Criterion.FIRST_ORDER: lambda: Text(FIRST_ORDER),
        Criterion.LARGE: lambda: Text(LARGE, quantity=f"{order.quantity:,}"),
        Criterion.HIGH_VALUE: lambda: Text(HIGH_VALUE, value=f"{order.value:,.2f}", currency=order.currency or ""),
        Criterion.TIGHT_WINDOW: lambda: Text.counted(
            TIGHT_WINDOW, days := _window(start, order.ex_factory, factory, thresholds.tight_window_days), num=days),
        Criterion.COMPLEX_PACKAGING: lambda: Text(COMPLEX_PACKAGING),
        Criterion.FACTORY_HISTORY: lambda: Text(HISTORY, late=summary.late, overdue=summary.overdue_instructions,
                                                gap=f"{summary.average_gap_pts or 0.0:.1f}"),
    }
    return Recommendation(order.reference, factory, tuple(reasons[c]() for c in criteria),
                          (order.final_inspection - todays[factory.id]).days, criteria)


def _window(start: date | None, ex_factory: date, factory: Factory, enough: int) -> int:
    """Working days at the factory after production ends (`start`) and up to ex-factory (none:
    0), counted up to `enough`: a window that long is not tight, however much longer it is."""
    if start is None:
        return 0
    days, day = 0, start
    while day < ex_factory and days < enough:
        day += timedelta(days=1)
        days += factory.is_working_day(day)
    return days


async def _cut(settings: Settings, count: int, largest: Callable[[int], Awaitable[Cut | None]],
               floor: Cut | None) -> Cut | None:
    """The smallest value counted large: the top share's lowest, or `floor`, whichever is lower.
    `largest(rank)` is the rank-th largest of the `count` values compared (0: the largest; None:
    fewer are left by now)."""
    cuts = []
    if count >= MIN_ORDERS_FOR_SHARE:
        share = await largest(max(1, math.ceil(count * settings.thresholds.top_share_pct / 100)) - 1)
        if share is not None:
            cuts.append(share)
    if floor is not None:
        cuts.append(floor)
    return min(cuts) if cuts else None
