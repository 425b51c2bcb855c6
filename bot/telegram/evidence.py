"""A factory contact answers "done, with photos" by sending photos in reply: each photo is
fetched, stored and reported with `bot.evidence`. The photos of one album all count for
the same instruction; anything else a factory contact sends goes where it did before."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.directory import Directory
from bot.evidence import TAP_FIRST, instruction_awaiting_photos, report_with_photo
from bot.telegram.inbound import TelegramInbound, language_of
from bot.telegram.uploads import TelegramUploads
from handlers.commands import Actor
from handlers.model import Person, Platform, Role
from messages.replies import reply_text

ALBUM = "album:"  # pending input kept under the album's id for its later photos


class TelegramEvidence:
    def __init__(self, inbound: TelegramInbound, uploads: TelegramUploads, directory: Directory):
        self.inbound = inbound
        self.uploads = uploads
        self.directory = directory
        self.app = inbound.app

    async def on_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person = await self._factory_contact(update)
        if person is None:
            await self.uploads.on_photo(update, context)
            return
        photo = update.effective_message.photo[-1]  # the largest size Telegram made
        await self._report(update, person, photo)

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person = await self._factory_contact(update)
        if person is None:
            await self.uploads.on_document(update, context)
            return
        await self._report(update, person, update.effective_message.document)

    async def _factory_contact(self, update: Update) -> Person | None:
        person = await self.directory.person(Platform.TELEGRAM, update.effective_user.id)
        return person if person is not None and person.role is Role.FACTORY else None

    async def _report(self, update: Update, person: Person, attachment) -> None:
        language = language_of(person)
        target = await self._instruction_awaiting_photos(update)
        if target is None:
            if update.effective_chat.type == ChatType.PRIVATE:  # in a group, photos may be chat
                await update.effective_message.reply_text(language.gettext(TAP_FIRST))
            return
        content = bytes(await (await attachment.get_file()).download_as_bytearray())
        actor = Actor(person, Platform.TELEGRAM)
        reply = await report_with_photo(self.app, actor, target, content, f"telegram:{update.update_id}")
        self.inbound.deliver()
        await update.effective_message.reply_text(reply_text(reply, language))

    async def _instruction_awaiting_photos(self, update: Update) -> int | None:
        """The instruction this photo is for: the "done" prompt it answers, or the album an
        earlier photo answered it with. The prompt stays open for the album's other photos."""
        message = update.effective_message
        chat, user = str(message.chat.id), str(update.effective_user.id)
        album = f"{ALBUM}{message.media_group_id}" if message.media_group_id else None
        prompt = await self.inbound.prompt_answered(update)
        found = None
        if album:
            found = await instruction_awaiting_photos(self.app, Platform.TELEGRAM, chat, user, album, album)
        if found is None and prompt is not None:
            found = await instruction_awaiting_photos(self.app, Platform.TELEGRAM, chat, user, prompt, album)
        return found
