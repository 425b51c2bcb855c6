"""Buttons as an inline keyboard whose callback data is an opaque token from the store.

The token maps to (action, target) on our side; a modified client can send any data, so
a token only says what was tapped, never who may do it.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from messages.buttons import SEND_NOTICE, Button


async def keyboard(store, buttons: tuple[Button, ...], now: datetime) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    async with store.unit_of_work() as uow:
        tokens = [await uow.tokens.mint(b.action, b.target, now) for b in buttons]
        await uow.commit()
    decisions = [
        InlineKeyboardButton(b.label, callback_data=token)
        for b, token in zip(buttons, tokens, strict=True)
        if b.action != SEND_NOTICE
    ]
    rows = [decisions] if decisions else []
    rows += [
        [InlineKeyboardButton(b.label, callback_data=token)]
        for b, token in zip(buttons, tokens, strict=True)
        if b.action == SEND_NOTICE
    ]
    return InlineKeyboardMarkup(rows)
