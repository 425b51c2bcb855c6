"""Telegram's size limits, applied by splitting at line breaks, never by cutting text off."""

from __future__ import annotations

import html
import re

from messages.split import split_text, utf16_length

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
MEDIA_GROUP_LIMIT = 10
CALLBACK_ANSWER_LIMIT = 200

__all__ = ["CAPTION_LIMIT", "MEDIA_GROUP_LIMIT", "MESSAGE_LIMIT", "caption_fits", "seconds", "short_answer",
           "split_message", "utf16_length"]


def split_message(text: str) -> list[str]:
    return split_text(text, MESSAGE_LIMIT, utf16_length)


def caption_fits(text: str) -> bool:
    """Whether HTML text fits a caption: Telegram counts what is shown, without tags."""
    return utf16_length(html.unescape(re.sub(r"<[^>]*>", "", text))) <= CAPTION_LIMIT


def seconds(value) -> float:
    """RetryAfter.retry_after is an int or a timedelta, depending on PTB_TIMEDELTA."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def short_answer(text: str) -> str:
    """A callback answer within 200 characters, ending with an ellipsis when shortened."""
    return text if len(text) <= CALLBACK_ANSWER_LIMIT else text[: CALLBACK_ANSWER_LIMIT - 1] + "…"
