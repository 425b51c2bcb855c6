"""Reminders, escalations and overdue alerts while the bot runs: a pass every minute. What a
pass sends is stored with it (handlers/chasing.py), so the loop itself keeps no state and a
restart, or a second replica, changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.app import App
from handlers.chasing import chase

log = logging.getLogger(__name__)


class ChaseLoop:
    def __init__(self, app: App, wake_delivery: Callable[[], None], interval: float = 60.0):
        self.app = app
        self.wake_delivery = wake_delivery
        self.interval = interval
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="chase")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                done = await chase(self.app.store, self.app.bus.clock, self.app.settings)
                if done.reminders or done.escalations or done.overdue_alerts:
                    log.info("chased: %s", done)
                    self.wake_delivery()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad pass; it is logged
                log.exception("chasing pass failed; trying again at the next tick")
            await asyncio.sleep(self.interval)
