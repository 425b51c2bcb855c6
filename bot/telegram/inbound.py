"""Telegram updates into commands and queries: typed messages, answers to the bot's
questions, commands.

Each handler only translates: who acted (from the store), what they asked (a command for
the bus or a status query), and the answer in their language. Taps live in taps.py, uploads
in uploads.py.
"""

from __future__ import annotations

import logging
from functools import partial

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.chat.actions import command_for
from bot.chat.intents import intent_of
from bot.app import App
from bot.chat.directory import Directory
from bot.telegram.links import TELEGRAM_LINKS
from bot.chat.answers import Answer, answer_in, chart_of
from bot.telegram.limits import caption_fits, split_message
from bot.telegram.private import asked_by_link, start_link
from handlers.queries.audience import audience_of
from handlers.catalog import N_
from handlers.commands import Actor
from handlers.model import Person, Platform, PlatformAccount
from handlers.prompts import Prompt
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.replies import reply_text

log = logging.getLogger(__name__)
SURFACE = "telegram"

STRANGER = N_("Sorry, this bot works only for the people of its buyer and their factories. "
              "Ask the buyer for an invitation link.")


class TelegramInbound:
    def __init__(self, app: App, directory: Directory, deliver):
        self.app = app
        self.directory = directory
        self.deliver = deliver  # wakes the outbox dispatcher after a change

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        person = await self.directory.person(Platform.TELEGRAM, update.effective_user.id)
        language = language_of(person, update.effective_user.language_code)
        if person is None:
            private = update.effective_chat.type == ChatType.PRIVATE
            if private or intent_of(message.text or "") is not None:  # a group's talk is not for the bot
                await self._stranger(update, "question")
            if private:
                await message.reply_text(language.gettext(STRANGER))
            return
        if await self._answer_prompt(update, person, language):
            return
        if not await self._answer_query(update, person, message.text or ""):
            if update.effective_chat.type == ChatType.PRIVATE:
                await self._reply(update, render(SURFACE, "chat/help.j2", language))

    async def _answer_prompt(self, update: Update, person: Person, language: Language) -> bool:
        """Words answering the bot's question (a reason, new wording, a date): the question is
        taken with the command's effect, so a crash in between loses neither. An update handled
        before a crash is answered as it was then."""
        key = update_key(update)
        reply = await self.app.bus.handled(key)
        if reply is None:
            prompt = await self.prompt_answered(update)
            if prompt is None:
                return False
            text = update.effective_message.text
            reply = await self.app.bus.answer(prompt, Actor(person, Platform.TELEGRAM), key,
                                              lambda action, target: command_for(action, target, text))
            if reply is None:
                return False  # a reply to some other message of the bot: read it as a question
            self.deliver()
        await update.effective_message.reply_text(reply_text(reply, language))
        return True

    async def prompt_answered(self, update: Update) -> Prompt | None:
        """The bot's question this message answers: the one it replies to, or in a private
        chat (where some clients drop the reply) the person's latest open question."""
        message = update.effective_message
        chat, user = str(message.chat.id), str(update.effective_user.id)
        replied = message.reply_to_message
        if replied is not None:
            from_bot = replied.from_user and replied.from_user.is_bot
            return Prompt(Platform.TELEGRAM, chat, user, str(replied.message_id)) if from_bot else None
        if update.effective_chat.type != ChatType.PRIVATE:
            return None
        async with self.app.store.unit_of_work() as uow:
            latest = await uow.pending.latest(Platform.TELEGRAM, chat, user)
        return Prompt(Platform.TELEGRAM, chat, user, latest[2]) if latest else None

    async def _answer_query(self, update: Update, person: Person, text: str) -> bool:
        """Answers in the chat what all its readers may see; more goes to the asker privately,
        with a note in the chat (bot.chat.answers)."""
        chat = update.effective_chat
        audience = audience_of(self.app.settings.routing, Platform.TELEGRAM, str(chat.id),
                               private=chat.type == ChatType.PRIVATE)
        found = await answer_in(self.app, SURFACE, person, text, audience, links=TELEGRAM_LINKS)
        if found is None:
            return False
        note = None
        if found.private is not None:
            reached = await self._send_privately(update, found.private)
            link = None if reached else start_link(update.get_bot().username, found.command)
            note = found.note(SURFACE, reached, link)
        message = update.effective_message
        await self._send(found.for_chat(note), message.reply_text, message.reply_photo)
        return True

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/status, /orders, /factories, /help: the same answers as typed questions; and
        /start from a link to a question asked in a group (bot/telegram/private.py)."""
        person = await self.directory.person(Platform.TELEGRAM, update.effective_user.id)
        if person is None:
            await self.refuse_stranger(update)
            return
        text = update.effective_message.text or ""
        if not await self._answer_query(update, person, asked_by_link(text) or text):
            await self._reply(update, render(SURFACE, "chat/help.j2", language_of(person)))

    async def refuse_stranger(self, update: Update) -> None:
        """A command from someone the bot does not act for: audited, and told so."""
        await self._stranger(update, "question")
        language = language_of(None, update.effective_user.language_code)
        await update.effective_message.reply_text(language.gettext(STRANGER))

    async def _stranger(self, update: Update, attempted: str) -> None:
        """Someone the bot does not act for asked it something: audited, under their account."""
        user = update.effective_user
        account = PlatformAccount(platform=Platform.TELEGRAM, user_id=str(user.id))
        await self.directory.stranger(account, self.app.bus.clock.now(), attempted, user.full_name)

    async def _reply(self, update: Update, html: str) -> None:
        for chunk in split_message(html):
            await update.effective_message.reply_text(chunk, parse_mode=ParseMode.HTML)

    async def _send_privately(self, update: Update, found: Answer) -> bool:
        """The asker's own answer in their private chat; False when Telegram will not let the
        bot write there: they never started it, or blocked it."""
        bot, user_id = update.get_bot(), update.effective_user.id
        try:
            await self._send(found, partial(bot.send_message, user_id), partial(bot.send_photo, user_id))
        except (Forbidden, BadRequest) as exc:
            if isinstance(exc, BadRequest) and "chat not found" not in str(exc).lower():
                raise
            log.info("cannot write to Telegram user %s privately (%s); the chat gets the link", user_id, exc)
            return False
        return True

    async def _send(self, found: Answer, send_text, send_photo) -> None:
        """An answer's text; a status with its chart, the status as the caption (or first, when
        too long for a caption)."""
        caption = found.text if found.status is not None and caption_fits(found.text) else None
        if caption is None:
            for chunk in split_message(found.text):
                await send_text(chunk, parse_mode=ParseMode.HTML)
        if found.status is not None:
            chart = await chart_of(self.app, found)
            await send_photo(chart.png, caption=caption, parse_mode=ParseMode.HTML, filename=chart.filename)


def update_key(update: Update) -> str:
    """What the bus remembers a Telegram update by, so a redelivery or a replay acts once."""
    return f"telegram:{update.update_id}"


def language_of(person: Person | None, language_code: str | None = None) -> Language:
    """The person's language; for a stranger, what their Telegram client is set to."""
    if person is not None:
        return Language(person.locale, person.timezone)
    return Language(CHINESE if (language_code or "").startswith("zh") else ENGLISH)
