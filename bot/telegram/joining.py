"""Joining by invitation: a buyer's /invite makes a one-time deep link for a factory; the
factory contact who opens it (/start CODE) is bound to that factory, in Chinese."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import ContextTypes

from bot.app import App
from bot.directory import Directory
from bot.telegram.inbound import STRANGER, language_of
from handlers.catalog import N_
from handlers.model import Person, Platform, Role
from messages.i18n import CHINESE, Language
from storage import RedeemExpired, RedeemOk, RedeemUnknown, RedeemUsed

INVITE_VALIDITY = timedelta(hours=72)

ONLY_BUYERS = N_("Only buyers can invite factory contacts.")
INVITE_USAGE = N_("Usage: /invite FACTORY_ID. Configured factories: %(factories)s")
INVITE_LINK = N_("Invitation for %(factory)s, valid once until %(expires)s:\n%(link)s\n"
                 "Forward it to the factory contact; opening it binds them to this factory.")
WELCOME = N_("Welcome, %(name)s. You are now registered as a contact of %(factory)s. "
             "Corrective notices will reach you here; ask “PO-123 进度” for an order's status.")
INVITE_UNKNOWN = N_("This invitation link is not valid. Please ask the buyer for a new one.")
INVITE_EXPIRED = N_("This invitation expired on %(expires)s. Please ask the buyer for a new one.")
ALREADY_REGISTERED = N_("You are already registered with this bot; this invitation stays unused.")
INVITE_USED = N_("This invitation has already been used. Please ask the buyer for a new one.")


class TelegramJoining:
    def __init__(self, app: App, directory: Directory, help_reply):
        self.app = app
        self.directory = directory
        self.help_reply = help_reply

    async def on_invite(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person = await self.directory.person(Platform.TELEGRAM, update.effective_user.id)
        language = language_of(person, update.effective_user.language_code)
        message = update.effective_message
        if person is None or person.role is not Role.BUYER:
            await message.reply_text(language.gettext(STRANGER if person is None else ONLY_BUYERS))
            return
        factories = self.app.settings.factories
        factory = factories.get(context.args[0]) if context.args else None
        if factory is None:
            await message.reply_text(language.gettext(INVITE_USAGE) % {"factories": ", ".join(factories)})
            return
        now = self.app.bus.clock.now()
        async with self.app.store.unit_of_work() as uow:
            code = await uow.invites.create(factory.id, person.key, now, now + INVITE_VALIDITY)
            await uow.commit()
        link = f"https://t.me/{context.bot.username}?start={code}"
        await message.reply_text(language.gettext(INVITE_LINK) % {
            "factory": factory.name, "expires": language.moment(now + INVITE_VALIDITY), "link": link,
        })

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not context.args:
            await self.help_reply(update, context)
            return
        user = update.effective_user
        known = await self.directory.person(Platform.TELEGRAM, user.id)
        if known is not None:  # the link stays unused for the person it was meant for
            await update.effective_message.reply_text(language_of(known).gettext(ALREADY_REGISTERED))
            return
        result = await self._redeem(context.args[0], user)
        await update.effective_message.reply_text(self._joined_text(result, user))

    async def _redeem(self, code: str, user):
        """Uses the code once and binds the user to its factory, with the audit event."""
        now = self.app.bus.clock.now()
        async with self.app.store.unit_of_work() as uow:
            result = await uow.invites.redeem(code, Platform.TELEGRAM, str(user.id), now)
            if isinstance(result, RedeemOk):
                factory = self.app.settings.factories[result.factory_id]
                contact = Person(
                    name=user.full_name or str(user.id), role=Role.FACTORY, factory=factory.id,
                    locale=CHINESE, timezone=factory.timezone,
                )
                await uow.bindings.bind(Platform.TELEGRAM, str(user.id), contact, now)
                await uow.audit.record(actor=contact.key, platform=Platform.TELEGRAM, at=now, entity="person",
                                       entity_id=str(user.id), action="join", before=None,
                                       after={"factory": factory.id})
            await uow.commit()
        return result

    def _joined_text(self, result, user) -> str:
        """Welcome in Chinese for the new factory contact; otherwise in their client's language."""
        if isinstance(result, RedeemOk):
            factory = self.app.settings.factories[result.factory_id]
            language = Language(CHINESE, factory.timezone)
            return language.gettext(WELCOME) % {"name": user.full_name, "factory": factory.name_zh}
        return _refusal(result, language_of(None, user.language_code))


def _refusal(result, language: Language) -> str:
    match result:
        case RedeemExpired(expires_at=expires_at):
            return language.gettext(INVITE_EXPIRED) % {"expires": language.moment(expires_at)}
        case RedeemUsed():
            return language.gettext(INVITE_USED)
        case RedeemUnknown():
            return language.gettext(INVITE_UNKNOWN)
