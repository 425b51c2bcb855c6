"""Buttons as an inline keyboard whose callback data is an opaque token from the store.

The token maps to (action, target) on our side; a modified client can send any data, so
a token only says what was tapped, never who may do it.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat.actions import with_tokens
from messages.buttons import PROGRESS_BACK, SEND_NOTICE, Button


ROW = 3
ALONE = (SEND_NOTICE, PROGRESS_BACK)  # on a row of their own, last


async def keyboard(store, buttons: tuple[Button, ...], now: datetime) -> InlineKeyboardMarkup | None:
    """A row per target (an instruction's Approve/Edit/Reject; a notice instruction's date and
    done buttons), at most three to a row so labels stay readable on a phone; Send notice
    (or a menu's Back) alone below them, so it is not tapped by mistake."""
    tokened = await with_tokens(store, buttons, now)
    if not tokened:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    last_target = None
    for button, token in tokened:
        key = InlineKeyboardButton(button.label, callback_data=token)
        if button.action in ALONE:
            continue
        if rows and button.target == last_target and len(rows[-1]) < ROW:
            rows[-1].append(key)
        else:
            rows.append([key])
        last_target = button.target
    rows += [[InlineKeyboardButton(b.label, callback_data=t)] for b, t in tokened if b.action in ALONE]
    return InlineKeyboardMarkup(rows)
