"""An inspector sends a visit report in Telegram: files are fetched from the Bot API and
handed to the platform-neutral `bot.chat.uploads`; its answer goes back to the chat."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.chat.directory import Directory
from bot.chat.uploads import Uploads
from bot.telegram.inbound import STRANGER, language_of
from bot.telegram.limits import seconds, split_plain_message
from handlers.catalog import N_
from handlers.commands import Actor, PostVisit
from handlers.model import Person, Platform, PlatformAccount
from messages.i18n import Language

log = logging.getLogger(__name__)

# The cloud Bot API lets bots download files of at most 20 MB (a self-hosted server: more).
DOWNLOAD_LIMIT = 20 * 1024 * 1024
CONFIRM_TRIES = 3

ONLY_INSPECTORS = N_("Only inspectors can send visit reports.")
TOO_BIG = N_("%(name)s is %(size)s MB; Telegram lets bots download files up to 20 MB. "
             "Send the report file and the photos separately.")
AS_FILES = N_("Please send inspection photos as files (📎 → File), so their names and capture times are kept.")


class TelegramUploads:
    def __init__(self, uploads: Uploads, directory: Directory, deliver):
        self.uploads = uploads
        self.directory = directory
        self.deliver = deliver

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person, language = await self._inspector(update)
        if person is None:
            return
        document = update.effective_message.document
        name = Path(document.file_name or "upload").name
        if (document.file_size or 0) > DOWNLOAD_LIMIT:
            size = f"{document.file_size / 1024 / 1024:.1f}"
            await self._say(update, language.gettext(TOO_BIG) % {"name": name, "size": size})
            return
        content = b""
        if self.uploads.accepts(name):
            content = bytes(await (await document.get_file()).download_as_bytearray())
        answer = await self.uploads.receive(
            Actor(person, Platform.TELEGRAM), f"telegram-{update.effective_user.id}", name, content,
            update_key=f"telegram:{update.update_id}",
        )
        if answer.reply is None:
            await self._say(update, answer.text)
            return
        self.deliver()
        await self._confirm(update, answer.text)

    async def on_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person, language = await self._inspector(update)
        if person is not None:
            await self._say(update, language.gettext(AS_FILES))

    async def _inspector(self, update: Update) -> tuple[Person | None, Language]:
        """Who sent a report, when they may post visits; else None, they are told, and the
        refusal is audited."""
        user = update.effective_user
        person = await self.directory.person(Platform.TELEGRAM, user.id)
        language = language_of(person, user.language_code)
        account = PlatformAccount(platform=Platform.TELEGRAM, user_id=str(user.id))
        now = self.uploads.app.bus.clock.now()
        if person is None:
            await self.directory.stranger(account, now, "upload", user.full_name)
            await self._say(update, language.gettext(STRANGER))
            return None, language
        if await self.uploads.app.bus.may_give(PostVisit, Actor(person, Platform.TELEGRAM)) is not None:
            await self._say(update, language.gettext(ONLY_INSPECTORS))
            return None, language
        return person, language

    async def _confirm(self, update: Update, text: str) -> None:
        """The visit is stored and its messages are in the outbox: keep trying to say so
        through a 429 storm, and never report a committed post as failed."""
        for _ in range(CONFIRM_TRIES):
            try:
                await self._say(update, text)
                return
            except RetryAfter as exc:
                await asyncio.sleep(seconds(exc.retry_after))
            except TelegramError:
                break
        log.warning("could not confirm the posted visit to user %s", update.effective_user.id)

    async def _say(self, update: Update, text: str) -> None:
        for chunk in split_plain_message(text):
            await update.effective_message.reply_text(chunk)
