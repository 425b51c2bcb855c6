"""Characters a report's text must not carry, and how to show a key that carries them.

A report's text reaches the buyer's chat, the factory's notice and its PDF. Control characters
and the invisible ones that reorder text (bidi overrides: "ABC" displayed as "CBA") or hide it
(zero-width spaces inside a word) never belong in a QC report; they arrive by accident from a
copied document or on purpose to make a notice read differently from what was approved. They
are refused with the character named, so the inspector can find and delete it. A lone
surrogate (JSON's "\\ud800") is not text at all and could not even be stored.
"""

from __future__ import annotations

import re
import unicodedata

# Controls but tab and line breaks (Unicode's Cc); bidirectional formatting (Bidi_Control);
# invisible separators and operators, and the BOM; surrogates. ZWJ/ZWNJ stay allowed: emoji and
# some scripts need them.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u200b\u2060-\u2064\ufeff"
    "\ud800-\udfff]"
)
_NAMES = {0x0000: "NULL"}  # control characters have no Unicode name; the one most often met


def hidden_character(text: str) -> tuple[int, str] | None:
    """The first character `text` must not carry, with its position (from 1), or None."""
    found = _HIDDEN.search(text)
    return None if found is None else (found.start() + 1, found.group())


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
