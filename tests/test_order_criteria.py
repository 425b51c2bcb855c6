"""The follow-up criteria weighed by SQL, on both engines, where SQL could read an order
otherwise than the handlers' Python would: values at the cut in exact decimals, ties, a window
ending on the very day it stops being tight, a factory with no orders, a visit with no
projection, and the order of the most pressing across factories whose "today" differs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

from handlers.model.orders import OrderLine
from handlers.model.tallies import Weighing
from handlers.model.verdicts import Status, Verdict
from tests.store_engines import emptied, postgres_url, raw, store  # noqa: F401  (fixtures)
from tests.test_store import POSTED, report

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 1)
FIRST, LARGE, VALUABLE, TIGHT, COMPLEX, TROUBLED = (1 << n for n in range(6))


def line(reference: str, factory: str = "ningbo-1", quantity: int = 100, unit_value: str | None = None,
         final_inspection: date = date(2026, 4, 10), ex_factory: date = date(2026, 4, 30), **more) -> OrderLine:
    return OrderLine(reference=reference, factory=factory, product_name="Mug", quantity=quantity,
                     unit_value=unit_value, currency=None if unit_value is None else "USD",
                     final_inspection=final_inspection, ex_factory=ex_factory, **more)


async def add(store, *lines: OrderLine) -> None:
    async with store.unit_of_work() as uow:
        for order in lines:
            await uow.orders.add(order, NOW)
        await uow.commit()


def weighing(**changed) -> Weighing:
    """Nothing flagged unless `changed` says so; both factories on one calendar."""
    plain = Weighing(todays={"ningbo-1": TODAY, "shenzhen-2": TODAY}, calendars={"ningbo-1": 0, "shenzhen-2": 0},
                     large=None, valuable=None, reached={}, tight_window_days=0, troubled=frozenset())
    return dataclasses.replace(plain, **changed)


async def flagged(store, weighed: Weighing, limit: int = 10):
    async with store.unit_of_work() as uow:
        return await uow.order_criteria.flagged(weighed, limit)


async def test_values_are_compared_as_exact_decimals_at_the_cut(store) -> None:
    """0.7 × 3 is 2.1 exactly, as a Decimal says; a double says 2.0999…, below the cut."""
    await add(store, line("PO-1", quantity=3, unit_value="0.7"), line("PO-2", quantity=1, unit_value="2.0999"),
              line("PO-3", quantity=7), line("PO-4", quantity=1, unit_value="9999999999.9999"))
    async with store.unit_of_work() as uow:
        assert await uow.order_criteria.largest_value(["ningbo-1"], 1) == Decimal("2.1")
        assert await uow.order_criteria.largest_value(["ningbo-1"], 0) == Decimal("9999999999.9999")
        assert await uow.order_criteria.counts(["ningbo-1", "shenzhen-2"]) == {"ningbo-1": (4, 3)}
    masks, shown = await flagged(store, weighing(valuable=Decimal("2.1")))
    assert masks == {VALUABLE: 2}
    assert sorted(order.reference for order, _ in shown) == ["PO-1", "PO-4"]


async def test_equal_quantities_at_the_cut_are_all_large_and_other_factories_are_not_counted(store) -> None:
    await add(store, line("PO-1", quantity=500), line("PO-2", quantity=500), line("PO-3", quantity=499),
              line("PO-4", factory="elsewhere", quantity=900))
    async with store.unit_of_work() as uow:
        assert await uow.order_criteria.largest_quantity(["ningbo-1", "shenzhen-2"], 1) == 500
    masks, shown = await flagged(store, weighing(large=500))
    assert masks == {LARGE: 2}
    assert [order.reference for order, _ in shown] == ["PO-1", "PO-2"]


async def test_a_window_is_tight_up_to_the_day_before_enough_working_days_are_reached(store) -> None:
    """Production ends (final inspection, before a visit) on 10 April; three working days
    later is 14 April: ex-factory on the 13th is tight, on the 14th it is not. A visited order
    is weighed by its projection, and one with none projected is tight."""
    await add(store, line("PO-1", ex_factory=date(2026, 4, 13)), line("PO-2", ex_factory=date(2026, 4, 14)),
              line("PO-2026-0142", final_inspection=date(2026, 4, 10), ex_factory=date(2026, 4, 20)),
              line("PO-2026-0143", final_inspection=date(2026, 4, 10), ex_factory=date(2026, 4, 20)))
    projected = Verdict(Status.AT_RISK, 48.0, 65.0, 17.0, (), date(2026, 4, 18))
    unknown = dataclasses.replace(projected, projected_completion=None)
    async with store.unit_of_work() as uow:
        await uow.visits.add(report("PO-2026-0142"), {}, POSTED, projected)
        await uow.visits.add(report("PO-2026-0143"), {}, POSTED, unknown)
        await uow.commit()
    async with store.unit_of_work() as uow:
        ends = await uow.order_criteria.production_ends({"ningbo-1": 0})
    assert ends == {(0, date(2026, 4, 10)), (0, date(2026, 4, 18))}
    reached = {(0, date(2026, 4, 10)): date(2026, 4, 14), (0, date(2026, 4, 18)): date(2026, 4, 21)}
    masks, shown = await flagged(store, weighing(reached=reached, tight_window_days=3))
    assert masks == {TIGHT: 3}
    assert sorted(order.reference for order, _ in shown) == ["PO-1", "PO-2026-0142", "PO-2026-0143"]
    assert await flagged(store, weighing(reached=reached, tight_window_days=0)) == ({}, [])


async def test_the_most_pressing_have_most_criteria_then_the_soonest_inspection_where_they_are_then_the_reference(
        store) -> None:
    """The factory in Shenzhen is a day ahead: its order inspected on the 11th is as soon as
    Ningbo's on the 10th. Equal days are ordered by reference in code-point order ("B" < "a"),
    as Python orders them, whatever the database's collation. Counts cover every order; only
    `limit` are returned."""
    await add(store, line("PO-a", packaging="complex"), line("PO-B", packaging="complex"),
              line("PO-C", factory="shenzhen-2", final_inspection=date(2026, 4, 11), packaging="complex"),
              line("PO-D", final_inspection=date(2026, 4, 9), packaging="complex"),
              line("PO-E", final_inspection=date(2026, 5, 1), ex_factory=date(2026, 5, 8), first_order_with_factory=True, packaging="complex"),
              line("PO-F"))
    todays = {"ningbo-1": TODAY, "shenzhen-2": date(2026, 3, 2)}
    masks, shown = await flagged(store, weighing(todays=todays), limit=4)
    assert masks == {COMPLEX: 4, FIRST | COMPLEX: 1}
    assert [(order.reference, mask) for order, mask in shown] == [
        ("PO-E", FIRST | COMPLEX), ("PO-D", COMPLEX), ("PO-B", COMPLEX), ("PO-C", COMPLEX)]
    assert shown[0][0].first_order_with_factory and not shown[0][0].visited

    masks, shown = await flagged(store, weighing(todays=todays, troubled=frozenset({"shenzhen-2"})), limit=1)
    assert masks == {COMPLEX: 3, FIRST | COMPLEX: 1, COMPLEX | TROUBLED: 1}
    assert [order.reference for order, _ in shown] == ["PO-C"]


async def test_a_factory_without_orders_counts_nothing(store) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.order_criteria.counts(["ningbo-1"]) == {}
        assert await uow.order_criteria.production_ends({"ningbo-1": 0}) == set()
    assert await flagged(store, weighing(troubled=frozenset({"ningbo-1"}), large=1)) == ({}, [])
