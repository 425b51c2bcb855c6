"""Slack requests kept in the inbox from before Slack hears they arrived until they are handled.

Bolt answers Slack when a listener calls `ack()` (an event: before the listener even runs; a
click: once stored, see ACKED_WHEN_STORED) and runs the rest of the listener afterwards; a
crash there loses a request Slack will not send again. So each request a listener is about to
run for is stored first (a listener middleware, so requests refused by Bolt's own checks are
never stored; requests arriving together are committed together, storage/group_commit.py),
marked handled once its listener has finished (Bolt's listener-completion hook; the mark rides
with the next change committed, bot/chat/handled_marks.py), and a request stored but never
handled is handled at the next start, or adopted by another replica (bot/chat/adoption.py), as
the Telegram runtime does with its updates. What a listener changes goes through the bus under
the request's own key, so handling a request again after a crash changes nothing twice.

Slack sends an event again when it thinks the first delivery went unanswered
(`X-Slack-Retry-Num`); a person clicks twice. The inbox knows a request by its event id (an
interaction by its trigger id): a second delivery of a stored request is answered 200 and
dropped. A second click is a request of its own, and the bus answers it "already done".
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_listener_completion_handler import AsyncListenerCompletionHandler
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.chat.adoption import Adoption, Holdings, Renewal
from bot.chat.handled_marks import HandledMarks
from handlers.model import Platform
from storage.group_commit import GroupCommit
from storage.inbox import InboxEntry

log = logging.getLogger(__name__)

INBOX_ID = "followup_inbox_id"  # in a request's context: the stored request it is
REPLAYED = "followup_replayed"  # in a request's context: handled again from the inbox
SHOWN = frozenset({"blocks", "attachments", "text", "files"})  # a clicked message's content, not kept
# Requests whose ack says nothing: acknowledged here, once stored, before their listener runs.
# Bolt answers Slack only once its listener task has called ack(), and looks every 10 ms: a
# click waited that long for its 200 whatever it cost. Their listeners still call ack(), which
# changes nothing. A modal's submission and a command are answered by their listener (errors,
# an answer), an event by Bolt before its listener runs.
ACKED_WHEN_STORED = frozenset({"block_actions"})
REPLAY_PATIENCE = 60.0  # seconds a replayed request may hold up the next one (and the start)


def request_key(body: dict) -> str:
    """What tells this request from every other, and a retry of it from nothing else."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    return "body:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def kept_body(body: dict) -> dict:
    """`body` as stored: without the verification token, a secret, and without what a clicked
    message shows (`SHOWN`). That was three quarters of a click's 3.9 kB, JSON-encoded on the
    loop and written to the WAL before every ack, and nothing reads it: the listeners take the
    message's thread, Bolt its user and thread, and those are kept."""
    kept = {name: value for name, value in body.items() if name != "token"}
    if isinstance(message := body.get("message"), dict):
        kept["message"] = {name: value for name, value in message.items() if name not in SHOWN}
    return kept


class SlackInbox(AsyncListenerCompletionHandler):
    """Bolt's listener-completion hook; `keeping` is the listeners' middleware."""

    def __init__(self, app) -> None:
        self.app = app
        self._finished: dict[int, asyncio.Event] = {}
        # Marked as Telegram's updates are: with the next change, or together (bot/chat/handled_marks.py).
        self._marks = HandledMarks(app.store, Platform.SLACK, app.bus.clock, app.bus.ride_in)
        app.bus.ride_along(self._marks.ride)
        self.holdings = Holdings(app.store, Platform.SLACK, app.dispatcher.replica, app.bus.clock)
        self.renewal = Renewal(self.holdings)
        self.adoption: Adoption | None = None  # once the start's replay is done (`replay`)
        # Requests arriving together are stored in one commit, each acknowledged once it is in.
        # A short transaction: its inserts (and the bookkeeping riding along) are point writes,
        # run on the loop rather than a trip each to the connection's thread.
        self._storing = GroupCommit(app.store, self._store, app.bus.ride_in, "Slack requests received", short=True)
        self.keeping = _Keeping(self)

    def install(self, bolt: AsyncApp) -> None:
        """Marks each request handled when its listener is done (pass `keeping` as the
        listeners' middleware to store them)."""
        bolt.listener_runner.listener_completion_handler = self

    async def keep(self, body: dict, context: Any, next) -> BoltResponse | None:
        """Stores the request before its listener acknowledges it."""
        if context.get(REPLAYED):
            return await next()
        key = request_key(body)
        payload = {"key": key, "body": kept_body(body)}
        number = await self._storing(payload)
        if number is None:
            log.info("Slack request %s arrived again; it was acted on once", key)
            return BoltResponse(status=200, body="")
        self.holdings.keep(number)
        context[INBOX_ID] = number
        if body.get("type") in ACKED_WHEN_STORED:
            await context.ack()
        return await next()

    async def _store(self, uow, payloads: list[dict]) -> list[int | None]:
        """Each request's number in the inbox, None for one stored before (a redelivery)."""
        at, hold = self.app.bus.clock.now(), self.holdings.hold()
        return [await uow.inbox.add_keyed(Platform.SLACK, payload["key"], payload, at, hold) for payload in payloads]

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        """Bolt's hook once a listener is done, whether it succeeded or failed (its error is
        logged by Bolt, and the person told by the listener where it can): the request is
        handled, and is not handled again at the next start."""
        number = request.context.get(INBOX_ID)
        task = asyncio.current_task()
        if number is None or (task is not None and task.cancelling()):
            return  # cancelled by a stop: handled again at the next start
        self._mark_handled(number)

    async def replay(self, bolt: AsyncApp) -> None:
        """Requests stored before the last stop but never handled, and nobody else's to handle,
        are handled now, oldest first, one at a time; then, in the background, those other
        replicas leave unhandled (bot/chat/adoption.py)."""
        self.renewal.start()
        async for entry in self.holdings.take():
            log.info("handling Slack request %s stored before the last stop", entry.payload["key"])
            await self._dispatch(bolt, entry)
        self.adoption = Adoption(self.holdings, lambda entry: self._dispatch(bolt, entry))
        self.adoption.start()

    async def stop(self) -> None:
        if self.adoption is not None:
            await self.adoption.stop()
        await self.renewal.stop()

    async def _dispatch(self, bolt: AsyncApp, entry: InboxEntry) -> None:
        """A stored request, handled as it arrived. It was verified then, so it is dispatched
        as Socket Mode requests are: without a signature to check (it would be too old)."""
        finished = self._finished.setdefault(entry.update_id, asyncio.Event())
        request = AsyncBoltRequest(body=entry.payload["body"], mode="socket_mode",
                                   context={INBOX_ID: entry.update_id, REPLAYED: True})
        response = await bolt.async_dispatch(request)
        if response.status == 404:  # no listener for it any more: nothing to do
            self._mark_handled(entry.update_id)
        try:
            async with asyncio.timeout(REPLAY_PATIENCE):  # not wait_for, which lost cancellations on 3.11
                await finished.wait()
        except TimeoutError:  # it goes on in the background; the next one need not wait for it
            log.warning("Slack request %s is taking long; handling the next", entry.payload["key"])

    async def drain(self) -> None:
        """Until every request handled is marked: before the store closes."""
        await self._marks.drain()

    def _mark_handled(self, number: int) -> None:
        """Lets go of the request's lease too: its mark, written within the lease's remaining
        time, clears it."""
        self._marks.add(number)
        self.holdings.let_go(number)
        if (finished := self._finished.pop(number, None)) is not None:
            finished.set()


class _Keeping(AsyncMiddleware):
    """The inbox as the listeners' middleware: an object, as Bolt calls a function middleware
    with the arguments it names, gathered anew for every request."""

    def __init__(self, inbox: SlackInbox) -> None:
        self.inbox = inbox

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        return await self.inbox.keep(req.body, req.context, next)
