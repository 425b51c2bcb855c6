"""What the factory summary reads of thousands of orders, counted by the store.

The summary once read every order, verdict and notice as full domain objects and counted
them in Python: about 700 ms at 10,000 orders. These are the figures it needs, counted per
factory in SQL; the criteria every order is weighed against (`Weighing`), which the store
applies to all of them at once; and the few columns of each order a recommendation names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from handlers.model.orders import PackagingComplexity


@dataclass(frozen=True)
class VisitTally:
    """A factory's orders by their latest visit's stored verdict."""

    visited: int
    late: int
    at_risk: int
    average_gap_pts: float | None
    without_order: int  # visited orders with no imported order at this factory


@dataclass(frozen=True)
class NoticeTally:
    """A factory's notices by how it answered them."""

    disputed: int
    awaiting: int  # sent, not answered
    past_deadline: int  # of those, the acknowledgement deadline passed
    average_acknowledgement_hours: float | None  # sent → acknowledged, over acknowledged notices


class OrderFacts(NamedTuple):
    """An imported order as the recommendations weigh it, with its latest visit's projection.
    A named tuple, not a frozen dataclass: the summary makes 10,000 of them per answer, and a
    frozen dataclass sets each field through `object.__setattr__`, five times the cost."""

    reference: str
    factory_id: str
    quantity: int
    unit_value: Decimal | None
    currency: str | None
    final_inspection: date
    ex_factory: date
    first_order_with_factory: bool
    packaging: PackagingComplexity | None
    visited: bool
    projected_completion: date | None  # production's end at the observed pace (None: none projected)

    @property
    def value(self) -> Decimal | None:
        return None if self.unit_value is None else self.unit_value * self.quantity


@dataclass(frozen=True)
class Weighing:
    """What the follow-up recommendations weigh every order against, decided by
    handlers.queries.factories and applied by the store to all orders at once."""

    todays: dict[str, date]  # the factories compared, with today's date at each
    calendars: dict[str, int]  # each compared factory's working calendar, as a small number
    large: int | None  # the smallest quantity counted large (None: none is)
    valuable: Decimal | None  # the smallest value (unit value × quantity) counted high
    # (calendar, production end) -> the day `tight_window_days` working days after that end:
    # an order's window is tight when its ex-factory comes before it, or no end is projected.
    reached: dict[tuple[int, date], date]
    tight_window_days: int
    troubled: frozenset[str]  # factories whose history warrants follow-up visits
