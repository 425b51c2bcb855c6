"""The outbox delivered in the background while the bot runs: at once when something was
enqueued (`wake`), and every few seconds anyway, so a message that failed is retried. Being the
running bot's, it also tells the store which platforms it delivers (`followup outbox` reads
that), and lets go of its claims when the bot stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.background import BackgroundLoop
from bot.outbox.dispatcher import Dispatcher

log = logging.getLogger(__name__)


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
        # asyncio.timeout, not wait_for: on 3.11 wait_for lost a cancellation that came in the
        # turn the event was set, and the bot, told to stop, went round again for ever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.interval):
                await self._wake.wait()
        self._wake.clear()

    async def round(self) -> None:
        await self.dispatcher.announce()
        await self.dispatcher.deliver_pending()

    async def stop(self) -> None:
        await super().stop()
        try:
            await self.dispatcher.stop()
        except Exception:  # noqa: BLE001 - the bot still stops; the next start releases the claims
            log.warning("could not let go of this bot's outbox claims; the next start releases them, or they run out",
                        exc_info=True)
