"""The outbox adapter of a surface (what bot/outbox/dispatcher.py delivers through): its `deliver`
runs the plan of the message's kind against the primitives the surface implements
(bot/outbox/surface.py). Telegram, Slack and the console are such adapters; a new surface
subclasses this one and writes only primitives and limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.outbox.message_refs import MessageRefs
from bot.outbox.notice_documents import NoticeDocuments
from bot.outbox.pacing import Lane, Pacer
from bot.outbox.progress import Progress
from bot.outbox.runner import PlanRun
from bot.outbox.summary_refresh import SummaryRefresh
from handlers.clock import Clock
from handlers.model import OutgoingMessage, Platform
from handlers.views import View
from messages.render import Answers

T = TypeVar("T")


class PlannedAdapter:
    platform: Platform
    colour = False  # only a terminal colours text
    answers = Answers.BUTTONS  # a one-way surface answers through the notice link instead
    unfolded = False  # a chat folds what a reader looks at second

    def __init__(self, store=None, clock: Clock | None = None, documents: NoticeDocuments | None = None,
                 pacer: Pacer | None = None):
        """With a `store`, the surface's messages are remembered, so a later change edits
        them; without, it cannot change a message once shown. `documents`: the notices'
        PDFs, for a surface that takes files. `pacer`: the platform's flood limits kept
        (bot/outbox/pacing.py); None sends at once, to a platform that has none, or a fake."""
        self.store = store
        self.clock = clock
        self.refs = MessageRefs(store, self.platform, clock) if store is not None else None
        self.summaries = SummaryRefresh(store) if store is not None else None
        self.documents = documents
        self.pacer = pacer

    def chat_lanes(self, destination: str) -> tuple[Lane, ...]:
        """The flood windows of the destination itself (not those it shares with others)."""
        return ()

    def ready_in(self, destination: str) -> float:
        """Seconds until the destination may be sent to; the dispatcher claims it no sooner."""
        return 0.0 if self.pacer is None else self.pacer.ready_in(self.chat_lanes(destination))

    async def paced(self, lanes: tuple[Lane, ...], call: Callable[[], Awaitable[T]]) -> T:
        """`call()`, a send, once it fits the platform's flood limits."""
        return await call() if self.pacer is None else await self.pacer.send(lanes, call)

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress | None = None) -> str | None:
        """Sends the message, its parts through `progress`; returns the platform's reference.
        Without `progress` (a message not from the outbox) nothing is recorded."""
        run = PlanRun(self, self.refs, self.documents, progress or Progress(), self.summaries)
        return await run.deliver(message, view)
