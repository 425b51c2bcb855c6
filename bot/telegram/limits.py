"""Telegram's size limits, applied by splitting at line breaks, never by cutting text off."""

from __future__ import annotations

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
MEDIA_GROUP_LIMIT = 10
CALLBACK_ANSWER_LIMIT = 200


def utf16_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Chunks under `limit` that end at line breaks; an overlong line is split at spaces.

    Callers split rendered HTML only between lines, and templates never open a tag on one
    line and close it on another, so every chunk stays well-formed.
    """
    chunks: list[str] = []
    current = ""
    for line in _lines_within(text, limit):
        candidate = f"{current}\n{line}" if current else line
        if utf16_length(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


def _lines_within(text: str, limit: int) -> list[str]:
    lines = []
    for line in text.split("\n"):
        while utf16_length(line) > limit:
            cut = line.rfind(" ", 0, limit) if " " in line[:limit] else limit
            lines.append(line[:cut])
            line = line[cut:].lstrip(" ")
        lines.append(line)
    return lines


def short_answer(text: str) -> str:
    """A callback answer within 200 characters, ending with an ellipsis when shortened."""
    return text if len(text) <= CALLBACK_ANSWER_LIMIT else text[: CALLBACK_ANSWER_LIMIT - 1] + "…"
