"""Where production will be on the inspection and ex-factory dates, at the pace observed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from handlers.model import Factory
from handlers.model.report import Order, Progress, Visit


@dataclass(frozen=True)
class Schedule:
    daily_output: int
    remaining: int
    working_days_needed: int | None
    projected_completion: date | None
    final_inspection: date
    ex_factory: date
    slack_days: int | None

    @property
    def misses_ex_factory(self) -> bool:
        """No day left between completion and ex-factory for the final inspection."""
        return self.projected_completion is None or self.projected_completion >= self.ex_factory


def project(order: Order, visit: Visit, progress: Progress, factory: Factory) -> Schedule:
    remaining = max(order.quantity - progress.counted_complete, 0)  # an overrun leaves nothing to make
    days = _days_needed(remaining, progress.daily_output)
    completion = None if days is None else nth_working_day(visit.date, days, factory)
    return Schedule(
        daily_output=progress.daily_output,
        remaining=remaining,
        working_days_needed=days,
        projected_completion=completion,
        final_inspection=order.final_inspection,
        ex_factory=order.ex_factory,
        slack_days=None if completion is None else (order.final_inspection - completion).days,
    )


def _days_needed(remaining: int, daily_output: int) -> int | None:
    if remaining <= 0:
        return 0
    if daily_output <= 0:
        return None
    return math.ceil(remaining / daily_output)


def nth_working_day(start: date, n: int, factory: Factory) -> date:
    """The n-th working day after `start` in the factory's calendar (n = 0: `start` itself)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        if factory.is_working_day(day):
            n -= 1
    return day
