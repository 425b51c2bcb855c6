"""Telegram updates into commands and queries: button taps, typed messages, commands.

Each handler only translates: who acted (from the store), what they asked (a command for
the bus or a status query), and the answer in their language. Uploads live in uploads.py.
"""

from __future__ import annotations

import logging
from functools import partial
from html import escape

from telegram import CallbackQuery, ForceReply, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot import people
from bot.actions import ASKS_FOR_PHOTOS, ASKS_FOR_TEXT, command_for
from bot.evidence import ASK_FOR_PHOTOS
from bot.intents import intent_of
from bot.app import App
from bot.directory import Directory
from bot.telegram.links import TELEGRAM_LINKS
from bot.answers import Answer, answer_in, chart_of
from bot.telegram.limits import caption_fits, short_answer, split_message
from bot.telegram.private import asked_by_link, start_link
from handlers.audience import audience_of
from handlers.catalog import N_
from handlers.commands import Actor, Command
from handlers.model import Person, Platform, PlatformAccount
from handlers.prompts import Prompt
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.replies import reply_text

log = logging.getLogger(__name__)
SURFACE = "telegram"

STRANGER = N_("Sorry, this bot works only for the people of its buyer and their factories. "
              "Ask the buyer for an invitation link.")
STALE_BUTTON = N_("This button is no longer valid. Please use the latest message.")
ASK_TEXT = {
    "note": N_("Send the new wording of the note for this instruction (reply to this message)."),
    "reason": N_("Please reply to this message with the reason for your dispute."),
    "date": N_("Please reply to this message with the date you will have it done by, e.g. 2026-12-05 or 12月5日."),
    "what_is_wrong": N_("Reply to this message with what is still wrong; the factory gets it as you write it."),
}


class TelegramInbound:
    def __init__(self, app: App, directory: Directory, deliver):
        self.app = app
        self.directory = directory
        self.deliver = deliver  # wakes the outbox dispatcher after a change

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        person = await self.directory.person(Platform.TELEGRAM, query.from_user.id)
        language = language_of(person, query.from_user.language_code)
        account = PlatformAccount(platform=Platform.TELEGRAM, user_id=str(query.from_user.id))
        if person is None:
            revoked = await self.directory.stranger(account, self.app.bus.clock.now(), "tap", query.from_user.full_name)
            refusal = people.revoked_text(revoked, self.app.settings.factories) if revoked else language.gettext(STRANGER)
            await answer_query(query, short_answer(refusal), show_alert=True)
            return
        async with self.app.store.unit_of_work() as uow:
            resolved = await uow.tokens.resolve(query.data or "")
        if resolved is None:
            await self.directory.refused(self.app.bus.clock.now(), "tap", "unknown_button", account=account, who=person)
            await answer_query(query, language.gettext(STALE_BUTTON), show_alert=True)
            return
        action, target = resolved
        if action in ASKS_FOR_TEXT or action in ASKS_FOR_PHOTOS:
            await answer_query(query)
            await self._ask_for_text(update, person, action, target, language)
            return
        reply = await self._handle(command_for(action, target), person, update)
        await answer_query(query, short_answer(reply_text(reply, language)), show_alert=not reply.ok)

    async def _ask_for_text(self, update: Update, person: Person, action: str, target: int, language: Language):
        """Edit and Dispute need words, a done report needs photos: ask with ForceReply and
        remember what the answer is for."""
        chat = update.effective_chat
        user = update.effective_user
        # In a group, ForceReply(selective) reaches only people the message mentions.
        asked = ASK_FOR_PHOTOS if action in ASKS_FOR_PHOTOS else ASK_TEXT[ASKS_FOR_TEXT[action]]
        question = escape(language.gettext(asked))
        prompt = await chat.send_message(
            f"{user.mention_html()} {question}",
            parse_mode=ParseMode.HTML,
            reply_markup=ForceReply(selective=True),
        )
        async with self.app.store.unit_of_work() as uow:
            await uow.pending.expect(
                Platform.TELEGRAM, str(chat.id), str(update.effective_user.id), str(prompt.message_id),
                action, target, self.app.bus.clock.now(),
            )
            await uow.commit()

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
        with a note in the chat (bot.answers)."""
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
            await self._stranger(update, "question")
            language = language_of(None, update.effective_user.language_code)
            await update.effective_message.reply_text(language.gettext(STRANGER))
            return
        text = update.effective_message.text or ""
        if not await self._answer_query(update, person, asked_by_link(text) or text):
            await self._reply(update, render(SURFACE, "chat/help.j2", language_of(person)))

    async def _stranger(self, update: Update, attempted: str) -> None:
        """Someone the bot does not act for asked it something: audited, under their account."""
        user = update.effective_user
        account = PlatformAccount(platform=Platform.TELEGRAM, user_id=str(user.id))
        await self.directory.stranger(account, self.app.bus.clock.now(), attempted, user.full_name)

    async def _handle(self, command: Command, person: Person, update: Update):
        reply = await self.app.bus.handle(command, Actor(person, Platform.TELEGRAM), update_key=update_key(update))
        self.deliver()
        return reply

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


async def answer_query(query: CallbackQuery, text: str | None = None, show_alert: bool = False) -> None:
    """Answers a tap. A tap handled again after a restart was answered before the crash, or
    is older than Telegram keeps a query open; what it did stands either way, so Telegram's
    refusal is no failure to tell the person about (they would try again what succeeded)."""
    try:
        await query.answer(text, show_alert=show_alert)
    except BadRequest as exc:
        if "query is too old" not in str(exc).lower():
            raise
        log.info("the tap %s is no longer open on Telegram; its answer is dropped", query.id)


def update_key(update: Update) -> str:
    """What the bus remembers a Telegram update by, so a redelivery or a replay acts once."""
    return f"telegram:{update.update_id}"


def language_of(person: Person | None, language_code: str | None = None) -> Language:
    """The person's language; for a stranger, what their Telegram client is set to."""
    if person is not None:
        return Language(person.locale, person.timezone)
    return Language(CHINESE if (language_code or "").startswith("zh") else ENGLISH)
