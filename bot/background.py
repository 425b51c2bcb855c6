"""A loop the bot runs beside its chat runtimes: started once, cancelled on shutdown, and
never stopped by one failing round (the failure is logged and the next round tries again);
and how such work gives way to the taps it shares the event loop with."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# A turn of the event loop that ran nothing else costs microseconds of its thread's CPU; one
# that cost more ran other work (a tap's update being handled), which goes first. CPU, not
# wall time: a process the machine left waiting for a core has run nothing meanwhile.
QUIET = 0.0002
# How long background work waits at a time for the loop to be quiet, and at most in all: past
# that it goes anyway, so a steady stream of taps slows it down but never stops it.
SLICE = 0.01
PATIENCE = 0.1


# Updates handled at once past which they are a backlog (a burst of taps, fetched together):
# more than a steady stream, even of hundreds of taps a second, holds at a time.
BACKLOG = 8


class Foreground:
    """The updates people wait on, being handled now: a chat runtime counts each one in while
    it is handled (bot/telegram/chat_order.py), and background work gives way while they are a
    backlog. The loop's CPU alone missed one: a burst of taps spends much of its time waiting
    for the store's thread (a COMMIT's fsync), and those turns of the loop look quiet; the
    outbox's edits ran between the taps, and the burst took half again as long in some runs.
    A tap or two in flight is no backlog: given way to as well, a steady stream held the
    outbox's edits to one a tenth of a second, and they landed, late, among later taps
    (issue 17)."""

    def __init__(self) -> None:
        self.handling = 0

    def busy(self) -> bool:
        return self.handling > BACKLOG


async def give_way(patience: float = PATIENCE, cpu: Callable[[], float] = time.thread_time,
                   foreground: Foreground | None = None) -> None:
    """Returns once `foreground` holds no backlog and a turn of the event loop runs nothing
    else, or after `patience` seconds. Background work (the outbox's next delivery: its reads,
    rendering and bookkeeping take a few milliseconds of the one core the loop runs on) that
    calls this before each step lets taps arriving meanwhile be answered first instead of
    queueing behind it. `cpu`: the loop thread's CPU clock (a test's tells it which turns were
    busy)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + patience
    while True:
        started = cpu()
        await asyncio.sleep(0)
        quiet = cpu() - started < QUIET and not (foreground is not None and foreground.busy())
        if quiet or loop.time() >= until:
            return
        await asyncio.sleep(SLICE)


class BackgroundLoop:
    name = "background"

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _forever(self) -> None:
        while True:
            await self.wait()
            _unless_told_to_stop()
            try:
                await self.round()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad round; it is logged
                if asyncio.current_task().cancelling():
                    # Stopped mid-round: cleaning up after the interrupted query can fail in
                    # turn (asyncpg: "cannot rollback", "another operation is in progress") and
                    # hide the cancellation; going round again would keep the bot from stopping.
                    raise
                log.exception("%s round failed; trying again at the next tick", self.name)
            _unless_told_to_stop()

    async def wait(self) -> None:
        """Until the next round is due."""
        raise NotImplementedError

    async def round(self) -> None:
        raise NotImplementedError


def _unless_told_to_stop() -> None:
    """Raises CancelledError if this task was told to stop but the wait or round returned:
    something under it lost the cancellation (3.11's wait_for did, when what it awaited came
    in the same turn), and going round again would keep the bot from stopping for ever."""
    if asyncio.current_task().cancelling():
        raise asyncio.CancelledError
