"""The order Telegram updates are handled in: one chat's one after another, different chats'
side by side. A report being checked must not hold up a tap in another chat, and a chat's
updates (a report, then its photos; two taps) are decided in the order they were sent.

An update may let its chat's next one start before it is done (`release`): a tap, once its
decision has committed, while its answer is on the way to Telegram. Waiting for that answer
would put a round trip to Telegram on every tap's path through the chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

from bot.background import Foreground

log = logging.getLogger(__name__)


class ChatOrder:
    def __init__(self, foreground: Foreground | None = None) -> None:
        """`foreground`: counts the updates being handled, waiting their turn or not, for the
        outbox to give way to (bot/background.py)."""
        self.foreground = foreground or Foreground()
        self._last_of_chat: dict[Hashable, asyncio.Event] = {}
        self._gates: dict[int, asyncio.Event] = {}
        self.running: set[asyncio.Task] = set()  # kept referenced until done; `stop` waits for them

    def spawn(self, chat: Hashable, update_id: int, handle: Callable[[], Awaitable[None]]) -> None:
        """Handles update `update_id` of `chat` once the chat's previous update let it."""
        previous, gate = self._last_of_chat.get(chat), asyncio.Event()
        self._gates[update_id] = self._last_of_chat[chat] = gate
        task = asyncio.create_task(self._after(previous, chat, update_id, handle))
        self.running.add(task)
        self.foreground.handling += 1
        task.add_done_callback(self._done)

    def release(self, update_id: int) -> None:
        """Lets the chat's next update start; the rest of this one goes on beside it."""
        gate = self._gates.pop(update_id, None)
        if gate is not None:
            gate.set()

    async def _after(self, previous: asyncio.Event | None, chat: Hashable, update_id: int,
                     handle: Callable[[], Awaitable[None]]) -> None:
        gate = self._gates[update_id]
        try:
            if previous is not None:
                await previous.wait()
            await handle()
        finally:
            self.release(update_id)
            if self._last_of_chat.get(chat) is gate:
                del self._last_of_chat[chat]

    def _done(self, task: asyncio.Task) -> None:
        self.running.discard(task)
        self.foreground.handling -= 1
        if not task.cancelled() and task.exception() is not None:
            log.error("handling a Telegram update failed", exc_info=task.exception())
