"""An order as stored, and one line of an order list as imported.

`OrderLine` is what a buyer's CSV or JSON file holds per order; it is validated like a visit
report (every problem at once, as `path: message`). `StoredOrder` adds when it was created and
last changed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from handlers.model.report import OrderReference, ShortText

_SEPARATORS = re.compile(r"[\W_]+")


def reference_key(reference: str) -> str:
    """An order reference as compared: PO-2026-0142, po2026 0142, po_2026_0142 and the
    full-width ＰＯ－２０２６－０１４２ of a Chinese input method are one (NFKC, then without
    case, separators or invisible characters: only letters and digits count)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", reference).casefold())


class PackagingComplexity(StrEnum):
    SIMPLE = "simple"
    STANDARD = "standard"
    COMPLEX = "complex"


class OrderLine(BaseModel):
    """One order of an imported list. Lax about types (a CSV cell is text), strict about names."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    reference: OrderReference
    factory: ShortText
    product_name: ShortText
    product_name_zh: ShortText | None = None
    quantity: Annotated[int, Field(gt=0)]
    unit_value: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    final_inspection: date
    ex_factory: date
    first_order_with_factory: bool = False
    packaging: PackagingComplexity | None = None
    production_start: date | None = None  # the chart's plan runs from it, when known

    @property
    def key(self) -> str:
        return reference_key(self.reference)

    @property
    def value(self) -> Decimal | None:
        """The order's value in its currency, when the unit value is known."""
        return None if self.unit_value is None else self.unit_value * self.quantity

    def snapshot(self) -> dict:
        """As the audit trail records it."""
        return self.model_dump(mode="json", exclude_none=True)


COLUMNS = tuple(OrderLine.model_fields)


@dataclass(frozen=True)
class OrderedItem:
    """One item of an order of several (a report's `order.items` without its counts): what the
    inspector's next visit counts item by item."""

    code: str
    name: str
    name_zh: str | None
    quantity: int

    def snapshot(self) -> dict:
        """As the audit trail records it."""
        return {"code": self.code, "name": self.name, "name_zh": self.name_zh, "quantity": self.quantity}


@dataclass(frozen=True)
class StoredOrder:
    id: int
    line: OrderLine
    created_at: datetime
    updated_at: datetime
    items: tuple[OrderedItem, ...] = ()
    """The order's items when it has several (its line then names the first); () for one product."""

    @property
    def reference(self) -> str:
        return self.line.reference

    @property
    def factory_id(self) -> str:
        return self.line.factory
