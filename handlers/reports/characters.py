"""Characters a report's text must not carry, and how to show a key that carries them.

A report's text reaches the buyer's chat, the factory's notice and its PDF. Control characters
and the invisible ones that reorder text (bidi overrides: "ABC" displayed as "CBA") or hide it
(zero-width spaces inside a word) never belong in a QC report; they arrive by accident from a
copied document or on purpose to make a notice read differently from what was approved. They
are refused with the character named, so the inspector can find and delete it. A lone
surrogate (JSON's "\\ud800") is not text at all and could not even be stored.
"""

from __future__ import annotations

import unicodedata

# Bidirectional formatting: marks, embeddings, overrides, isolates (Unicode's Bidi_Control).
_BIDI = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
# Invisible separators and operators; ZWJ/ZWNJ stay allowed: emoji and some scripts need them.
_INVISIBLE = frozenset({0x200B, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF})
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_NAMES = {0x0000: "NULL", 0x0009: "TAB"}


def hidden_character(text: str) -> tuple[int, str] | None:
    """The first character `text` must not carry, with its position (from 1), or None."""
    for position, char in enumerate(text, start=1):
        if _is_hidden(char):
            return position, char
    return None


def _is_hidden(char: str) -> bool:
    code = ord(char)
    if code in _BIDI or code in _INVISIBLE:
        return True
    category = unicodedata.category(char)
    return (category == "Cc" and char not in _ALLOWED_CONTROLS) or category == "Cs"


def describe(char: str) -> str:
    """U+202E RIGHT-TO-LEFT OVERRIDE: the code point a text editor can search for, and its name."""
    code = ord(char)
    name = _NAMES.get(code) or unicodedata.name(char, "")
    return f"U+{code:04X} {name}".rstrip()


def shown_key(key: str, limit: int = 60) -> str:
    """A key the report made up, safe to print in a problem's path: hidden characters written
    as escapes, and cut short."""
    if hidden_character(key) is not None:
        key = key.encode("unicode_escape", "backslashreplace").decode("ascii")
    return key if len(key) <= limit else key[:limit] + "…"
