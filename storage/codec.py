"""How domain values become SQLite text and back.

Datetimes are stored as ISO-8601 UTC text with a fixed microsecond precision, so that
text order is time order and `ORDER BY` on them is correct; naive datetimes are refused
because their instant is unknowable. Dates are ISO text, structured values JSON text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from handlers.model import Decision, Platform

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What json.dumps builds anew on every call with these options (a decision stores half a dozen
# JSON values): 6.4 -> 2.6 us for an audit snapshot.
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False)
_JSON_ASCII = json.JSONEncoder(ensure_ascii=True, sort_keys=True, allow_nan=False)


def datetime_to_text(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the store needs a time zone to know the instant")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def datetime_from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


def optional_datetime_from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime_from_text(text)


def date_to_text(value: date) -> str:
    return value.isoformat()


def date_from_text(text: str) -> date:
    return date.fromisoformat(text)


def json_to_text(value: Any) -> str:
    """Only JSON-native values are accepted: a date or tuple would not come back as itself.
    A lone surrogate (JSON from a chat platform can carry one) is kept as its escape:
    SQLite's UTF-8 cannot hold it, and the row must be stored as it came."""
    text = _JSON.encode(value)
    if not text.isascii() and _LONE_SURROGATE.search(text):  # isascii: at once, from how the str is kept
        return _JSON_ASCII.encode(value)
    return text


def json_from_text(text: str) -> Any:
    return json.loads(text)


def optional_json_to_text(value: Any | None) -> str | None:
    return None if value is None else json_to_text(value)


def optional_json_from_text(text: str | None) -> Any | None:
    return None if text is None else json_from_text(text)


def decision_to_columns(decision: Decision | None) -> tuple[str | None, str | None, str | None]:
    """A decision is three columns (by, at, platform), all set or all NULL."""
    if decision is None:
        return None, None, None
    return decision.by, datetime_to_text(decision.at), decision.platform.value


def decision_from_columns(by: str, at: str, platform: str) -> Decision:
    return Decision(by=by, at=datetime_from_text(at), platform=Platform(platform))


def optional_decision_from_columns(by: str | None, at: str | None, platform: str | None) -> Decision | None:
    if by is None or at is None or platform is None:
        return None
    return decision_from_columns(by, at, platform)
