"""Stored updates nobody is handling, taken over by a replica that is.

A replica holds each update it stores (storage/inbox.py `Hold`) for a lease it renews while
the update waits for its chat's earlier ones or is being handled, and lets go of when it is
marked handled. A replica killed in between leaves its updates held: a survivor adopts them
once the lease has run out on the store's clock (LEASE), or at once when the holder is
provably dead on this host (bot/outbox/replica.py `Replica.is_dead`), and hands them to the
runtime's own path, oldest first. A live replica's updates are never taken while it renews
them. Should a slow replica's lease lapse all the same, the update is handled twice to one
effect: the bus locks its key and answers the second time from memory (handlers/bus.py).

The same taking serves a start: what this host's previous process stored and never handled
is adopted before any new update arrives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from bot.background import BackgroundLoop
from bot.outbox.replica import Replica
from handlers.clock import Clock
from handlers.model import Platform
from storage.inbox import Hold, InboxEntry

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # renewed every SWEEP: a live replica's hold never runs out
SWEEP = 5.0  # seconds between two looks for updates to adopt (and two renewals)
PAGE = 100  # updates taken in one transaction


class Holdings:
    """The updates one runtime holds, and their lease kept running."""

    def __init__(self, store, platform: Platform, claimant: str, clock: Clock, lease: timedelta = LEASE) -> None:
        self.store = store
        self.platform = platform
        self.claimant = claimant
        self.clock = clock
        self.lease = lease
        self._held: set[int] = set()

    def hold(self) -> Hold:
        """A lease from now, for storing or taking an update."""
        return Hold(self.claimant, self.clock.now() + self.lease)

    def keep(self, update_id: int) -> None:
        self._held.add(update_id)

    def let_go(self, update_id: int) -> None:
        """Handled (its mark clears the lease) or given up: no longer renewed."""
        self._held.discard(update_id)

    async def renew(self) -> None:
        if self._held:
            async with self.store.unit_of_work() as uow:
                await uow.inbox.renew(self.platform, list(self._held), self.hold())
                await uow.commit()

    async def take(self) -> AsyncIterator[InboxEntry]:
        """Every update nobody holds, taken a page at a time and kept, oldest first. A page is
        taken in a transaction of its own, and not held meanwhile: handling one may take a
        while."""
        while True:
            async with self.store.unit_of_work() as uow:
                now = self.clock.now()
                dead = [c for c in await uow.inbox.holders(self.platform, now)
                        if c != self.claimant and (r := Replica.parse(c)) is not None and r.is_dead()]
                entries = await uow.inbox.adopt(self.platform, now, self.hold(), dead, PAGE)
                await uow.commit()
            # Its own updates whose lease lapsed (the clock moved on mid-handling) are leased
            # afresh, not handled again.
            adopted = [entry for entry in entries if entry.update_id not in self._held]
            self._held.update(entry.update_id for entry in adopted)
            for entry in adopted:
                yield entry
            if len(entries) < PAGE:
                return


class _Sweep(BackgroundLoop):
    """A round every SWEEP seconds over a runtime's holdings."""

    def __init__(self, holdings: Holdings, every: float = SWEEP) -> None:
        super().__init__()
        self.holdings = holdings
        self.every = every

    async def wait(self) -> None:
        await asyncio.sleep(self.every)


class Renewal(_Sweep):
    """Keeps the runtime's holdings' lease running, from before its start's replay."""

    name = "inbox lease renewal"

    async def round(self) -> None:
        await self.holdings.renew()


class Adoption(_Sweep):
    """The updates nobody holds any more, handed to `adopt` one by one, oldest first (the
    Telegram runtime queues each behind its chat's earlier ones)."""

    name = "inbox adoption"

    def __init__(self, holdings: Holdings, adopt: Callable[[InboxEntry], Awaitable[None]],
                 every: float = SWEEP) -> None:
        super().__init__(holdings, every)
        self.adopt = adopt

    async def round(self) -> None:
        async for entry in self.holdings.take():
            log.info("adopting %s update %s, which its replica left unhandled", self.holdings.platform.value,
                     entry.update_id)
            await self.adopt(entry)
