"""The outbox delivered in the background while the bot runs: at once when something was
enqueued (`wake`), and every few seconds anyway, so a message that failed is retried."""

from __future__ import annotations

import asyncio
import contextlib

from bot.background import BackgroundLoop
from bot.dispatcher import Dispatcher


class DeliveryLoop(BackgroundLoop):
    name = "outbox-delivery"

    def __init__(self, dispatcher: Dispatcher, interval: float = 5.0):
        super().__init__()
        self.dispatcher = dispatcher
        self.interval = interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
        self._wake.clear()

    async def round(self) -> None:
        await self.dispatcher.announce()
        await self.dispatcher.deliver_pending()

    async def stop(self) -> None:
        await super().stop()
        await self.dispatcher.stop()
