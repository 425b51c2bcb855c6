"""The outbox adapter of a surface (what bot/outbox/dispatcher.py delivers through): its `deliver`
runs the plan of the message's kind against the primitives the surface implements
(bot/outbox/surface.py). Telegram, Slack and the console are such adapters; a new surface
subclasses this one and writes only primitives and limits."""

from __future__ import annotations

from bot.outbox.message_refs import MessageRefs
from bot.outbox.notice_documents import NoticeDocuments
from bot.outbox.progress import Progress
from bot.outbox.runner import PlanRun
from handlers.clock import Clock
from handlers.model import OutgoingMessage, Platform
from handlers.views import View
from messages.render import Answers


class PlannedAdapter:
    platform: Platform
    colour = False  # only a terminal colours text
    answers = Answers.BUTTONS  # a one-way surface answers through the notice link instead

    def __init__(self, store=None, clock: Clock | None = None, documents: NoticeDocuments | None = None):
        """With a `store`, the surface's messages are remembered, so a later change edits
        them; without, it cannot change a message once shown. `documents`: the notices'
        PDFs, for a surface that takes files."""
        self.store = store
        self.clock = clock
        self.refs = MessageRefs(store, self.platform, clock) if store is not None else None
        self.documents = documents

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress | None = None) -> str | None:
        """Sends the message, its parts through `progress`; returns the platform's reference.
        Without `progress` (a message not from the outbox) nothing is recorded."""
        return await PlanRun(self, self.refs, self.documents, progress or Progress()).deliver(message, view)
