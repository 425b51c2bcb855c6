"""/visit PO-… on Telegram: the form's link as a button in the asker's private chat, opening
the form as a Mini App where the link is https (Telegram opens nothing else as one), as a
plain link button otherwise. Asked in a group, the group gets a note and the link goes
privately."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.chat.visit_form import FormOffered, button_label, offer_form, privately
from handlers.model import Person, Platform


class TelegramVisitForm:
    def __init__(self, inbound) -> None:
        self.inbound = inbound  # who asked (its directory) and the stranger's answer

    async def on_visit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person = await self.inbound.directory.person(Platform.TELEGRAM, update.effective_user.id)
        if person is None:
            await self.inbound.refuse_stranger(update)
            return
        reference = " ".join(context.args or ())
        offered = await offer_form(self.inbound.app, person, Platform.TELEGRAM, reference,
                                   f"telegram:{update.update_id}")
        message = update.effective_message
        if offered.url is None:
            await message.reply_text(offered.text)
            return
        if update.effective_chat.type == ChatType.PRIVATE:
            await message.reply_text(offered.text, reply_markup=_button(person, offered))
            return
        try:
            await context.bot.send_message(update.effective_user.id, offered.text, reply_markup=_button(person, offered))
        except (Forbidden, BadRequest):
            await message.reply_text(privately(person, reached=False))
            return
        await message.reply_text(privately(person, reached=True))


def _button(person: Person, offered: FormOffered) -> InlineKeyboardMarkup:
    label = button_label(person)
    if offered.url.startswith("https://"):
        button = InlineKeyboardButton(label, web_app=WebAppInfo(offered.url))
    else:
        button = InlineKeyboardButton(label, url=offered.url)
    return InlineKeyboardMarkup([[button]])
