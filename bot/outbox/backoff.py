"""When to try a message again after a transient failure.

Exponential (2 s, 4 s, 8 s … at most 10 minutes) with "equal jitter" — a random wait
between half and all of that — so replicas and chats that failed together do not retry in
lock-step; or exactly what the server asked for (Telegram's retry_after, Slack's
Retry-After). Transient failures are retried for a day; after that the message is failed
as `gave_up` like a permanent error, and the buyer is told (see docs in README, Delivery).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    first: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=10)
    give_up_after: timedelta = timedelta(hours=24)
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, failures: int, retry_after: float | None = None) -> timedelta:
        """The wait after the `failures`-th failure in a row (1 for the first)."""
        if retry_after is not None:
            return timedelta(seconds=max(0.0, retry_after))
        ceiling = min(self.cap, self.first * 2 ** min(max(failures, 1) - 1, 30))
        return ceiling / 2 + ceiling / 2 * self.random()
