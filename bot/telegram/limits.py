"""Telegram's size limits, applied by splitting, never by cutting text off; and the last
gate before text reaches a Telegram chat, where it is neutralised (handlers.text) whatever
composed it.

Telegram counts a message's length after parsing its HTML: tags count nothing and `&amp;`
counts one. The Bot API server (tdlib) refuses a bot's text longer than 4,096 code points;
lengths and entity offsets everywhere else in the API are UTF-16 code units, which are never
fewer, so measuring in UTF-16 units keeps within both (an emoji outside the BMP counts two).
"""

from __future__ import annotations

from bot.outbox.pacing import Lane, Window
from handlers.text import neutralised
from messages.split import prefix_within, shown_length, split_html, split_plain, utf16_length

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
MEDIA_GROUP_LIMIT = 10
FILE_LIMIT = 50 * 1024 * 1024  # what a bot may upload
CALLBACK_ANSWER_LIMIT = 200
# Flood limits (core.telegram.org/bots/faq): about one message a second in a chat, twenty a
# minute in a group, thirty a second overall. Each photo of an album counts in a group's and
# the overall windows (Telegram answers an album that goes over with "failed to send message
# #N ... Too Many Requests"); in the chat's own second the album is one message, shown at once.
PER_CHAT = Window(1, 1.0)
PER_GROUP = Window(20, 60.0)
OVERALL = Window(30, 1.0)

__all__ = ["CAPTION_LIMIT", "FILE_LIMIT", "MEDIA_GROUP_LIMIT", "MESSAGE_LIMIT", "caption_fits", "chat_lanes", "is_group",
           "lanes", "seconds", "short_answer", "split_message", "split_plain_message", "utf16_length"]


def split_message(html: str) -> list[str]:
    """Telegram HTML as messages, each valid on its own (see messages.split)."""
    return split_html(neutralised(html), MESSAGE_LIMIT)


def split_plain_message(text: str) -> list[str]:
    """Text sent without a parse mode, as messages."""
    return split_plain(neutralised(text), MESSAGE_LIMIT, utf16_length)


def caption_fits(html: str) -> bool:
    """Whether HTML text fits a caption, counted as Telegram counts it."""
    return shown_length(html) <= CAPTION_LIMIT


def seconds(value) -> float:
    """RetryAfter.retry_after is an int or a timedelta, depending on PTB_TIMEDELTA."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def short_answer(text: str) -> str:
    """A callback answer within 200 characters, ending with an ellipsis when shortened; never
    inside a surrogate pair or a character with its marks."""
    text = neutralised(text)
    if utf16_length(text) <= CALLBACK_ANSWER_LIMIT:
        return text
    return prefix_within(text, CALLBACK_ANSWER_LIMIT - 1, utf16_length) + "…"


def is_group(chat_id: int) -> bool:
    """A group's (or supergroup's, or channel's) id is negative; a person's private chat's not."""
    return chat_id < 0


def chat_lanes(chat_id: int, messages: int = 1) -> tuple[Lane, ...]:
    """The windows of one chat a send of `messages` counts in."""
    own = (Lane(f"chat:{chat_id}", PER_CHAT),)
    return (*own, Lane(f"group:{chat_id}", PER_GROUP, messages)) if is_group(chat_id) else own


def lanes(chat_id: int, messages: int = 1) -> tuple[Lane, ...]:
    """Every window a send of `messages` to the chat counts in, the bot's overall one too."""
    return (*chat_lanes(chat_id, messages), Lane("overall", OVERALL, messages))
