"""Links to the bot's own Telegram messages, for a status answer to point at the findings
thread and the notice."""

from __future__ import annotations

from bot.chat.answers import Links
from handlers.model import Platform


async def message_url(ref: str) -> str | None:
    """A t.me/c link opens a message of a supergroup for its members; a private chat or a
    basic group has no such link, so none is offered there."""
    chat, _, message_id = ref.partition(":")
    if chat.startswith("-100") and message_id:
        return f"https://t.me/c/{chat[4:]}/{message_id}"
    return None


TELEGRAM_LINKS = Links(Platform.TELEGRAM, message_url)
