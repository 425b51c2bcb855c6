"""Outbox messages to Slack: the primitives the delivery plan (bot/outbox/) calls, as Block
Kit. What only Slack does stays here: findings and decisions are replies in the thread of
their visit's summary, which opens with a header and whose details are the thread's first
reply (a Slack user opens a thread for more, and the message stays short); photos are uploaded privately and shown
inline as image blocks, and kept so that a decision, which rewrites the whole message,
still shows them; a message of more than 50 blocks continues in its thread.

The calls that add something to a channel (each batch of blocks, the notice's PDF) and the
photo uploads are parts of the message's `Progress`: a retry after a failure makes only
the calls still missing."""

from __future__ import annotations

import json

from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.actions import with_tokens
from bot.outbox.adapter import PlannedAdapter
from bot.outbox.failures import Failure
from bot.outbox.notice_documents import NoticeDocuments
from bot.outbox.pacing import Lane, Pacer, Window
from bot.outbox.progress import Progress
from bot.outbox.surface import Draft, Limits, Target, TextFormat
from bot.slack.failures import classify
from handlers.clock import Clock
from handlers.model import Platform
from handlers.model.message_kinds import MessageKind
from messages import slack_blocks as kit
from messages.buttons import Button
from messages.i18n import Language
from messages.split import split_text
from storage.media import MediaStore

FALLBACK_LIMIT = 3000  # the notification text beside the blocks
FILE_LIMIT = 1024 ** 3  # files_upload_v2 takes up to 1 GB
PER_CHANNEL = Window(1, 1.0)  # chat.postMessage, docs.slack.dev/reference/methods/chat.postMessage
# Replies in the thread of their visit's summary.
THREADED = frozenset({MessageKind.FINDING, MessageKind.INSTRUCTION_DECIDED, MessageKind.NOTICE_SENT,
                      MessageKind.NOTICE_ANSWERED, MessageKind.DONE_REPORTED})


class SlackAdapter(PlannedAdapter):
    platform = Platform.SLACK
    templates = "slack"
    # A message holds text of any length: sections of 3,000 characters, blocks beyond 50 in
    # its thread. Photos go in one upload, shown by image blocks, without captions.
    limits = Limits(text=None, caption=None, photos_per_group=None,
                    file_size=FILE_LIMIT, format=TextFormat.MRKDWN)
    buttons_keep_text = False  # chat.update rewrites the whole message

    def __init__(self, client: AsyncWebClient, store, media: MediaStore, clock: Clock, documents: NoticeDocuments,
                 pacer: Pacer | None = None):
        super().__init__(store, clock, documents, pacer)
        self.client = client
        self.media = media

    def classify(self, error: Exception) -> Failure | None:
        return classify(error)

    async def chat(self, destination: str) -> str:
        """A channel id as configured, or a person's DM (user ids start with U or W)."""
        if destination[:1] in ("U", "W"):
            opened = await self.client.conversations_open(users=destination)
            return opened["channel"]["id"]
        return destination

    def chat_lanes(self, destination: str) -> tuple[Lane, ...]:
        """chat.postMessage: about one a second in a channel (a person's DM counts by the person)."""
        return (Lane(f"channel:{destination}", PER_CHANNEL),)

    async def send_photos(self, to: Target, photos, caption: str | None, progress: Progress) -> list:
        """Uploaded privately (no channel), so the text's image blocks can show them."""
        return await progress.part("photos", lambda: self._upload(photos))

    async def send_text(self, to: Target, draft: Draft, progress: Progress) -> str:
        thread = await self._thread_for(to)
        photos = await self._kept_photos(to) if draft.again else draft.photos
        blocks = await self._blocks(to, draft.text, photos, draft.buttons)
        reference = await self._post(to, draft.text, blocks, thread, progress,
                                     part=to.subject if draft.again else "post")
        if draft.details:  # the summary's details: the first reply in its thread, the message stays short
            await self._post(to, draft.details, kit.text_blocks(draft.details), reference.rsplit(":", 1)[1],
                             progress, part="details")
        if draft.photos and to.subject:  # a decision rewrites the message: its photos must stay
            await self.refs.remember(to.destination, f"photos:{to.subject}", json.dumps(draft.photos))
        return reference

    async def send_file(self, to: Target, reference: str, name: str, content: bytes) -> None:
        """In the thread of the message it belongs to."""
        await self.client.files_upload_v2(channel=to.chat, thread_ts=reference.rsplit(":", 1)[1], content=content,
                                          filename=name, title=name)

    async def edit(self, to: Target, reference: str, text: str, buttons: tuple[Button, ...]) -> bool:
        blocks = await self._blocks(to, text, await self._kept_photos(to), buttons)
        if len(blocks) > kit.MAX_BLOCKS:
            return False
        ref_channel, ts = reference.rsplit(":", 1)
        await self.client.chat_update(channel=ref_channel, ts=ts, text=_fallback(text), blocks=blocks)
        return True

    async def replace_buttons(self, to: Target, reference: str, buttons: tuple[Button, ...], text: str,
                              note: str) -> None:
        """Slack rewrites the whole message: a notice keeps its text, says below it who
        answered, and carries the buttons that now apply; a summary keeps its header."""
        actions = await self._actions(buttons, to.language)
        ref_channel, ts = reference.rsplit(":", 1)
        await self.client.chat_update(channel=ref_channel, ts=ts, text=_fallback(text),
                                      blocks=self._text_blocks(to, text) + kit.text_blocks(note) + actions)

    async def _blocks(self, to: Target, text: str, photos, buttons: tuple[Button, ...]) -> list:
        return self._text_blocks(to, text) + kit.image_blocks(photos) + await self._actions(buttons, to.language)

    @staticmethod
    def _text_blocks(to: Target, text: str) -> list:
        head = kit.head_blocks(to.view, to.language)
        shown = text.split("\n", 2)[-1] if head else text  # the header says the title and the status
        return head + kit.text_blocks(shown)

    async def _actions(self, buttons: tuple[Button, ...], language: Language) -> list:
        """A menu button is a list of its choices, each with a token of its own."""
        now = self.clock.now()
        menus = {button: await with_tokens(self.store, button.menu, now) for button in buttons if button.menu}
        return kit.action_blocks(await with_tokens(self.store, buttons, now), language, menus)

    async def _post(self, to: Target, text: str, blocks: list, thread: str | None, progress: Progress,
                    part: str) -> str:
        """Posts the blocks, 50 at a time; overflow continues in the thread of the first."""
        first_ts = None
        for i, batch in enumerate(kit.batches(blocks)):
            ts = await progress.part(f"{part}-{i}", lambda batch=batch: self.paced(
                self.chat_lanes(to.destination), lambda: self._post_batch(to.chat, text, batch, thread or first_ts)))
            first_ts = first_ts or ts
        return f"{to.chat}:{first_ts}"

    async def _post_batch(self, channel: str, text: str, blocks: list, thread: str | None) -> str:
        response = await self.client.chat_postMessage(channel=channel, text=_fallback(text), blocks=blocks,
                                                      thread_ts=thread)
        return response["ts"]

    async def _upload(self, photos: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
        uploads = []
        for name, sha256 in photos:
            path = self.media.find(sha256)
            if path is not None:
                uploads.append({"file": path.read_bytes(), "filename": name, "title": name})
        if not uploads:
            return []
        response = await self.client.files_upload_v2(file_uploads=uploads)
        return [(f.get("name") or f.get("title") or "", f["id"]) for f in response["files"]]

    async def _thread_for(self, to: Target) -> str | None:
        if to.view.kind not in THREADED:
            return None
        reference = await self.refs.find(to.destination, f"visit:{to.view.visit.id}")
        return reference.rsplit(":", 1)[1] if reference else None

    async def _kept_photos(self, to: Target) -> list[tuple[str, str]]:
        stored = await self.refs.find(to.destination, f"photos:{to.subject}")
        return [tuple(pair) for pair in json.loads(stored)] if stored else []


def _fallback(text: str) -> str:
    """The plain notification text; the blocks carry the whole message."""
    return split_text(text, FALLBACK_LIMIT)[0]
