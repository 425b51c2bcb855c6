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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from handlers.context import Settings
from handlers.model import Factory, NoticeState, Person, Role
from handlers.model.orders import PackagingComplexity, StoredOrder, reference_key
from handlers.model.verdicts import JudgedVisit, Status
from handlers.sight import may_see_factory, own_factory
from handlers.translatable import N_, Nn_, Text
from handlers.verdicts import rejudge
from handlers.working_hours import factory_today

MIN_ORDERS_FOR_SHARE = 10
MAX_RECOMMENDATIONS = 10
MAX_FACTORIES_SHOWN = 10

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
    """From each order's stored verdict and counts the store makes: no report is read, so the
    summary of 10,000 orders takes about half a second, not the ten analysing each would."""
    await rejudge(store, settings)
    factories = [f for f in settings.factories.values() if may_see_factory(person, f.id)]
    todays = {f.id: factory_today(now, f).isoformat() for f in factories}
    async with store.unit_of_work() as uow:
        visits = await uow.verdicts.latest_judged(list(todays))
        work = await uow.instructions.open_at_factories(todays)
        orders = [o for o in await uow.orders.all(own_factory(person)) if o.factory_id in todays]
        notices = await uow.notices.for_factories(list(todays))
    visits_of, orders_of = _by_factory(visits), _by_factory(orders)
    summaries = [_summary(f, visits_of.get(f.id, []), orders_of.get(f.id, []), notices[f.id],
                          work.get(f.id, (0, 0)), now) for f in factories]
    summaries = sorted((s for s in summaries if s.orders or s.awaiting_acknowledgement
                        or s.average_acknowledgement_hours), key=trouble)
    if person.role is Role.FACTORY:  # which orders to visit, and its "history", are the buyer's judgement
        return FactoryReport(summaries, [], 0, for_factory=True)
    ranked = _recommend(settings, summaries, visits, orders, now)
    flagged = {c: sum(c in r.criteria for r in ranked) for c in Criterion}
    return FactoryReport(summaries, ranked[:MAX_RECOMMENDATIONS], len(ranked), flagged)


def _by_factory(items: list[JudgedVisit] | list[StoredOrder]) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for item in items:
        grouped.setdefault(item.factory_id, []).append(item)
    return grouped


def _summary(factory: Factory, own: list[JudgedVisit], orders: list[StoredOrder], notices, work: tuple[int, int],
             now: datetime) -> FactorySummary:
    """`own`: the latest visit of each of the factory's visited orders; `work`: instructions
    open at the factory and overdue, over those visits."""
    acknowledged = [(n.answered.at - n.sent.at) / timedelta(hours=1) for n in notices
                    if n.state is NoticeState.ACKNOWLEDGED and n.answered is not None]
    waiting = [n for n in notices if n.state is NoticeState.SENT]
    return FactorySummary(
        factory=factory,
        orders=len({o.line.key for o in orders} | {reference_key(v.order_reference) for v in own}),
        visited=len(own),
        late=sum(1 for v in own if v.verdict.status is Status.LATE),
        at_risk=sum(1 for v in own if v.verdict.status is Status.AT_RISK),
        average_gap_pts=_mean([v.verdict.gap_pts for v in own]),
        open_instructions=work[0],
        overdue_instructions=work[1],
        disputed_notices=sum(1 for n in notices if n.state is NoticeState.DISPUTED),
        awaiting_acknowledgement=len(waiting),
        past_deadline=sum(1 for n in waiting if n.acknowledge_by is not None and n.acknowledge_by < now),
        average_acknowledgement_hours=_mean(acknowledged),
    )


def _recommend(settings: Settings, summaries: list[FactorySummary], visits: list[JudgedVisit],
               orders: list[StoredOrder], now: datetime) -> list[Recommendation]:
    thresholds = settings.thresholds
    by_key = {reference_key(v.order_reference): v for v in visits}
    large = _cut(settings, [o.line.quantity for o in orders], thresholds.large_quantity)
    valuable = _cut(settings, [o.line.value for o in orders if o.line.value is not None], thresholds.high_value)
    history = {s.factory.id: s for s in summaries if s.troubled(thresholds.gap_pts_at_risk)}
    found = []
    for order in orders:
        line, visit = order.line, by_key.get(order.line.key)
        factory = settings.factories[line.factory]
        reasons = []
        if line.first_order_with_factory:
            reasons.append((Criterion.FIRST_ORDER, Text(FIRST_ORDER)))
        if large is not None and line.quantity >= large:
            reasons.append((Criterion.LARGE, Text(LARGE, quantity=f"{line.quantity:,}")))
        if valuable is not None and line.value is not None and line.value >= valuable:
            reasons.append((Criterion.HIGH_VALUE,
                            Text(HIGH_VALUE, value=f"{line.value:,.2f}", currency=line.currency or "")))
        window = _window(line, visit, factory, thresholds.tight_window_days)
        if window < thresholds.tight_window_days:
            reasons.append((Criterion.TIGHT_WINDOW, Text.counted(TIGHT_WINDOW, window, num=window)))
        if line.packaging is PackagingComplexity.COMPLEX:
            reasons.append((Criterion.COMPLEX_PACKAGING, Text(COMPLEX_PACKAGING)))
        if (troubled := history.get(factory.id)) is not None:
            gap = troubled.average_gap_pts or 0.0
            reasons.append((Criterion.FACTORY_HISTORY, Text(HISTORY, late=troubled.late,
                                                            overdue=troubled.overdue_instructions, gap=f"{gap:.1f}")))
        if reasons:
            days = (line.final_inspection - factory_today(now, factory)).days
            found.append(Recommendation(line.reference, factory, tuple(r for _, r in reasons), days,
                                        tuple(c for c, _ in reasons)))
    return sorted(found, key=lambda r: (-len(r.reasons), r.days_to_final_inspection, r.reference))


def _window(line, visit: JudgedVisit | None, factory: Factory, enough: int) -> int:
    """Working days at the factory after production ends and up to ex-factory (none: 0),
    counted up to `enough`: a window that long is not tight, however much longer it is."""
    start = line.final_inspection if visit is None else visit.verdict.projected_completion
    if start is None:
        return 0
    days, day = 0, start
    while day < line.ex_factory and days < enough:
        day += timedelta(days=1)
        days += factory.is_working_day(day)
    return days


def _cut(settings: Settings, values: list, floor: float | None) -> Decimal | float | None:
    """The smallest value counted large: the top share's lowest, or `floor`, whichever is lower."""
    cuts = []
    if len(values) >= MIN_ORDERS_FOR_SHARE:
        ordered = sorted(values, reverse=True)
        cuts.append(ordered[max(1, math.ceil(len(ordered) * settings.thresholds.top_share_pct / 100)) - 1])
    if floor is not None:
        cuts.append(Decimal(str(floor)) if values and isinstance(values[0], Decimal) else floor)
    return min(cuts) if cuts else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
