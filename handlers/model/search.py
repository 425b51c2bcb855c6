"""What an order listing keeps, as the store is asked for it: the portfolio is ranked, filtered
and paged in SQL (storage.visits, storage.orders), and these say which orders to keep."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Search:
    """Which visited orders a ranking keeps. `todays` maps each factory whose orders may be
    shown to today's date there (what overdue and days to the final inspection count against);
    orders of other factories are left out. `text`, already a `reference_key`, keeps the orders
    whose reference or product contains it, or whose factory is in `factories_named`.

    Orders not visited yet of the factories in `planned` rank among them (only those when
    `visited` is False): with the at-risk orders while their final inspection is at most
    `soon_days` away, otherwise with the on-track ones; never overdue, never with a gap."""

    todays: dict[str, str]
    status: str | None = None
    text: str | None = None
    factories_named: tuple[str, ...] = ()
    planned: tuple[str, ...] = ()
    visited: bool = True
    soon_days: int = 0

    @property
    def one_factory(self) -> str | None:
        return next(iter(self.todays)) if len(self.todays) == 1 else None


@dataclass(frozen=True)
class OrderSearch:
    """Which orders without a visit a listing keeps: those of `factories`, and when `text` (a
    `reference_key`) is given, those whose reference or product contains it or whose factory is
    one of `factories_named`."""

    factories: tuple[str, ...]
    text: str | None = None
    factories_named: tuple[str, ...] = ()
