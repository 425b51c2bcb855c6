"""Handled chat updates are forgotten after `[retention] updates_days`, so the inbox and the
handled-update keys do not grow for as long as the bot runs: a prune at start and then once a
day. A day is the bot's clock's day (a test moves it), checked every `tick` seconds; a prune
that fails is logged and tried again at the next tick."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.background import BackgroundLoop
from handlers.clock import Clock
from handlers.model import Platform

log = logging.getLogger(__name__)

EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Pruned:
    inbox: dict[Platform, int]
    handled_keys: int

    def __str__(self) -> str:
        rows = ", ".join(f"{platform.value} {count}" for platform, count in sorted(self.inbox.items())) or "none"
        return f"inbox rows: {rows}; handled-update keys: {self.handled_keys}"


async def prune(store, before: datetime) -> Pruned:
    """Each table in its own transaction: one's prune holds the store only briefly, and a
    failure in one leaves the other's done."""
    async with store.unit_of_work() as uow:
        inbox = await uow.inbox.prune(before)
        await uow.commit()
    async with store.unit_of_work() as uow:
        keys = await uow.updates.prune(before)
        await uow.commit()
    return Pruned(inbox, keys)


class RetentionLoop(BackgroundLoop):
    name = "retention"

    def __init__(self, store, clock: Clock, keep_days: int, tick: float = 3600.0):
        super().__init__()
        self.store = store
        self.clock = clock
        self.keep = timedelta(days=keep_days)
        self.tick = tick
        self._due: datetime | None = None  # None: at start, at once

    async def wait(self) -> None:
        if self._due is None:
            self._due = self.clock.now()
            return
        await asyncio.sleep(self.tick)  # also after a failed round, which left `_due` passed
        while self.clock.now() < self._due:
            await asyncio.sleep(self.tick)

    async def round(self) -> None:
        now = self.clock.now()
        pruned = await prune(self.store, now - self.keep)
        log.info("pruned chat updates handled before %s: %s", (now - self.keep).isoformat(), pruned)
        self._due = now + EVERY
