"""The outbox's own count of a platform's flood windows (bot/outbox/pacing.py), on a clock the
test sets: how long a chat must wait, a group's minute, an album's weight, a send in flight,
windows compressed for the fakes. The stories that send through it against the fakes' limits
are tests/test_group_findings.py and test_slack_pacing below."""

from __future__ import annotations

import asyncio
import math

import pytest

from bot.outbox.pacing import DELIVERY_DEADLINE, Lane, Pacer, Window
from bot.telegram.limits import chat_lanes, lanes
from tests.conftest import EXAMPLE_VISIT, zipped
from tests.fake_flood import Limit
from tests.slack_world import BUYER_CHANNEL, INSPECTOR, running_slack


class Moment:
    def __init__(self):
        self.at = 100.0

    def __call__(self) -> float:
        return self.at


async def sent(pacer: Pacer, lanes_: tuple[Lane, ...]) -> None:
    assert pacer.ready_in(lanes_) == 0
    await pacer.send(lanes_, _answered)


async def _answered() -> str:
    return "ok"


async def test_a_chat_waits_a_second_from_when_its_last_message_was_answered() -> None:
    now = Moment()
    pacer = Pacer(now=now)
    await sent(pacer, lanes(501))
    now.at += 0.4
    assert pacer.ready_in(chat_lanes(501)) == pytest.approx(0.6)
    assert pacer.ready_in(chat_lanes(502)) == 0  # another chat is not held back
    now.at += 0.6
    assert pacer.ready_in(chat_lanes(501)) == 0


async def test_a_group_takes_twenty_a_minute_each_photo_of_an_album_counted() -> None:
    now = Moment()
    pacer = Pacer(now=now)
    group = -100_1
    for _ in range(9):
        await sent(pacer, lanes(group, messages=2))  # nine albums of two
        now.at += 1
    for _ in range(2):  # the nineteenth and twentieth messages
        await sent(pacer, lanes(group))
        now.at += 1
    assert pacer.ready_in(chat_lanes(group)) == pytest.approx(49.0)  # when the first album leaves the minute
    assert pacer.ready_in(lanes(-100_2)) == 0


async def test_a_send_in_flight_fills_its_window_until_answered() -> None:
    now = Moment()
    pacer = Pacer(now=now)
    seen = []

    async def answering() -> None:
        seen.append(pacer.ready_in(chat_lanes(501)))

    await pacer.send(lanes(501), answering)
    assert seen == [math.inf]


async def test_compressed_windows_for_a_fake_compressed_alike() -> None:
    now = Moment()
    pacer = Pacer(scale=20.0, now=now)
    await sent(pacer, (Lane("group", Window(1, 60.0)),))
    assert pacer.ready_in((Lane("group", Window(1, 60.0)),)) == pytest.approx(3.0)



async def test_a_delivery_of_many_paced_sends_is_timed_by_its_sends_not_its_waits_for_room() -> None:
    """Four sends a window apart outlast the delivery's allowance in all, never one send's: the
    deadline moves on as each may go (a group's findings and photos wait minutes in all). The
    window is half the allowance, so a sleep that wakes late on a loaded machine (it did by
    more than 50 ms) is not taken for a send that overran."""
    pacer, lane = Pacer(), (Lane("group", Window(1, 0.3)),)
    async with asyncio.timeout(0.6) as deadline:
        paced = DELIVERY_DEADLINE.set((deadline, 0.6))
        try:
            for _ in range(4):
                await pacer.send(lane, _answered)
        finally:
            DELIVERY_DEADLINE.reset(paced)


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


async def test_slack_pacing_posts_a_visit_into_a_limited_channel_without_one_429(config, clock, no_proxies) -> None:
    """A message a second per channel, compressed twentyfold in the fake and the bot alike: the
    summary, its details and each finding in its thread arrive once, in order, none refused."""
    async with running_slack(config, clock, Pacer(20.0)) as world:
        world.fake.flood_limits(Limit(1, 1.0), scale=20.0)
        bundle = world.fake.add_uploaded_file("visit.zip", zipped(EXAMPLE_VISIT))
        dm = world.fake.dm_channel(INSPECTOR)
        await world.event(world.fake.message_event(INSPECTOR, dm, "", files=[bundle]))
        await world.fake.wait_for(lambda: len(world.channel(BUYER_CHANNEL)) >= 9, timeout=15)
        await world.settled()

        assert world.channel(BUYER_CHANNEL)[1].text.startswith("*Details · ")  # the summary's first reply
        labels = [m.text.split("]")[0].lstrip("*") for m in world.channel(BUYER_CHANNEL)[2:]]
        assert labels == ["[F1", "[F2", "[F3", "[M3", "[P1", "[P2", "[P3"]
        assert world.fake.flood.refused == 0
