"""Outbox messages to Telegram: the primitives the delivery plan (bot/outbox/) calls, within
Telegram's limits. Text goes as HTML, a message's buttons as an inline keyboard on its last
part, a finding's photos as media groups before it; decisions edit the message in place.

A primitive that takes several calls (photos in groups, text in chunks) sends each as a
part of the message's `Progress`, so a retry after a failure sends only what is missing."""

from __future__ import annotations

import logging
import warnings

from telegram import Bot, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.warnings import PTBUserWarning

from bot.outbox.adapter import PlannedAdapter
from bot.outbox.failures import Failure
from bot.outbox.notice_documents import NoticeDocuments
from bot.outbox.progress import Progress
from bot.outbox.surface import Draft, Limits, Target, TextFormat
from bot.telegram.failures import classify
from bot.telegram.keyboard import keyboard
from bot.outbox.pacing import Lane, Pacer
from bot.telegram.limits import (
    CAPTION_LIMIT, FILE_LIMIT, MEDIA_GROUP_LIMIT, MESSAGE_LIMIT, chat_lanes, lanes, utf16_length,
)
from handlers.clock import Clock
from handlers.model import Platform
from messages.buttons import Button
from storage.media import MediaStore

log = logging.getLogger(__name__)


class TelegramAdapter(PlannedAdapter):
    platform = Platform.TELEGRAM
    templates = "telegram"
    limits = Limits(text=MESSAGE_LIMIT, caption=CAPTION_LIMIT, photos_per_group=MEDIA_GROUP_LIMIT,
                    file_size=FILE_LIMIT, format=TextFormat.HTML, measure=utf16_length)
    buttons_keep_text = True  # editMessageReplyMarkup

    def __init__(self, bot: Bot, store, media: MediaStore, clock: Clock, documents: NoticeDocuments,
                 pacer: Pacer | None = None):
        super().__init__(store, clock, documents, pacer)
        self.bot = bot
        self.media = media
        # `_edit` calls these through do_api_request on purpose, which PTB warns about.
        warnings.filterwarnings("ignore", message=r"Please use 'Bot\.(editMessageText|editMessageReplyMarkup)'",
                                category=PTBUserWarning)

    def classify(self, error: Exception) -> Failure | None:
        return classify(error, self.bot.token)

    async def chat(self, destination: str) -> int:
        return int(destination)

    def chat_lanes(self, destination: str) -> tuple[Lane, ...]:
        return chat_lanes(int(destination))

    async def send_photos(self, to: Target, photos, caption: str | None, progress: Progress) -> None:
        """Captioned with what they show; a media group cannot carry buttons, so the buttons
        come with the text that follows."""
        try:
            paths = [path for path in (self.media.find(sha256) for _, sha256 in photos) if path is not None]
            for start in range(0, len(paths), self.limits.photos_per_group):
                group = paths[start:start + self.limits.photos_per_group]
                await progress.part(f"photos-{start}", lambda group=group: self._send_group(to.chat, group, caption))
        except BadRequest as exc:
            if self.classify(exc).holds_destination:
                raise  # not the photo: the chat
            # The buyer must still get the finding and its buttons; the photo stays stored.
            log.warning("photos of %s refused by Telegram; sending the text alone", to.view.item.label, exc_info=True)

    async def send_text(self, to: Target, draft: Draft, progress: Progress) -> str:
        """A message per chunk; the buttons go on the last."""
        markup = await keyboard(self.store, draft.buttons, self.clock.now())
        part = to.subject if draft.again else "text"
        reference = ""
        for i, chunk in enumerate(draft.messages):
            last = i == len(draft.messages) - 1
            reference = await progress.part(f"{part}-{i}", lambda chunk=chunk, last=last: self.paced(
                lanes(to.chat), lambda: _sent(self.bot.send_message(
                    to.chat, chunk, parse_mode=ParseMode.HTML, reply_markup=markup if last else None))))
        return reference

    async def send_file(self, to: Target, reference: str, name: str, content: bytes) -> str:
        return await self.paced(lanes(to.chat), lambda: _sent(self.bot.send_document(to.chat, content, filename=name)))

    async def edit(self, to: Target, reference: str, text: str, buttons: tuple[Button, ...]) -> bool:
        if utf16_length(text) > MESSAGE_LIMIT:
            return False
        markup = await keyboard(self.store, buttons, self.clock.now())
        await self._edit("editMessageText", to.chat, reference, text=text, parse_mode=ParseMode.HTML,
                         reply_markup=markup)
        return True

    async def replace_buttons(self, to: Target, reference: str, buttons: tuple[Button, ...], text: str,
                              note: str) -> None:
        """The keyboard alone changes: the message keeps its text."""
        markup = await keyboard(self.store, buttons, self.clock.now())
        await self._edit("editMessageReplyMarkup", to.chat, reference, reply_markup=markup)

    async def _edit(self, method: str, chat: int, reference: str, **params) -> None:
        """An edit whose answer, the message as edited, nothing reads: do_api_request hands it
        back as it came, where PTB's edit_message_text builds a Message of it (some 150 us of
        the loop for a finding's, a third of the edit's call). The call is PTB's as before
        (its limiter, its parameters, None ones left out, and Telegram's errors mapped as
        they were); an edit that changes nothing is no failure."""
        params = {"chat_id": chat, "message_id": _message_id(reference), **params}
        await unless_unchanged(self.bot.do_api_request(method, params))

    async def _send_group(self, chat_id: int, group: list, caption: str | None) -> None:
        if len(group) == 1:
            await self.paced(lanes(chat_id), lambda: self.bot.send_photo(
                chat_id, group[0].read_bytes(), caption=caption, parse_mode=ParseMode.HTML))
            return
        media = [
            InputMediaPhoto(path.read_bytes(), caption=caption if i == 0 else None, parse_mode=ParseMode.HTML)
            for i, path in enumerate(group)
        ]
        await self.paced(lanes(chat_id, len(media)), lambda: self.bot.send_media_group(chat_id, media))


async def _sent(sending) -> str:
    """The reference of a message once sent: chat and message id."""
    sent = await sending
    return f"{sent.chat_id}:{sent.message_id}"


def _message_id(reference: str) -> int:
    return int(reference.split(":")[1])


async def unless_unchanged(editing) -> None:
    """An edit that changes nothing (a retry, a decision shown already) is not a failure."""
    try:
        await editing
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
