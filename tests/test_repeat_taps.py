"""A repeated tap is answered from a read (issue 17): no commit of its own, its key kept with
the next change committed or with other repeats soon after, never after a change that could
answer it otherwise. And a button already seen is looked up without a transaction. Held by
counting commits and units of work on a real SQLite store, without timing anything.
"""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.chat.actions import with_tokens
from bot.chat.handled_marks import HandledMarks
from bot.chat.taps import stored_button, tap
from handlers.commands import ApproveInstruction, RejectInstruction
from handlers.model import Platform, Role
from handlers.results import ALREADY
from messages.buttons import Button
from tests.conftest import actor, post_example


class Counted:
    """Units of work opened through a store, and those committed."""

    def __init__(self) -> None:
        self.opened = self.committed = 0


def counting(app: App) -> Counted:
    """The app's own store from now on counts its units of work (everything keeps using it)."""
    counted, store = Counted(), app.store
    opened = store.unit_of_work

    def unit_of_work(short: bool = False):
        counted.opened += 1
        uow = opened(short)
        commit = uow.commit

        async def counted_commit() -> None:
            await commit()
            counted.committed += 1

        uow.commit = counted_commit
        return uow

    store.unit_of_work = unit_of_work
    return counted


async def instructions_of(app: App, config) -> list[int]:
    visit_id = await post_example(app, config)
    async with app.store.unit_of_work() as uow:
        return [i.id for i in await uow.instructions.for_visit(visit_id)]


async def kept(app: App, key: str) -> dict | None:
    async with app.store.unit_of_work() as uow:
        return await uow.updates.result_of(key)


async def test_a_repeated_tap_commits_nothing_and_its_key_is_kept_soon_after(app: App, config) -> None:
    first, *_ = await instructions_of(app, config)
    buyer = actor(config, Role.BUYER)
    assert (await app.bus.handle(ApproveInstruction(first), buyer, update_key="tap:1")).ok
    counted = counting(app)
    repeat = await app.bus.handle(ApproveInstruction(first), buyer, update_key="tap:2")
    assert repeat.code == ALREADY and counted.committed == 0
    await app.bus.repeats.drain()
    assert await kept(app, "tap:2") == repeat.as_dict() and counted.committed == 1


async def test_repeats_keys_ride_with_the_next_change_in_its_commit(app: App, config) -> None:
    first, second, *_ = await instructions_of(app, config)
    buyer = actor(config, Role.BUYER)
    assert (await app.bus.handle(ApproveInstruction(first), buyer, update_key="tap:1")).ok
    counted = counting(app)
    taps = [(first, "tap:2"), (first, "tap:3"), (first, "tap:4"), (second, "tap:5")]  # arriving together
    replies = await asyncio.gather(*(app.bus.handle(ApproveInstruction(i), buyer, update_key=key) for i, key in taps))
    assert [r.code for r in replies] == [ALREADY] * 3 + ["instruction_approved"]
    await app.bus.repeats.drain()
    assert counted.committed == 1  # the change, the three repeats' keys with it
    assert all([await kept(app, key) for key in ("tap:2", "tap:3", "tap:4", "tap:5")])


async def test_a_repeat_handled_again_after_a_change_gets_its_first_answer(app: App, config) -> None:
    first, *_ = await instructions_of(app, config)
    buyer = actor(config, Role.BUYER)
    await app.bus.handle(ApproveInstruction(first), buyer, update_key="tap:1")
    repeat = await app.bus.handle(ApproveInstruction(first), buyer, update_key="tap:2")
    assert (await app.bus.handle(RejectInstruction(first, "wrong supplier"), buyer, update_key="tap:3")).ok
    assert await app.bus.handle(ApproveInstruction(first), buyer, update_key="tap:2") == repeat


async def test_a_button_seen_once_is_known_without_a_transaction(app: App, config) -> None:
    first, *_ = await instructions_of(app, config)
    buttons = (Button("approve", first, "Approve"), Button("reject", first, "Reject"))
    minted = await with_tokens(app.store, buttons, app.bus.clock.now())
    counted = counting(app)
    assert await with_tokens(app.store, buttons, app.bus.clock.now()) == minted  # a message drawn again
    assert await stored_button(app.store, minted[0][1]) == ("approve", first)
    assert counted.opened == 0


async def test_a_repeats_key_and_the_marks_waiting_are_written_in_one_transaction(app: App, config) -> None:
    first, *_ = await instructions_of(app, config)
    buyer = actor(config, Role.BUYER)
    await app.bus.handle(ApproveInstruction(first), buyer, update_key="telegram:1")
    async with app.store.unit_of_work() as uow:
        await uow.inbox.add(Platform.TELEGRAM, 2, {"update_id": 2}, app.bus.clock.now())
        await uow.commit()
    marks = HandledMarks(app.store, Platform.TELEGRAM, app.bus.clock, app.bus.ride_in)
    app.bus.ride_along(marks.ride)
    counted = counting(app)
    await app.bus.handle(ApproveInstruction(first), buyer, update_key="telegram:2")
    marks.add(2)  # answered
    await marks.drain()
    await app.bus.repeats.drain()
    assert counted.committed == 1 and await kept(app, "telegram:2")
    async with app.store.unit_of_work() as uow:
        assert await uow.inbox.unhandled(Platform.TELEGRAM) == []


class Surface:
    """The tap path's surface (bot.chat.taps.TapSurface) for the buyer, answering into a list."""

    platform = Platform.TELEGRAM

    def __init__(self, app: App, buyer) -> None:
        self.app, self.buyer, self.answers = app, buyer, []

    async def tapped_by(self):
        return self.buyer

    async def button(self, token: str):
        return await stored_button(self.app.store, token)

    async def answer(self, person, action: str, target: int, reply) -> None:
        self.answers.append(reply.code)


async def test_a_tap_on_a_button_shown_is_one_transaction_and_its_repeat_one_read(app: App, config) -> None:
    first, *_ = await instructions_of(app, config)
    [(_, token)] = await with_tokens(app.store, (Button("approve", first, "Approve"),), app.bus.clock.now())
    surface = Surface(app, actor(config, Role.BUYER).person)
    counted = counting(app)
    await tap(app.bus, surface, token, "telegram:1")
    assert (counted.opened, counted.committed) == (1, 1)  # check, decide, audit, message owed, key
    await tap(app.bus, surface, token, "telegram:2")
    assert counted.committed == 1 and surface.answers == ["instruction_approved", ALREADY]  # answered from a read
    await app.bus.repeats.drain()
    assert counted.committed == 2  # its key, alone: nothing else was committed meanwhile
