"""Delivers the outbox: each pending message is rendered from the current state and handed
to its platform's adapter, then marked sent. A crash between the change and delivery
loses nothing, because the message was committed with the change."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from handlers.clock import Clock
from handlers.context import Settings
from handlers.model import OutgoingMessage, Platform
from handlers.views import View, load_view

log = logging.getLogger(__name__)

# A message refused this often (a platform that rejects its content, a chat that is gone)
# stops blocking its chat; it stays in the table for an operator.
MAX_ATTEMPTS = 10


class Adapter(Protocol):
    platform: Platform

    async def deliver(self, message: OutgoingMessage, view: View) -> str | None:
        """Sends the message; returns the platform's reference to it, if any."""


class Dispatcher:
    def __init__(self, store, settings: Settings, adapters: dict[Platform, Adapter], clock: Clock):
        self.store = store
        self.settings = settings
        self.adapters = adapters
        self.clock = clock
        self._one_at_a_time = asyncio.Lock()  # two concurrent runs would send a message twice

    def add_adapter(self, adapter: Adapter) -> None:
        """A platform that starts after the core (its client is built at start-up)."""
        self.adapters[adapter.platform] = adapter

    async def deliver_pending(self) -> int:
        """Delivers what is pending on the platforms this process runs; returns how many."""
        async with self._one_at_a_time:
            delivered = 0
            for platform, adapter in self.adapters.items():
                async with self.store.unit_of_work() as uow:
                    pending = await uow.outbox.pending(platform)
                blocked: set[str] = set()
                for message in pending:
                    if message.destination in blocked or message.attempts >= MAX_ATTEMPTS:
                        continue
                    if await self._deliver(adapter, message):
                        delivered += 1
                    else:
                        blocked.add(message.destination)  # later messages wait: a chat keeps its order
            return delivered

    async def _deliver(self, adapter: Adapter, message: OutgoingMessage) -> bool:
        try:
            async with self.store.unit_of_work() as uow:
                view = await load_view(uow, self.settings, message.kind, message.payload)
            reference = await adapter.deliver(message, view)
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
            log.exception("delivering outbox message %s (%s to %s) failed", message.id, message.kind,
                          message.destination)
            async with self.store.unit_of_work() as uow:
                await uow.outbox.record_failure(message.id, f"{type(exc).__name__}: {exc}")
                await uow.commit()
            if message.attempts + 1 >= MAX_ATTEMPTS:
                log.error("giving up on outbox message %s after %s attempts; it stays in the outbox table",
                          message.id, MAX_ATTEMPTS)
            return False
        async with self.store.unit_of_work() as uow:
            await uow.outbox.mark_sent(message.id, self.clock.now(), reference)
            await uow.commit()
        return True
