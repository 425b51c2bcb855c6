"""Outbox messages to Telegram: rendered from the current state (a notice: from the version
it carries), sent within Telegram's limits, and edited in place when a decision changes what
a message shows.

A message that takes several calls (photos, the text in chunks, the notice's PDF) sends
each as a part of its `Progress`, so a retry after a failure sends only what is missing.
Edits are not parts: repeating one changes nothing."""

from __future__ import annotations

import dataclasses
import logging

from telegram import Bot, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.failures import Failure
from bot.message_refs import MessageRefs, subject_of
from bot.notice_documents import NoticeDocuments
from bot.progress import Progress
from bot.telegram.failures import classify
from bot.telegram.keyboard import keyboard
from bot.telegram.limits import CAPTION_LIMIT, MEDIA_GROUP_LIMIT, split_message, utf16_length
from handlers.clock import Clock
from handlers.message_kinds import MessageKind
from handlers.model import OutgoingMessage, Platform
from handlers.views import View
from messages.environment import render
from messages.i18n import Language
from messages.render import Rendered, render_view
from storage.media import MediaStore

log = logging.getLogger(__name__)
SURFACE = "telegram"


class TelegramAdapter:
    platform = Platform.TELEGRAM

    def __init__(self, bot: Bot, store, media: MediaStore, clock: Clock, documents: NoticeDocuments):
        self.bot = bot
        self.store = store
        self.media = media
        self.clock = clock
        self.documents = documents
        self.refs = MessageRefs(store, Platform.TELEGRAM, clock)

    def classify(self, error: Exception) -> Failure | None:
        return classify(error, self.bot.token)

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress) -> str | None:
        language = Language(message.locale, message.timezone)
        chat_id = int(message.destination)
        if view.kind == MessageKind.INSTRUCTION_DECIDED:
            return await self._show_decision(chat_id, message, view, language, progress)
        closed = view.kind == MessageKind.NOTICE_CLOSED
        if closed and (reference := await self.refs.find(message.destination, subject_of(view))):
            # The answer is given: the notice keeps its text; its buttons become what now
            # applies (a completion date, a done report per instruction) or none.
            buttons = render_view(SURFACE, dataclasses.replace(view, kind=MessageKind.NOTICE), language).buttons
            markup = await keyboard(self.store, buttons, self.clock.now())
            await _unless_unchanged(self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=int(reference.split(":")[1]), reply_markup=markup))
            return reference
        rendered = render_view(SURFACE, view, language)
        if rendered.photos:
            try:
                await self._send_photos(chat_id, view, rendered.photos, language, progress)
            except BadRequest as exc:
                if self.classify(exc).holds_destination:
                    raise  # not the photo: the chat
                # The buyer must still get the finding and its buttons; the photo stays stored.
                log.warning("photos of %s refused by Telegram; sending the text alone", view.item.label,
                            exc_info=True)
        reference = await self._send(chat_id, rendered, progress)
        if subject := subject_of(view):
            await self.refs.remember(message.destination, subject, reference)
        if view.kind == MessageKind.NOTICE:
            await progress.part("document", lambda: self._send_pdf(chat_id, view))
        if view.kind == MessageKind.NOTICE_SENT:
            await self._refresh_items(chat_id, message, view, language, progress)
        return reference

    async def _send(self, chat_id: int, rendered: Rendered, progress: Progress, part: str = "text") -> str:
        """Sends the text in as many messages as it takes; the buttons go on the last one."""
        chunks = split_message(rendered.text)
        markup = await keyboard(self.store, rendered.buttons, self.clock.now())
        reference = ""
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            reference = await progress.part(f"{part}-{i}", lambda chunk=chunk, last=last: self._sent(
                self.bot.send_message(chat_id, chunk, parse_mode=ParseMode.HTML, reply_markup=markup if last else None)
            ))
        return reference

    async def _send_pdf(self, chat_id: int, view: View) -> str:
        pdf = await self.documents.pdf(view)
        return await self._sent(self.bot.send_document(chat_id, pdf, filename=f"{view.notice.number}.pdf"))

    @staticmethod
    async def _sent(sending) -> str:
        """The reference of a message once sent: chat and message id."""
        sent = await sending
        return f"{sent.chat_id}:{sent.message_id}"

    async def _send_photos(self, chat_id: int, view: View, photos, language: Language, progress: Progress) -> None:
        """The finding's photos first, captioned with what they show; a media group cannot
        carry buttons, so the decision buttons come with the text that follows."""
        caption = render(SURFACE, "chat/caption.j2", language, it=view.item)
        if utf16_length(caption) > CAPTION_LIMIT:
            caption = None
        paths = [self.media.find(sha256) for _, sha256 in photos]
        paths = [p for p in paths if p is not None]
        for start in range(0, len(paths), MEDIA_GROUP_LIMIT):
            group = paths[start:start + MEDIA_GROUP_LIMIT]
            await progress.part(f"photos-{start}", lambda group=group: self._send_group(chat_id, group, caption))

    async def _send_group(self, chat_id: int, group: list, caption: str | None) -> None:
        if len(group) == 1:
            await self.bot.send_photo(chat_id, group[0].read_bytes(), caption=caption, parse_mode=ParseMode.HTML)
            return
        media = [
            InputMediaPhoto(path.read_bytes(), caption=caption if i == 0 else None, parse_mode=ParseMode.HTML)
            for i, path in enumerate(group)
        ]
        await self.bot.send_media_group(chat_id, media)

    async def _refresh_items(self, chat_id, message: OutgoingMessage, view: View, language: Language,
                             progress: Progress) -> None:
        """Sent instructions can no longer be decided: their messages lose their buttons."""
        for item in view.items:
            one = dataclasses.replace(view, kind=MessageKind.INSTRUCTION_DECIDED, items=(item,))
            if await self.refs.find(message.destination, subject_of(one)) is not None:
                await self._show_decision(chat_id, message, one, language, progress)

    async def _show_decision(self, chat_id: int, message: OutgoingMessage, view: View, language: Language,
                             progress: Progress) -> str:
        """Edits the finding's message to show the decision and the buttons that still apply."""
        as_finding = render_view(SURFACE, dataclasses.replace(view, kind=MessageKind.FINDING), language)
        rendered = Rendered(as_finding.text, render_view(SURFACE, view, language).buttons)
        subject = subject_of(view)
        reference = await self.refs.find(message.destination, subject_of(view))
        if reference is None or utf16_length(rendered.text) > 4096:
            reference = await self._send(chat_id, rendered, progress, part=subject)
            await self.refs.remember(message.destination, subject, reference)
            return reference
        markup = await keyboard(self.store, rendered.buttons, self.clock.now())
        await _unless_unchanged(self.bot.edit_message_text(
            rendered.text, chat_id=chat_id, message_id=int(reference.split(":")[1]),
            parse_mode=ParseMode.HTML, reply_markup=markup,
        ))
        return reference


async def _unless_unchanged(editing) -> None:
    """An edit that changes nothing (a retry, a decision shown already) is not a failure."""
    try:
        await editing
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
