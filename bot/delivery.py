"""The outbox delivered in the background while the bot runs: at once when something was
enqueued (`wake`), and every few seconds anyway, so a message that failed is retried."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.dispatcher import Dispatcher

log = logging.getLogger(__name__)


class DeliveryLoop:
    def __init__(self, dispatcher: Dispatcher, interval: float = 5.0):
        self.dispatcher = dispatcher
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()
            try:
                await self.dispatcher.deliver_pending()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad round; it is logged
                log.exception("outbox delivery round failed; retrying at the next tick")
