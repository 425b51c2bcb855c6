"""Buttons as an inline keyboard whose callback data is an opaque token from the store.

The token maps to (action, target) on our side; a modified client can send any data, so
a token only says what was tapped, never who may do it.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.actions import with_tokens
from messages.buttons import SEND_NOTICE, Button


async def keyboard(store, buttons: tuple[Button, ...], now: datetime) -> InlineKeyboardMarkup | None:
    """Decisions on one row; Send notice alone below them, so it is not tapped by mistake."""
    tokened = await with_tokens(store, buttons, now)
    if not tokened:
        return None
    decisions = [InlineKeyboardButton(b.label, callback_data=t) for b, t in tokened if b.action != SEND_NOTICE]
    rows = [decisions] if decisions else []
    rows += [[InlineKeyboardButton(b.label, callback_data=t)] for b, t in tokened if b.action == SEND_NOTICE]
    return InlineKeyboardMarkup(rows)
