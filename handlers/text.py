"""Free text people type (reasons, notes): trimmed, required where it must be, bounded."""

from __future__ import annotations

from handlers.results import Refused

MAX_TEXT = 1000


def required_text(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Refused("text_required", field=field)
    if len(text) > MAX_TEXT:
        raise Refused("text_too_long", field=field, length=len(text), limit=MAX_TEXT)
    return text
