"""Joining by invitation and leaving by revocation, on Telegram: a buyer's /invite makes a
one-time deep link for a factory, and the contact who opens it (/start CODE) is bound to
that factory, in Chinese; a buyer's /revoke NAME unbinds a contact at once."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.app import App
from bot.chat import people
from bot.chat.directory import Directory
from bot.telegram.inbound import STRANGER, language_of
from bot.telegram.private import asked_by_link
from handlers.catalog import N_
from handlers.commands import Actor, InviteContact, RedeemInvite, RevokeContact
from handlers.model import Person, Platform, PlatformAccount, Role
from handlers.strangers import stranger
from messages.replies import reply_text

INVITE_LINK = N_("Invitation for %(factory)s, valid once until %(expires)s:\n%(link)s\n"
                 "Forward it to the factory contact; opening it binds them to this factory.")
REVOKE_WHERE = N_("Use /revoke in the buyer's chat or in your private chat with the bot: its answer names "
                  "contacts of every factory.")


class TelegramJoining:
    def __init__(self, app: App, directory: Directory, help_reply):
        self.app = app
        self.directory = directory
        self.help_reply = help_reply

    async def on_invite(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/invite FACTORY_ID: a one-time link, if the bus lets this person invite."""
        person = await self.directory.person(Platform.TELEGRAM, update.effective_user.id)
        language = language_of(person, update.effective_user.language_code)
        message = update.effective_message
        if person is None:
            await self._refused(update, None, "invite", "stranger")
            await message.reply_text(language.gettext(STRANGER))
            return
        factory_id = context.args[0] if context.args else ""
        reply = await self.app.bus.handle(InviteContact(factory_id), Actor(person, Platform.TELEGRAM))
        if not reply.ok:
            await message.reply_text(people.invite_refused(reply, language, "/invite", self.app.settings.factories))
            return
        link = f"https://t.me/{context.bot.username}?start={reply.params['code']}"
        await message.reply_text(language.gettext(INVITE_LINK) % {
            "factory": self.app.settings.factories[factory_id].name,
            "expires": language.moment(datetime.fromisoformat(reply.params["expires_at"])), "link": link,
        })

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not context.args or asked_by_link(update.effective_message.text or "") is not None:
            await self.help_reply(update, context)  # answers a question a link carries, too
            return
        user = update.effective_user
        known = await self.directory.person(Platform.TELEGRAM, user.id)
        if known is not None:  # the link stays unused for the person it was meant for
            await update.effective_message.reply_text(language_of(known).gettext(people.ALREADY_REGISTERED))
            return
        account = PlatformAccount(platform=Platform.TELEGRAM, user_id=str(user.id))
        name = user.full_name or str(user.id)
        actor = Actor(stranger(account, name), Platform.TELEGRAM)
        reply = await self.app.bus.handle(RedeemInvite(context.args[0], name), actor,
                                          update_key=f"telegram:{update.update_id}")
        await update.effective_message.reply_text(people.joined_text(reply, self.app.settings.factories))

    async def on_revoke(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/revoke NAME or ID: only a buyer (the bus refuses anyone else), and only where no
        factory's people read the answer."""
        user, chat = update.effective_user, update.effective_chat
        person = await self.directory.person(Platform.TELEGRAM, user.id)
        language = language_of(person, user.language_code)
        if person is None:
            await self._refused(update, None, "RevokeContact", "stranger")
            await update.effective_message.reply_text(language.gettext(STRANGER))
            return
        private = chat.type == ChatType.PRIVATE or self.app.settings.routing.is_buyer(Platform.TELEGRAM, str(chat.id))
        if person.role is Role.BUYER and not private:
            await self._refused(update, person, "RevokeContact", "not_a_buyer_chat")
            await update.effective_message.reply_text(language.gettext(REVOKE_WHERE))
            return
        reply = await people.handle(self.app, self.directory, RevokeContact(" ".join(context.args)),
                                    Actor(person, Platform.TELEGRAM), update_key=f"telegram:{update.update_id}")
        await update.effective_message.reply_text(reply_text(reply, language))

    async def _refused(self, update: Update, person: Person | None, attempted: str, reason: str) -> None:
        user = update.effective_user
        account = PlatformAccount(platform=Platform.TELEGRAM, user_id=str(user.id))
        await self.directory.refused(self.app.bus.clock.now(), attempted, reason, account=account, who=person,
                                     name=user.full_name)
