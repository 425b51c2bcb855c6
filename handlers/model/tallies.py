"""What the factory summary reads of thousands of orders, counted by the store.

The summary once read every order, verdict and notice as full domain objects and counted
them in Python: about 700 ms at 10,000 orders. These are the figures it needs, counted per
factory in SQL, and the few columns of each order the follow-up recommendations weigh.
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
