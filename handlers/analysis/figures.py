"""Rounding shared by every figure the bot shows, so text and JSON always agree."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def pct(part: int, whole: int) -> float:
    """part/whole in percent, one decimal, rounded half up as people expect (12.25 → 12.3)."""
    if whole == 0:
        return 0.0
    value = Decimal(part) * 100 / Decimal(whole)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def progress_pct(part: int, whole: int) -> float:
    """Progress in percent, capped at 100: an overrun is a warning, never 103 % complete."""
    return min(pct(part, whole), 100.0)


def points(a: float, b: float) -> float:
    """a − b in percentage points, one decimal, free of binary-float noise."""
    return float((Decimal(str(a)) - Decimal(str(b))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def units_for_pct(threshold: float, whole: int) -> int:
    """The fewest units of `whole` that `pct` shows at or above `threshold`."""
    units = math.ceil(Decimal(str(threshold)) * whole / 100)
    while units > 0 and pct(units - 1, whole) >= threshold:
        units -= 1
    return units
