"""Outbox messages to Slack: Block Kit from the current state (a notice: from the version it
carries), findings threaded under the visit summary with their photos inline, decisions shown
by editing the message in place.

The calls that add something to a channel (each batch of blocks, the notice's PDF) and the
photo uploads are parts of the message's `Progress`: a retry after a failure makes only
the calls still missing. Edits are not parts: repeating one changes nothing."""

from __future__ import annotations

import dataclasses
import json

from slack_sdk.web.async_client import AsyncWebClient

from bot.actions import with_tokens
from bot.failures import Failure
from bot.message_refs import MessageRefs, subject_of
from bot.notice_documents import NoticeDocuments
from bot.progress import Progress
from bot.slack.failures import classify
from handlers.clock import Clock
from handlers.message_kinds import MessageKind
from handlers.model import OutgoingMessage, Platform
from handlers.views import View
from messages import slack_blocks as kit
from messages.i18n import Language
from messages.render import Rendered, render_view
from messages.split import split_text
from storage.media import MediaStore

SURFACE = "slack"
FALLBACK_LIMIT = 3000  # the notification text beside the blocks


class SlackAdapter:
    platform = Platform.SLACK

    def __init__(self, client: AsyncWebClient, store, media: MediaStore, clock: Clock, documents: NoticeDocuments):
        self.client = client
        self.store = store
        self.media = media
        self.clock = clock
        self.documents = documents
        self.refs = MessageRefs(store, Platform.SLACK, clock)

    def classify(self, error: Exception) -> Failure | None:
        return classify(error)

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress) -> str | None:
        language = Language(message.locale, message.timezone)
        channel = await self._channel(message.destination)
        if view.kind == MessageKind.INSTRUCTION_DECIDED:
            return await self._show_decision(channel, message, view, language, progress)
        closed = view.kind == MessageKind.NOTICE_CLOSED
        if closed and (reference := await self.refs.find(message.destination, subject_of(view))):
            # The answer is given: the notice keeps its text, loses its buttons, says who answered.
            notice = render_view(SURFACE, dataclasses.replace(view, kind=MessageKind.NOTICE), language).text
            closed = render_view(SURFACE, view, language).text
            buttons = render_view(SURFACE, dataclasses.replace(view, kind=MessageKind.NOTICE), language).buttons
            actions = kit.action_blocks(await with_tokens(self.store, buttons, self.clock.now()), language)
            ref_channel, ts = reference.rsplit(":", 1)
            await self.client.chat_update(channel=ref_channel, ts=ts, text=_fallback(notice),
                                          blocks=kit.text_blocks(notice) + kit.text_blocks(closed) + actions)
            return reference
        rendered = render_view(SURFACE, view, language)
        thread = await self._thread_for(message.destination, view)
        photos = await progress.part("photos", lambda: self._upload(rendered.photos)) if rendered.photos else []
        text = rendered.text.split("\n", 1)[-1] if view.kind == MessageKind.VISIT_SUMMARY else rendered.text  # header says it
        blocks = kit.head_blocks(view, language) + kit.text_blocks(text) + kit.image_blocks(photos)
        blocks += kit.action_blocks(await with_tokens(self.store, rendered.buttons, self.clock.now()), language)
        reference = await self._post(channel, rendered.text, blocks, thread, progress)
        if subject := subject_of(view):
            await self.refs.remember(message.destination, subject, reference)
            if photos:  # a decision rewrites the message: its photos must stay
                await self.refs.remember(message.destination, f"photos:{subject}", json.dumps(photos))
        if view.kind == MessageKind.NOTICE:
            await progress.part("document", lambda: self._upload_pdf(channel, reference, view))
        if view.kind == MessageKind.NOTICE_SENT:
            await self._refresh_items(channel, message, view, language, progress)
        return reference

    async def _channel(self, destination: str) -> str:
        """A channel id as configured, or a person's DM (user ids start with U or W)."""
        if destination[:1] in ("U", "W"):
            opened = await self.client.conversations_open(users=destination)
            return opened["channel"]["id"]
        return destination

    async def _post(self, channel: str, text: str, blocks: list, thread: str | None, progress: Progress,
                    part: str = "post") -> str:
        """Posts the blocks, 50 at a time; overflow continues in the thread of the first."""
        first_ts = None
        for i, batch in enumerate(kit.batches(blocks)):
            ts = await progress.part(f"{part}-{i}", lambda batch=batch: self._post_batch(
                channel, text, batch, thread or first_ts))
            first_ts = first_ts or ts
        return f"{channel}:{first_ts}"

    async def _post_batch(self, channel: str, text: str, blocks: list, thread: str | None) -> str:
        response = await self.client.chat_postMessage(channel=channel, text=_fallback(text), blocks=blocks,
                                                      thread_ts=thread)
        return response["ts"]

    async def _upload_pdf(self, channel: str, reference: str, view: View) -> None:
        """The notice's PDF, in the notice's thread."""
        await self.client.files_upload_v2(
            channel=channel, thread_ts=reference.rsplit(":", 1)[1], content=await self.documents.pdf(view),
            filename=f"{view.notice.number}.pdf", title=f"{view.notice.number}.pdf",
        )

    async def _upload(self, photos: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
        """Uploads the photos privately (no channel) so image blocks can show them."""
        uploads = []
        for name, sha256 in photos:
            path = self.media.find(sha256)
            if path is not None:
                uploads.append({"file": path.read_bytes(), "filename": name, "title": name})
        if not uploads:
            return []
        response = await self.client.files_upload_v2(file_uploads=uploads)
        return [(f.get("name") or f.get("title") or "", f["id"]) for f in response["files"]]

    async def _refresh_items(self, channel, message: OutgoingMessage, view: View, language: Language,
                             progress: Progress) -> None:
        """Sent instructions can no longer be decided: their messages lose their buttons."""
        for item in view.items:
            one = dataclasses.replace(view, kind=MessageKind.INSTRUCTION_DECIDED, items=(item,))
            if await self.refs.find(message.destination, subject_of(one)) is not None:
                await self._show_decision(channel, message, one, language, progress)

    async def _show_decision(self, channel: str, message: OutgoingMessage, view: View, language: Language,
                             progress: Progress) -> str:
        as_finding = render_view(SURFACE, dataclasses.replace(view, kind=MessageKind.FINDING), language)
        rendered = Rendered(as_finding.text, render_view(SURFACE, view, language).buttons)
        subject = subject_of(view)
        reference = await self.refs.find(message.destination, subject_of(view))
        blocks = kit.text_blocks(rendered.text) + kit.image_blocks(await self._photos(message.destination, subject))
        blocks += kit.action_blocks(await with_tokens(self.store, rendered.buttons, self.clock.now()), language)
        if reference is None or len(blocks) > kit.MAX_BLOCKS:
            thread = await self._thread_for(message.destination, view)
            reference = await self._post(channel, rendered.text, blocks, thread, progress, part=subject)
            await self.refs.remember(message.destination, subject, reference)
            return reference
        ref_channel, ts = reference.rsplit(":", 1)
        await self.client.chat_update(channel=ref_channel, ts=ts, text=_fallback(rendered.text), blocks=blocks)
        return reference

    async def _thread_for(self, destination: str, view: View) -> str | None:
        """Findings and decisions are replies in the thread of their visit's summary."""
        if view.kind not in (MessageKind.FINDING, MessageKind.INSTRUCTION_DECIDED, MessageKind.NOTICE_SENT, MessageKind.NOTICE_ANSWERED, MessageKind.DONE_REPORTED):
            return None
        reference = await self.refs.find(destination, f"visit:{view.visit.id}")
        return reference.rsplit(":", 1)[1] if reference else None

    async def _photos(self, destination: str, subject: str) -> list[tuple[str, str]]:
        stored = await self.refs.find(destination, f"photos:{subject}")
        return [tuple(pair) for pair in json.loads(stored)] if stored else []




def _fallback(text: str) -> str:
    """The plain notification text; the blocks carry the whole message."""
    return split_text(text, FALLBACK_LIMIT)[0]
