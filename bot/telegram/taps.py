"""Button taps on Telegram, through the one tap path (bot/chat/taps.py): this module only says
who tapped, answers the tap, and asks for words or photos with a reply prompt."""

from __future__ import annotations

import asyncio
import logging
from html import escape

from telegram import CallbackQuery, ForceReply, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.chat import people
from bot.chat.actions import ASKS_FOR_PHOTOS, ASKS_FOR_TEXT
from bot.chat.evidence import ASK_FOR_PHOTOS
from bot.chat.taps import Button, Given, stored_button, tap
from bot.telegram.adapter import unless_unchanged
from bot.telegram.chat_order import ChatOrder
from bot.telegram.inbound import STRANGER, TelegramInbound, language_of, update_key
from bot.telegram.keyboard import keyboard
from bot.telegram.limits import short_answer
from handlers.catalog import N_
from handlers.model import Person, Platform, PlatformAccount
from handlers.results import Reply
from messages.buttons import Button as Shown
from messages.i18n import Language
from messages.replies import reply_text

log = logging.getLogger(__name__)

STALE_BUTTON = N_("This button is no longer valid. Please use the latest message.")
ASK_TEXT = {
    "note": N_("Send the new wording of the note for this instruction (reply to this message)."),
    "reason": N_("Please reply to this message with the reason for your dispute."),
    "date": N_("Please reply to this message with the date you will have it done by, e.g. 2026-12-05 or 12月5日."),
    "what_is_wrong": N_("Reply to this message with what is still wrong; the factory gets it as you write it."),
    "chinese": N_("Reply to this message with the Chinese for this item's next text listed in English only; "
                  "the factory reads it as you write it."),
}


# Answers on their way to Telegram at once. Each one in flight holds a connection of its own:
# a hundred taps decided in a burst opened a hundred, and httpcore's pool walks every
# connection (a syscall or two each) to place each request, so an answer cost more the more
# were in flight (benchmarks/telegram_taps.py). The rest wait here, in order, for a turn.
# 32, not the 8 that did as well against the fake on loopback: Telegram answers in some
# 50-150 ms from Europe, and 8 at a time would cap a bot at 50-160 answers a second.
ANSWERS_IN_FLIGHT = 32


class TelegramTaps:
    """Taps beside the other updates `inbound` takes: the same store, directory and outbox."""

    def __init__(self, inbound: TelegramInbound, order: ChatOrder):
        self.app = inbound.app
        self.directory = inbound.directory
        self.deliver = inbound.deliver  # wakes the outbox dispatcher after a change
        # Lets the chat's next updates start once a tap is decided (bot/telegram/chat_order.py).
        self.order = order
        self.answering = asyncio.Semaphore(ANSWERS_IN_FLIGHT)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        surface = TelegramTap(self, update)
        await tap(self.app.bus, surface, update.callback_query.data or "", update_key(update), decided=surface.decided)


class TelegramTap:
    """One callback query, as the tap path sees it (bot.chat.taps.TapSurface)."""

    platform = Platform.TELEGRAM

    def __init__(self, taps: TelegramTaps, update: Update):
        self.taps = taps
        self.app = taps.app
        self.update = update
        self.query = update.callback_query
        self.account = PlatformAccount(platform=Platform.TELEGRAM, user_id=str(self.query.from_user.id))

    async def tapped_by(self) -> Person | None:
        return await self.taps.directory.person(Platform.TELEGRAM, self.query.from_user.id)

    async def button(self, token: str) -> Button | None:
        return await stored_button(self.app.store, token)

    async def stranger(self) -> None:
        user = self.query.from_user
        revoked = await self.taps.directory.stranger(self.account, self.app.bus.clock.now(), "tap", user.full_name)
        refusal = (people.revoked_text(revoked, self.app.settings.factories) if revoked
                   else language_of(None, user.language_code).gettext(STRANGER))
        await self._answer(short_answer(refusal), show_alert=True)

    async def stale(self, person: Person) -> None:
        await self.taps.directory.refused(self.app.bus.clock.now(), "tap", "unknown_button", account=self.account,
                                          who=person)
        await self._answer(language_of(person).gettext(STALE_BUTTON), show_alert=True)

    async def ask(self, person: Person, action: str, target: int) -> Given | None:
        """Edit and Dispute need words, a done report needs photos: asked with ForceReply,
        remembering what the answer is for."""
        await self._answer_query()
        chat, user = self.update.effective_chat, self.update.effective_user
        # In a group, ForceReply(selective) reaches only people the message mentions.
        asked = ASK_FOR_PHOTOS if action in ASKS_FOR_PHOTOS else ASK_TEXT[ASKS_FOR_TEXT[action]]
        question = escape(language_of(person).gettext(asked))
        prompt = await chat.send_message(f"{user.mention_html()} {question}", parse_mode=ParseMode.HTML,
                                         reply_markup=ForceReply(selective=True))
        async with self.app.store.unit_of_work() as uow:
            await uow.pending.expect(Platform.TELEGRAM, str(chat.id), str(user.id), str(prompt.message_id),
                                     action, target, self.app.bus.clock.now())
            await uow.commit()
        return None

    async def answer(self, person: Person, action: str, target: int, reply: Reply) -> None:
        if reply.changed:
            self.taps.deliver()  # a repeated tap leaves the outbox as it was: no delivery round for it
        await self._answer(short_answer(reply_text(reply, language_of(person))), show_alert=not reply.ok)

    async def decided(self) -> None:
        """The tap's change is about to commit: the chat's next tap may go on now, and be
        committed with it (storage/shared_commit.py), rather than wait for its fsync."""
        self.taps.order.release_taps(self.update.update_id)

    async def _answer(self, text: str, show_alert: bool) -> None:
        """The tap's last word: what it did is committed, so the chat's next update need not
        wait for Telegram to take the answer."""
        self.taps.order.release(self.update.update_id)
        await self._answer_query(text, show_alert)

    def language(self, person: Person) -> Language:
        return language_of(person)

    async def show(self, person: Person, buttons: tuple[Shown, ...]) -> None:
        """The tapped message's keyboard becomes `buttons`: a menu opens where it was tapped."""
        markup = await keyboard(self.app.store, buttons, self.app.bus.clock.now())
        await unless_unchanged(self.query.edit_message_reply_markup(reply_markup=markup))
        await self._answer_query()

    async def _answer_query(self, text: str | None = None, show_alert: bool = False) -> None:
        async with self.taps.answering:
            await answer_query(self.query, text, show_alert)


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
