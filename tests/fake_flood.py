"""Flood limits both fake servers enforce when a test turns them on (off by default, so the
stories that do not care stay quick): sliding windows of at most so many messages in so many
seconds, per chat, per group, per bot. A send that would go over is refused whole, with the
seconds until it would fit, rounded up as the platforms give them (whole seconds, at least 1).

`scale` shortens every window alike (a minute becomes six seconds at 10): the quick benchmark,
honestly labelled as compressed, against a bot paced the same way.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """At most `messages` in any `seconds`."""

    messages: int
    seconds: float


class Flood:
    def __init__(self, scale: float = 1.0, now: Callable[[], float] = time.monotonic):
        self.scale = scale
        self._now = now
        self._sent: defaultdict[str, deque[float]] = defaultdict(deque)
        self.refused = 0  # sends answered "too many requests"

    def admit(self, counts: list[tuple[str, Limit, int]]) -> int | None:
        """Records the send if each (key, limit, messages) has room; else the whole seconds to
        wait, the send not recorded."""
        now = self._now()
        wait = max((self._wait(key, limit, messages, now) for key, limit, messages in counts), default=0.0)
        if wait > 0:
            self.refused += 1
            return max(1, math.ceil(wait))
        for key, _, messages in counts:
            self._sent[key].extend([now] * messages)
        return None

    def _wait(self, key: str, limit: Limit, messages: int, now: float) -> float:
        seconds = limit.seconds / self.scale
        sent = self._sent[key]
        while sent and sent[0] <= now - seconds:
            sent.popleft()
        over = len(sent) + min(messages, limit.messages) - limit.messages
        return 0.0 if over <= 0 else sent[over - 1] + seconds - now
