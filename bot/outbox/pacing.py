"""A platform's flood limits kept on this side, so a fan-out goes as fast as the platform
allows and no faster: going over costs a 429 and that chat's wait (retry_after), and a
Telegram group answers a burst with a minute's silence.

A surface names the windows each send counts against (`Lane`s: the chat's, a group's, the
bot's overall); the outbox does not claim a message for a chat whose own windows are full
(the dispatcher asks `ready_in`, so a paced chat holds no delivery slot), and each send waits
for room in every window it counts against (several chats share the overall one).

Real time, the event loop's monotonic clock, as python-telegram-bot's own limiter counts: the
limits are the platform's, kept by its clock; the injectable clock stays the domain's (when a
retry is due is still the outbox's business). A send counts from when its answer came back,
not from when it left, so the next one reaches the platform a full window after it whatever
either took on the way. `scale` shortens every window alike (tests, and the quick benchmark
against a fake compressed the same way).
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# The deadline of the delivery a send belongs to (bot/outbox/dispatcher.py) and the time one send
# is allowed: pushed back as each send may go, so a delivery of many paced sends (a group's
# findings and their photos, twenty a minute) is timed by its sends, never by its waits for room.
DELIVERY_DEADLINE: ContextVar[tuple[asyncio.Timeout, float] | None] = ContextVar("delivery_deadline", default=None)

# How often a send whose window is full of sends still in flight looks again: those answer
# within milliseconds, and only a burst across many chats fills the overall window that way.
IN_FLIGHT_POLL = 0.01


@dataclass(frozen=True)
class Window:
    """At most `messages` in any `seconds`."""

    messages: int
    seconds: float


@dataclass(frozen=True)
class Lane:
    """One window a send counts against, under `key` (a chat's, a group's, everything); the
    send weighs `weight` messages in it (an album counts each photo where the platform does)."""

    key: str
    window: Window
    weight: int = 1


class Pacer:
    def __init__(self, scale: float = 1.0, now: Callable[[], float] | None = None):
        self.scale = scale
        self._now = now
        # Per lane key, when each send in the window was answered: [inf] while in flight.
        self._sent: defaultdict[str, list[list[float]]] = defaultdict(list)

    def ready_in(self, lanes: Iterable[Lane]) -> float:
        """Seconds until a send counted in `lanes` may go; 0: now; inf: after sends in flight."""
        now = self.now()
        return max((self._wait(lane, now) for lane in lanes), default=0.0)

    async def send(self, lanes: tuple[Lane, ...], call: Callable[[], Awaitable[T]]) -> T:
        """`call()` once every lane has room for it; it then counts in each."""
        while (wait := self.ready_in(lanes)) > 0:
            await asyncio.sleep(IN_FLIGHT_POLL if math.isinf(wait) else wait)
        if (delivery := DELIVERY_DEADLINE.get()) is not None:
            deadline, allowed = delivery
            deadline.reschedule(asyncio.get_running_loop().time() + allowed)
        stamps = []
        for lane in lanes:
            for _ in range(self._weight(lane)):
                stamps.append([math.inf])
                self._sent[lane.key].append(stamps[-1])
        try:
            return await call()
        finally:
            answered = self.now()
            for stamp in stamps:
                stamp[0] = answered

    def now(self) -> float:
        return self._now() if self._now is not None else asyncio.get_running_loop().time()

    def _wait(self, lane: Lane, now: float) -> float:
        seconds = lane.window.seconds / self.scale
        sent = self._sent[lane.key]
        sent[:] = [stamp for stamp in sent if stamp[0] > now - seconds]
        over = len(sent) + self._weight(lane) - lane.window.messages
        if over <= 0:
            return 0.0
        return sorted(stamp[0] for stamp in sent)[over - 1] + seconds - now

    @staticmethod
    def _weight(lane: Lane) -> int:
        """A send heavier than its window (an album of 10 where 5 are allowed) waits for an
        empty window rather than for ever."""
        return min(lane.weight, lane.window.messages)
