"""A robot's documented rate limit, kept on this side: a robot that is sent too much refuses
(and DingTalk's stays silent for ten minutes), so the outbox waits for that robot alone before
it would be refused, as it waits out a Telegram retry_after for one chat."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

from bot.outbox.pacing import Window

__all__ = ["RateLimit", "Window"]


class RateLimit:
    """The sends of each robot (by destination) within its windows."""

    def __init__(self, *windows: Window):
        self.windows = windows
        self._sent: dict[str, deque[datetime]] = defaultdict(deque)

    def wait(self, robot: str, now: datetime) -> float:
        """Seconds until `robot` may be sent one more message; 0: now."""
        sent = self._sent[robot]
        longest = max(timedelta(seconds=w.seconds) for w in self.windows)
        while sent and now - sent[0] >= longest:
            sent.popleft()
        waits = [0.0]
        for window in self.windows:
            recent = [at for at in sent if now - at < timedelta(seconds=window.seconds)]
            if len(recent) >= window.messages:
                oldest = recent[-window.messages]
                waits.append((oldest + timedelta(seconds=window.seconds) - now).total_seconds())
        return max(waits)

    def taken(self, robot: str, now: datetime) -> None:
        self._sent[robot].append(now)
