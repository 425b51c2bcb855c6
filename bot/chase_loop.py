"""Reminders, escalations and overdue alerts while the bot runs: a pass every minute. What a
pass sends is stored with it (handlers/chasing.py), so the loop itself keeps no state and a
restart, or a second replica, changes nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.app import App
from bot.background import BackgroundLoop
from handlers.chasing import chase

log = logging.getLogger(__name__)


class ChaseLoop(BackgroundLoop):
    name = "chase"

    def __init__(self, app: App, wake_delivery: Callable[[], None], interval: float = 60.0):
        super().__init__()
        self.app = app
        self.wake_delivery = wake_delivery
        self.interval = interval
        self._first = True

    async def wait(self) -> None:
        if self._first:  # a pass at start: what fell due while the bot was down goes now
            self._first = False
            return
        await asyncio.sleep(self.interval)

    async def round(self) -> None:
        done = await chase(self.app.store, self.app.bus.clock, self.app.settings)
        if done.reminders or done.escalations or done.overdue_alerts:
            log.info("chased: %s", done)
            self.wake_delivery()
