"""The outbox gives way to taps (bot/background.py `give_way`): before it claims it waits for
a turn of the event loop that ran nothing else, and never longer than its patience. Held by
counting turns against a CPU clock that says which turns were busy, never by timing."""

from __future__ import annotations

import asyncio

from bot.background import BACKLOG, QUIET, Foreground, give_way


class BusyTurns:
    """The loop thread's CPU clock as `give_way` reads it, twice a turn (before and after):
    each of the first `busy` turns (or every turn, with None) ran other work."""

    def __init__(self, busy: int | None) -> None:
        self.busy = busy
        self.reads = 0
        self.now = 0.0

    def __call__(self) -> float:
        self.reads += 1
        if self.reads % 2 == 0 and (self.busy is None or self.turns <= self.busy):
            self.now += 10 * QUIET
        return self.now

    @property
    def turns(self) -> int:
        return (self.reads + 1) // 2


async def test_a_quiet_loop_is_not_waited_for() -> None:
    cpu = BusyTurns(busy=0)
    await give_way(patience=60, cpu=cpu)
    assert cpu.turns == 1


async def test_it_waits_for_the_first_quiet_turn() -> None:
    cpu = BusyTurns(busy=3)
    await give_way(patience=60, cpu=cpu)
    assert cpu.turns == 4


async def test_a_loop_that_stays_busy_is_given_way_to_only_for_the_patience() -> None:
    cpu = BusyTurns(busy=None)
    await asyncio.wait_for(give_way(patience=0.05, cpu=cpu), timeout=30)
    assert cpu.turns > 1


async def test_it_waits_while_updates_are_a_backlog_though_the_loop_looks_quiet() -> None:
    """Taps waiting on the store's thread leave the loop's turns quiet: the count says."""
    foreground, cpu = Foreground(), BusyTurns(busy=0)
    foreground.handling = BACKLOG + 1
    waiting = asyncio.create_task(give_way(patience=60, cpu=cpu, foreground=foreground))
    while cpu.turns < 3:
        await asyncio.sleep(0)
    assert not waiting.done()
    foreground.handling = BACKLOG
    await asyncio.wait_for(waiting, timeout=30)


async def test_updates_handled_without_end_are_given_way_to_only_for_the_patience() -> None:
    foreground = Foreground()
    foreground.handling = BACKLOG + 1
    await asyncio.wait_for(give_way(patience=0.05, cpu=BusyTurns(busy=0), foreground=foreground), timeout=30)
