"""Splitting long chat text at line breaks, never cutting it off: every platform has a
limit per message (Telegram 4,096 UTF-16 units, a Slack section 3,000 characters)."""

from __future__ import annotations

from collections.abc import Callable


def utf16_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Chunks within `limit` that end at line breaks; an overlong line is split at spaces.

    Templates never open a tag or a *bold* span on one line and close it on another, so
    every chunk of rendered text stays well-formed.
    """
    chunks: list[str] = []
    current = ""
    for line in _lines_within(text, limit, measure):
        candidate = f"{current}\n{line}" if current else line
        if measure(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


def _lines_within(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    lines = []
    for line in text.split("\n"):
        while measure(line) > limit:
            cut = _cut(line, limit, measure)
            lines.append(line[:cut])
            line = line[cut:].lstrip(" ")
        lines.append(line)
    return lines


def _cut(line: str, limit: int, measure: Callable[[str], int]) -> int:
    """The longest prefix within the limit, ending at a space where there is one."""
    end = len(line)
    while measure(line[:end]) > limit:
        end -= 1
    space = line.rfind(" ", 0, end)
    return space if space > 0 else end
