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

Read-only. A factory contact sees its own factory only, and its orders are compared only with
each other. Every visited order is analysed afresh: this is a summary, not a page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from handlers.analysis.analyze import Status
from handlers.context import Settings
from handlers.model import Factory, NoticeState, Person
from handlers.orders.model import PackagingComplexity, StoredOrder, reference_key
from handlers.status import OrderStatus, may_see_factory, portfolio
from handlers.translatable import N_, Nn_, Text
from handlers.working_hours import factory_today

MIN_ORDERS_FOR_SHARE = 10
MAX_RECOMMENDATIONS = 10

FIRST_ORDER = N_("first order with this factory")
LARGE = N_("large order: %(quantity)s units")
HIGH_VALUE = N_("high value: %(value)s %(currency)s")
TIGHT_WINDOW = Nn_("tight window: %(num)s working day to ex-factory",
                   "tight window: %(num)s working days to ex-factory")
COMPLEX_PACKAGING = N_("complex packaging")
HISTORY = N_("factory history: %(late)s late, %(overdue)s overdue, average gap %(gap)s pts")


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


@dataclass(frozen=True)
class FactoryReport:
    factories: list[FactorySummary]
    recommendations: list[Recommendation]  # most reasons first, the first MAX_RECOMMENDATIONS
    recommended: int  # how many orders warrant a visit in all


async def factory_report(store, settings: Settings, person: Person, now: datetime) -> FactoryReport:
    statuses = await portfolio(store, settings, person, now)
    factories = [f for f in settings.factories.values() if may_see_factory(person, f.id)]
    async with store.unit_of_work() as uow:
        orders = [o for f in factories for o in await uow.orders.all(f.id)]
        notices = {f.id: await uow.notices.for_factory(f.id) for f in factories}
    summaries = [_summary(f, statuses, orders, notices[f.id], now) for f in factories]
    summaries = [s for s in summaries if s.orders or s.awaiting_acknowledgement or s.average_acknowledgement_hours]
    ranked = _recommend(settings, summaries, statuses, orders, now)
    return FactoryReport(summaries, ranked[:MAX_RECOMMENDATIONS], len(ranked))


def _summary(factory: Factory, statuses: list[OrderStatus], orders: list[StoredOrder], notices, now) -> FactorySummary:
    own = [s for s in statuses if s.factory.id == factory.id]
    gaps = [s.analysis.progress.gap_pts for s in own]
    acknowledged = [(n.answered.at - n.sent.at) / timedelta(hours=1) for n in notices
                    if n.state is NoticeState.ACKNOWLEDGED and n.answered is not None]
    waiting = [n for n in notices if n.state is NoticeState.SENT]
    return FactorySummary(
        factory=factory,
        orders=len({o.line.key for o in orders if o.line.factory == factory.id} | {_key(s) for s in own}),
        visited=len(own),
        late=sum(1 for s in own if s.analysis.status is Status.LATE),
        at_risk=sum(1 for s in own if s.analysis.status is Status.AT_RISK),
        average_gap_pts=_mean(gaps),
        open_instructions=sum(1 for s in own for i in s.instructions if i.is_open_at_factory),
        overdue_instructions=sum(len(s.overdue) for s in own),
        disputed_notices=sum(1 for n in notices if n.state is NoticeState.DISPUTED),
        awaiting_acknowledgement=len(waiting),
        past_deadline=sum(1 for n in waiting if n.acknowledge_by is not None and n.acknowledge_by < now),
        average_acknowledgement_hours=_mean(acknowledged),
    )


def _recommend(settings: Settings, summaries: list[FactorySummary], statuses: list[OrderStatus],
               orders: list[StoredOrder], now: datetime) -> list[Recommendation]:
    thresholds = settings.thresholds
    by_key = {_key(s): s for s in statuses}
    large = _cut(settings, [o.line.quantity for o in orders], thresholds.large_quantity)
    valuable = _cut(settings, [o.line.value for o in orders if o.line.value is not None], thresholds.high_value)
    history = {s.factory.id: s for s in summaries if s.troubled(thresholds.gap_pts_at_risk)}
    found = []
    for order in orders:
        line, status = order.line, by_key.get(order.line.key)
        factory = settings.factories[line.factory]
        reasons = []
        if line.first_order_with_factory:
            reasons.append(Text(FIRST_ORDER))
        if large is not None and line.quantity >= large:
            reasons.append(Text(LARGE, quantity=f"{line.quantity:,}"))
        if valuable is not None and line.value is not None and line.value >= valuable:
            reasons.append(Text(HIGH_VALUE, value=f"{line.value:,.2f}", currency=line.currency or ""))
        window = _window(line, status, factory)
        if window < thresholds.tight_window_days:
            reasons.append(Text.counted(TIGHT_WINDOW, window, num=window))
        if line.packaging is PackagingComplexity.COMPLEX:
            reasons.append(Text(COMPLEX_PACKAGING))
        if (troubled := history.get(factory.id)) is not None:
            gap = troubled.average_gap_pts or 0.0
            reasons.append(Text(HISTORY, late=troubled.late, overdue=troubled.overdue_instructions, gap=f"{gap:.1f}"))
        if reasons:
            days = (line.final_inspection - factory_today(now, factory)).days
            found.append(Recommendation(line.reference, factory, tuple(reasons), days))
    return sorted(found, key=lambda r: (-len(r.reasons), r.days_to_final_inspection, r.reference))


def _window(line, status: OrderStatus | None, factory: Factory) -> int:
    """Working days at the factory after production ends and up to ex-factory (none: 0)."""
    if status is None:
        start = line.final_inspection
    else:
        start = status.analysis.schedule.projected_completion
        if start is None:
            return 0
    return sum(1 for n in range(1, (line.ex_factory - start).days + 1)
               if factory.is_working_day(start + timedelta(days=n)))


def _cut(settings: Settings, values: list, floor: float | None) -> Decimal | float | None:
    """The smallest value counted large: the top share's lowest, or `floor`, whichever is lower."""
    cuts = []
    if len(values) >= MIN_ORDERS_FOR_SHARE:
        ordered = sorted(values, reverse=True)
        cuts.append(ordered[max(1, math.ceil(len(ordered) * settings.thresholds.top_share_pct / 100)) - 1])
    if floor is not None:
        cuts.append(Decimal(str(floor)) if values and isinstance(values[0], Decimal) else floor)
    return min(cuts) if cuts else None


def _key(status: OrderStatus) -> str:
    return reference_key(status.visit.order_reference)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
