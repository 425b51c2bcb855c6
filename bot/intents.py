"""What a typed message asks for, on every platform: "/status PO-123", "status PO-123",
"PO-123 进度", "PO-123 状态", "/orders". Anything else is not for the bot."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REFERENCE = r"(?P<ref>[A-Za-z0-9][A-Za-z0-9._/-]{1,39})"
_STATUS = (
    re.compile(rf"^/?status(?:@\w+)?\s+{_REFERENCE}\s*\??$", re.IGNORECASE),
    re.compile(rf"^{_REFERENCE}\s*(?:进度|状态)\s*[?？]?$"),
    re.compile(rf"^(?:进度|状态)\s*{_REFERENCE}\s*[?？]?$"),
)
_ORDERS = re.compile(r"^/?(?:orders|portfolio|订单)(?:@\w+)?\s*$", re.IGNORECASE)
_HELP = re.compile(r"^/?(?:help|start|帮助)(?:@\w+)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class StatusOf:
    reference: str


@dataclass(frozen=True)
class Portfolio:
    pass


@dataclass(frozen=True)
class Help:
    pass


Intent = StatusOf | Portfolio | Help


def intent_of(text: str) -> Intent | None:
    text = text.strip()
    for pattern in _STATUS:
        if match := pattern.match(text):
            return StatusOf(match["ref"])
    if _ORDERS.match(text):
        return Portfolio()
    if _HELP.match(text):
        return Help()
    return None
