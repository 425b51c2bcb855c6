"""A factory contact answers "done, with photos" by sending photos in reply: each photo is
fetched, checked and reported with `bot.chat.evidence`. The photos of one album all count for
the same instruction; anything else a factory contact sends goes where it did before."""

from __future__ import annotations

from telegram import Document, PhotoSize, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.chat.directory import Directory
from bot.chat.evidence import MAX_BYTES, awaiting_photos, over_limit, report_photo, tap_first, too_large
from bot.chat.fetch import FetchFailed, TooLarge, fetch
from bot.telegram.inbound import TelegramInbound, language_of, update_key
from bot.telegram.uploads import TelegramUploads
from handlers.commands import Actor
from handlers.model import Person, Platform, Role
from handlers.prompts import Prompt
from handlers.results import Reply
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

    async def _report(self, update: Update, person: Person, attachment: PhotoSize | Document) -> None:
        """Reports the photo for the question it answers; an update handled before a crash is
        answered as it was then."""
        key = update_key(update)
        reply = await self.app.bus.handled(key)
        if reply is None:
            awaited = await awaiting_photos(self.app, await self._candidates(update))
            if awaited is not None:
                reply = await self._fetch_and_report(update, person, attachment, *awaited)
        if reply is None:
            if update.effective_chat.type == ChatType.PRIVATE:  # in a group, photos may be chat
                text = tap_first(self.app.settings.routing, person, Platform.TELEGRAM, str(update.effective_chat.id))
                await update.effective_message.reply_text(text)
            return
        self.inbound.deliver()
        await update.effective_message.reply_text(reply_text(reply, language_of(person)))

    async def _candidates(self, update: Update) -> list[tuple[Prompt, str | None]]:
        """Where the bot may wait for this photo: the album an earlier photo of it answered a
        question with, then the question it replies to. The question stays open under the
        album's id for the album's other photos."""
        message = update.effective_message
        chat, user = str(message.chat.id), str(update.effective_user.id)
        album = f"{ALBUM}{message.media_group_id}" if message.media_group_id else None
        candidates = [(Prompt(Platform.TELEGRAM, chat, user, album), album)] if album else []
        if (prompt := await self.inbound.prompt_answered(update)) is not None:
            candidates.append((prompt, album))
        return candidates

    async def _fetch_and_report(self, update: Update, person: Person, attachment: PhotoSize | Document,
                                prompt: Prompt, keep_as: str | None) -> Reply | None:
        """The size Telegram declares is checked before asking for the file, and the download
        stops at the limit whatever was declared."""
        if refusal := too_large(attachment.file_size):
            return refusal
        file = await attachment.get_file()
        if refusal := too_large(file.file_size):
            return refusal
        try:
            content = await fetch(file.file_path, MAX_BYTES)
        except TooLarge:
            return over_limit()
        except FetchFailed as exc:  # the file URL carries the token: only why is logged
            raise RuntimeError(f"Telegram did not serve the file {attachment.file_unique_id}: {exc}") from None
        name = attachment.file_name if isinstance(attachment, Document) else None
        return await report_photo(self.app, Actor(person, Platform.TELEGRAM), content, name,
                                  prompt=prompt, keep_as=keep_as, update_key=update_key(update))
