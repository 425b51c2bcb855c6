"""What a typed message asks for, on every platform: "/status PO-123", "status PO-123",
"PO-123 进度", "PO-123 状态", "订单 PO-123 怎么样了", "how is po 123?", "/orders", "factories"
("工厂", "工厂表现"). Anything
else is not for the bot.

A reference may be written with spaces ("po2026 0142"); handlers.status compares references
without case or separators. The conversational forms ("how is …", "订单 … 怎么样了") need a
digit in the reference, so "how is it going" in a group is not taken for a question."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REFERENCE = r"(?P<ref>[A-Za-z0-9][A-Za-z0-9._/ -]{0,38}[A-Za-z0-9])"
_NUMBERED = r"(?=[A-Za-z0-9._/ -]*\d)" + _REFERENCE  # a reference with a digit in it
_ASKING_ZH = r"(?:的)?(?:进度|状态|进展|情况)?(?:怎么样了?|如何)?"
_STATUS = (
    re.compile(rf"^/?status(?:@\w+)?\s+{_REFERENCE}\s*\??$", re.IGNORECASE),
    re.compile(rf"^{_REFERENCE}\s*(?:的)?(?:进度|状态)\s*[?？]?$"),
    re.compile(rf"^(?:进度|状态)\s*{_REFERENCE}\s*[?？]?$"),
    re.compile(rf"^订单\s*{_NUMBERED}\s*{_ASKING_ZH}\s*[?？]?$"),
    re.compile(rf"^{_NUMBERED}\s*(?:怎么样了?|进展如何|情况如何)\s*[?？]?$"),
    re.compile(rf"^(?:how(?:'s|’s| is)|what(?:'s|’s| is) the status of)\s+(?:order\s+)?{_NUMBERED}\s*\??$",
               re.IGNORECASE),
)
_ORDERS = re.compile(r"^/?(?:orders|portfolio|订单)(?:@\w+)?(?:\s+(?P<page>\d{1,4}))?\s*$", re.IGNORECASE)
_FACTORIES = re.compile(r"^/?(?:factories|工厂|工厂表现)(?:@\w+)?\s*$", re.IGNORECASE)
_HELP = re.compile(r"^/?(?:help|start|帮助)(?:@\w+)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class StatusOf:
    reference: str


@dataclass(frozen=True)
class Portfolio:
    page: int = 1  # "/orders 2": the second page of 20


@dataclass(frozen=True)
class Factories:
    """"factories", "工厂": how each factory is doing, and which orders warrant a visit."""


@dataclass(frozen=True)
class Help:
    pass


Intent = StatusOf | Portfolio | Factories | Help


def intent_of(text: str) -> Intent | None:
    text = text.strip()
    for pattern in _STATUS:
        if match := pattern.match(text):
            return StatusOf(match["ref"])
    if match := _ORDERS.match(text):
        return Portfolio(int(match["page"] or 1))
    if _FACTORIES.match(text):
        return Factories()
    if _HELP.match(text):
        return Help()
    return None
