"""When a message may reach a factory: inside its working hours, on its working days, in its
own time zone. A reminder that falls due at night waits for the next morning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.model import Factory


def next_working_moment(instant: datetime, factory: Factory) -> datetime:
    """`instant` itself when the factory is at work then, else the next start of its day (UTC)."""
    local = instant.astimezone(ZoneInfo(factory.timezone))
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    if factory.is_working_day(day) and factory.working_hours_start <= clock < factory.working_hours_end:
        return instant
    if not (factory.is_working_day(day) and clock < factory.working_hours_start):
        day += timedelta(days=1)
        for _ in range(366):  # a factory always has a working day within a year
            if factory.is_working_day(day):
                break
            day += timedelta(days=1)
    start = datetime.combine(day, factory.working_hours_start, tzinfo=ZoneInfo(factory.timezone))
    return start.astimezone(UTC)


def factory_today(instant: datetime, factory: Factory):
    """The date it is at the factory: what 'overdue' is counted against."""
    return instant.astimezone(ZoneInfo(factory.timezone)).date()
