"""The structure that keeps taps quick (issue 17), held without timing anything: a chat's
updates are decided in order, but the next need not wait for the last one's answer to reach
Telegram; other chats go on beside; and what was handled is marked in shared transactions,
not one per update, against a real SQLite file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.chat.handled_marks import HandledMarks
from bot.telegram.chat_order import ChatOrder
from bot.telegram.taps import ANSWERS_IN_FLIGHT, TelegramTap, TelegramTaps
from handlers.model import Platform
from storage import SqliteStore
from tests.fakes import FakeClock

TG = Platform.TELEGRAM


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "followup.sqlite3")
    yield opened
    await opened.close()


class Counted:
    """The real store, counting the units of work opened through it."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.opened = 0

    def unit_of_work(self, short: bool = False):
        self.opened += 1
        return self.store.unit_of_work(short)


async def test_a_chats_next_update_waits_for_the_last_to_be_decided_not_answered() -> None:
    order, seen = ChatOrder(), []
    answer_sent = asyncio.Event()

    async def tap(update_id: int) -> None:
        seen.append(f"decided {update_id}")
        order.release(update_id)  # committed: the answer is on its way
        await answer_sent.wait()
        seen.append(f"answered {update_id}")

    order.spawn(7, 1, lambda: tap(1))
    order.spawn(7, 2, lambda: tap(2))
    for _ in range(5):
        await asyncio.sleep(0)
    assert seen == ["decided 1", "decided 2"]  # the second decided while the first's answer travels
    answer_sent.set()
    await asyncio.wait(order.running)
    assert sorted(seen[2:]) == ["answered 1", "answered 2"]


async def test_a_decided_tap_lets_the_chats_next_tap_go_and_anything_else_waits_for_its_commit() -> None:
    """The next tap may be decided inside the first's transaction (storage/shared_commit.py);
    a question asked after the tap must read what the tap did, committed."""
    order, seen = ChatOrder(), []
    committed = asyncio.Event()

    async def tap(update_id: int) -> None:
        seen.append(f"tap {update_id} decided")
        order.release_taps(update_id)
        await committed.wait()
        order.release(update_id)

    async def question() -> None:
        seen.append("question")

    order.spawn(7, 1, lambda: tap(1), tap=True)
    order.spawn(7, 2, lambda: tap(2), tap=True)
    order.spawn(7, 3, question)
    for _ in range(5):
        await asyncio.sleep(0)
    assert seen == ["tap 1 decided", "tap 2 decided"]
    committed.set()
    await asyncio.wait(order.running)
    assert seen == ["tap 1 decided", "tap 2 decided", "question"]


async def test_a_chats_update_not_released_holds_the_next_until_done_and_other_chats_go_on() -> None:
    order, seen = ChatOrder(), []
    report_checked = asyncio.Event()

    async def report() -> None:
        await report_checked.wait()
        seen.append("report")

    async def note(text: str) -> None:
        seen.append(text)

    order.spawn(7, 1, report)
    order.spawn(7, 2, lambda: note("photos after the report"))
    order.spawn(8, 3, lambda: note("a tap in another chat"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert seen == ["a tap in another chat"]
    report_checked.set()
    await asyncio.wait(order.running)
    assert seen == ["a tap in another chat", "report", "photos after the report"]


async def test_the_foreground_counts_every_update_from_spawned_to_done_failed_or_not() -> None:
    """The outbox gives way to a backlog of updates (bot/background.py), those waiting for their
    chat's turn included: a burst of one chat's taps counts whole until the last is answered."""
    order, answer_sent = ChatOrder(), asyncio.Event()

    async def tap(update_id: int) -> None:
        order.release(update_id)
        await answer_sent.wait()

    async def fails() -> None:
        raise RuntimeError("a handler's bug")

    order.spawn(7, 1, lambda: tap(1))
    order.spawn(7, 2, lambda: tap(2))
    order.spawn(8, 3, fails)
    assert order.foreground.handling == 3
    for _ in range(5):
        await asyncio.sleep(0)
    assert order.foreground.handling == 2
    answer_sent.set()
    await asyncio.wait(order.running)
    assert order.foreground.handling == 0


async def test_an_update_that_fails_lets_its_chat_go_on() -> None:
    order, seen = ChatOrder(), []

    async def fails() -> None:
        raise RuntimeError("a handler's bug")

    async def note() -> None:
        seen.append("next")

    order.spawn(7, 1, fails)
    order.spawn(7, 2, note)
    await asyncio.wait(order.running)
    assert seen == ["next"] and not order.running


async def received(store: SqliteStore, count: int) -> tuple[Counted, HandledMarks]:
    """Updates 1 to `count` stored, and marks to handle them through a counting store."""
    clock = FakeClock()
    async with store.unit_of_work() as uow:
        for update_id in range(1, count + 1):
            await uow.inbox.add(TG, update_id, {"update_id": update_id}, clock.now())
        await uow.commit()
    counted = Counted(store)
    return counted, HandledMarks(counted, TG, clock)


async def test_updates_handled_together_are_marked_in_one_transaction(store: SqliteStore) -> None:
    counted, marks = await received(store, 50)
    for update_id in range(1, 51):
        marks.add(update_id)
    await marks.drain()
    assert counted.opened == 1
    async with store.unit_of_work() as uow:
        assert await uow.inbox.unhandled(TG) == []


async def test_updates_handled_while_the_store_is_busy_wait_and_are_marked_together(store: SqliteStore) -> None:
    counted, marks = await received(store, 3)
    async with store.unit_of_work():  # a decision being committed
        marks.add(1)
        await asyncio.sleep(0)
        marks.add(2)
        marks.add(3)
    await marks.drain()
    assert counted.opened == 1  # the batch is taken once the store is free: the two that came meanwhile too
    async with store.unit_of_work() as uow:
        assert await uow.inbox.unhandled(TG) == []



async def test_answers_beyond_those_in_flight_wait_for_a_turn() -> None:
    """Each answer in flight holds an HTTP connection, and the pool's cost per request grows
    with its connections: a burst of decided taps sends a few answers at a time, not all."""
    taps = TelegramTaps(SimpleNamespace(app=None, directory=None, deliver=None), ChatOrder())
    in_flight, most, telegram_answers = 0, 0, asyncio.Event()

    class Query:
        id, from_user = "q", SimpleNamespace(id=1)

        async def answer(self, text=None, show_alert=False) -> None:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            await telegram_answers.wait()
            in_flight -= 1

    answers = [asyncio.create_task(TelegramTap(taps, SimpleNamespace(update_id=i, callback_query=Query()))
                                   ._answer("Approved.", show_alert=False)) for i in range(3 * ANSWERS_IN_FLIGHT)]
    for _ in range(10):
        await asyncio.sleep(0)
    assert most == in_flight == ANSWERS_IN_FLIGHT
    telegram_answers.set()
    await asyncio.gather(*answers)
    assert in_flight == 0
