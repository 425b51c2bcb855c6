"""Where production will be on the inspection and ex-factory dates, at the pace observed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
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


def project(order: Order, visit: Visit, ordered: int, progress: Progress, factory: Factory) -> Schedule:
    """Where one item (`ordered` units, at `progress`) will be, at its own line's pace."""
    remaining = max(ordered - progress.counted_complete, 0)  # an overrun leaves nothing to make
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


def combined(schedules: Sequence[Schedule]) -> Schedule:
    """The order's schedule from its items': the order is complete when its last item is, so
    the latest projected completion (a stalled item: none) gives its completion and slack;
    the output and the units remaining are the order's, the sums of its items'."""
    latest = max(schedules, key=lambda s: (s.projected_completion is None, s.projected_completion or date.min))
    return replace(latest, daily_output=sum(s.daily_output for s in schedules),
                   remaining=sum(s.remaining for s in schedules))


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
