"""A background loop stops when it is told to, even when it is woken in the same turn of the
event loop (bot/background.py, bot/outbox/delivery.py).

On Python 3.11, `asyncio.wait_for` returned normally when the awaited event was set in the turn
the waiting task was cancelled: the cancellation was lost, the delivery loop went round again,
and a bot told to stop never ended (seen in tests/test_crash_recovery.py: "bot process did not
end within 30 s", its outbox-delivery task "cancelling" and back at its wait)."""

from __future__ import annotations

import asyncio

from bot.background import BackgroundLoop
from bot.outbox.delivery import DeliveryLoop


class IdleDispatcher:
    """The dispatcher as the delivery loop uses it, with nothing to deliver."""

    def __init__(self) -> None:
        self.stopped = False

    async def announce(self) -> None:
        pass

    async def deliver_pending(self) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True


async def test_a_delivery_loop_woken_as_it_is_stopped_stops() -> None:
    dispatcher = IdleDispatcher()
    loop = DeliveryLoop(dispatcher, interval=3600)
    loop.start()
    for _ in range(5):  # it waits to be woken (its first round only after the interval)
        await asyncio.sleep(0)
    loop.wake()
    stopping = asyncio.ensure_future(loop.stop())  # cancels in this very turn, before the woken wait runs
    assert await stopped(stopping)
    assert dispatcher.stopped


class SwallowsCancellation(BackgroundLoop):
    """A loop whose wait loses the first cancellation, as some libraries' waits do."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds = 0
        self.swallowed = False

    async def wait(self) -> None:
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed = True

    async def round(self) -> None:
        self.rounds += 1


async def test_a_loop_whose_wait_loses_the_cancellation_still_stops() -> None:
    loop = SwallowsCancellation()
    loop.start()
    while loop.rounds < 3:
        await asyncio.sleep(0)
    assert await stopped(asyncio.ensure_future(loop.stop()))
    assert loop.swallowed


async def stopped(stopping: asyncio.Future) -> bool:
    """Whether `stopping` ends within a liveness bound (a stopped loop takes a few turns)."""
    done, _ = await asyncio.wait({stopping}, timeout=10)
    return stopping in done
