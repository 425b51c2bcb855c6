"""Importing the buyer's order list, and keeping an order in step with the visits posted for it.

An import creates or updates each order by its reference (as compared: without case or
separators), one audit event per order that changes, all in the bus' one transaction.

A visit report also describes its order. For an order nobody imported, the first visit creates
it. For a known order the report wins for the figures it carries (quantity, product, dates):
the inspector saw them at the factory, so the order is updated with an audit event saying a
visit changed it. A report naming another factory than the order's is refused: an order never
moves between factories silently, since that decides which factory sees it. A report with
`order.items` keeps the items on the order (a one-product report clears them), so the next visit
form counts them item by item.
"""

from __future__ import annotations

from handlers.commands import ImportOrders
from handlers.context import Context
from handlers.model.orders import OrderedItem, OrderLine
from handlers.model.report import VisitReport
from handlers.results import Refused, Reply

REPORTED_FIELDS = ("product_name", "product_name_zh", "quantity", "final_inspection", "ex_factory", "production_start")
# Optional in a report: a report without them does not erase what the order already says.
KEPT_WHEN_UNREPORTED = ("product_name_zh", "production_start")


async def import_orders(command: ImportOrders, ctx: Context) -> Reply:
    unknown = sorted({line.factory for line in command.lines} - set(ctx.settings.factories))
    if unknown:
        raise Refused("unknown_factory", factory=", ".join(unknown))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for reference in sorted({line.reference for line in command.lines}):  # sorted: never a circle of waits
        await ctx.uow.locks.order(reference)
    for line in command.lines:
        stored = await ctx.uow.orders.get(line.reference)
        if stored is None:
            counts["created"] += 1
            if not command.dry_run:
                await ctx.uow.orders.add(line, ctx.now)
                await ctx.audit("order", line.reference, "import", None, line.snapshot())
            continue
        before, after = _changes(stored.line, line.model_copy(update={"reference": stored.reference}))
        if not after:
            counts["unchanged"] += 1
            continue
        counts["updated"] += 1
        if not command.dry_run:
            await ctx.uow.orders.replace(stored, line, ctx.now)
            await ctx.audit("order", stored.reference, "import", before, after)
    return Reply("orders_checked" if command.dry_run else "orders_imported", counts)


async def order_from_visit(report: VisitReport, ctx: Context) -> None:
    """Creates the report's order when unknown; else brings its figures in line with the report."""
    reported, items = _line_of(report), _items_of(report)
    await ctx.uow.locks.order(reported.reference)
    stored = await ctx.uow.orders.get(reported.reference)
    if stored is None:
        added = await ctx.uow.orders.add(reported, ctx.now)
        if items:
            await ctx.uow.orders.set_items(added, items)
        await ctx.audit("order", reported.reference, "create_from_visit", None,
                        {**reported.snapshot(), **({"items": _snapshot(items)} if items else {})})
        return
    if stored.factory_id != reported.factory:
        raise Refused("order_of_other_factory", order=stored.reference, factory=stored.factory_id,
                      reported=reported.factory)
    update = {name: getattr(reported, name) for name in REPORTED_FIELDS
              if name not in KEPT_WHEN_UNREPORTED or getattr(reported, name) is not None}
    updated = stored.line.model_copy(update=update)
    if updated.production_start is not None and updated.production_start >= updated.final_inspection:
        raise Refused("production_start_not_before_final_inspection", order=stored.reference,
                      production_start=updated.production_start.isoformat(),
                      final_inspection=updated.final_inspection.isoformat())
    before, after = _changes(stored.line, updated)
    if stored.items != items:
        before, after = {**before, "items": _snapshot(stored.items)}, {**after, "items": _snapshot(items)}
        await ctx.uow.orders.set_items(stored, items)
    if after:
        await ctx.uow.orders.replace(stored, updated, ctx.now)
        await ctx.audit("order", stored.reference, "update_from_visit", before, after)


def _line_of(report: VisitReport) -> OrderLine:
    """The order as the report gives it; an order of several items is named by its first (its
    items are kept beside it, see `_items_of`), never by its items' names joined."""
    order = report.order
    first = report.item_lines()[0]
    return OrderLine(reference=order.reference, factory=order.factory, product_name=first.name,
                     product_name_zh=first.name_zh, quantity=report.ordered,
                     final_inspection=order.final_inspection, ex_factory=order.ex_factory,
                     production_start=order.production_start)


def _items_of(report: VisitReport) -> tuple[OrderedItem, ...]:
    return tuple(OrderedItem(i.code, i.name, i.name_zh, i.quantity) for i in report.order.items or ())


def _snapshot(items: tuple[OrderedItem, ...]) -> list[dict]:
    return [item.snapshot() for item in items]


def _changes(old: OrderLine, new: OrderLine) -> tuple[dict, dict]:
    """The fields that differ, as (before, after) snapshots; two empty dicts when none does."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    changed = [name for name in after if before[name] != after[name]]
    return {n: before[n] for n in changed}, {n: after[n] for n in changed}
