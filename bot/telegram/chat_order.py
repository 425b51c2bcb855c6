"""The order Telegram updates are handled in: one chat's one after another, different chats'
side by side. A report being checked must not hold up a tap in another chat, and a chat's
updates (a report, then its photos; two taps) are decided in the order they were sent.

An update may let its chat's next one start before it is done (`release`): a tap, once its
decision has committed, while its answer is on the way to Telegram. Waiting for that answer
would put a round trip to Telegram on every tap's path through the chat.

A tap may let the chat's next tap start even earlier (`release_taps`): once it is decided, while
its change commits. The next tap's decision then goes on inside the same transaction, or after
it (storage/shared_commit.py), and the store's bus reads nothing from before a change still
committing (handlers/bus.py), so it decides on what the first tap did. Any other update (a
question, a report) waits for the commit: what it reads must hold the tap's change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from bot.background import Foreground

log = logging.getLogger(__name__)


@dataclass
class _Turn:
    """When an update lets its chat's next go: a tap (`decided`), anything (`committed`)."""

    decided: asyncio.Event = field(default_factory=asyncio.Event)
    committed: asyncio.Event = field(default_factory=asyncio.Event)


class ChatOrder:
    def __init__(self, foreground: Foreground | None = None) -> None:
        """`foreground`: counts the updates being handled, waiting their turn or not, for the
        outbox to give way to (bot/background.py)."""
        self.foreground = foreground or Foreground()
        self._last_of_chat: dict[Hashable, _Turn] = {}
        self._turns: dict[int, _Turn] = {}
        self.running: set[asyncio.Task] = set()  # kept referenced until done; `stop` waits for them

    def spawn(self, chat: Hashable, update_id: int, handle: Callable[[], Awaitable[None]],
              tap: bool = False) -> None:
        """Handles update `update_id` of `chat` once the chat's previous update let it; `tap`:
        a button tapped, which may go once the previous is decided (`release_taps`)."""
        previous, turn = self._last_of_chat.get(chat), _Turn()
        self._turns[update_id] = self._last_of_chat[chat] = turn
        waits_for = None if previous is None else previous.decided if tap else previous.committed
        task = asyncio.create_task(self._after(waits_for, chat, update_id, handle))
        self.running.add(task)
        self.foreground.handling += 1
        task.add_done_callback(self._done)

    def release_taps(self, update_id: int) -> None:
        """Lets the chat's next update start if it is a tap; anything else waits for `release`."""
        turn = self._turns.get(update_id)
        if turn is not None:
            turn.decided.set()

    def release(self, update_id: int) -> None:
        """Lets the chat's next update start; the rest of this one goes on beside it."""
        turn = self._turns.pop(update_id, None)
        if turn is not None:
            turn.decided.set()
            turn.committed.set()

    async def _after(self, previous: asyncio.Event | None, chat: Hashable, update_id: int,
                     handle: Callable[[], Awaitable[None]]) -> None:
        turn = self._turns[update_id]
        try:
            if previous is not None:
                await previous.wait()
            await handle()
        finally:
            self.release(update_id)
            if self._last_of_chat.get(chat) is turn:
                del self._last_of_chat[chat]

    def _done(self, task: asyncio.Task) -> None:
        self.running.discard(task)
        self.foreground.handling -= 1
        if not task.cancelled() and task.exception() is not None:
            log.error("handling a Telegram update failed", exc_info=task.exception())
