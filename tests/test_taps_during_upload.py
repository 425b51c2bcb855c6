"""The buyer taps while the inspector's worst upload is being checked, through the real
python-telegram-bot against the fake Bot API: the tap is answered first.

The check runs in the real worker pool; its result is held back until the tap has been
answered, so the story is told in a fixed order whatever the machine's load. Were the check on
the event loop, or the tap queued behind the upload, the tap would never be answered while
the result is held. How long a tap takes meanwhile is measured by
benchmarks/taps_during_upload.py, never here.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.cpu import CpuPool
from tests.conftest import bundle_of, one_finding
from tests.hostile.build import CORPUS
from tests.telegram_world import BUYER_CHAT, INSPECTOR_ID, running

# The bundle that froze the bot before: 3,000 photo names leading to one 4-megapixel image.
WORST = "3000-photo-names-one-file.zip"


@pytest.fixture(autouse=True)
def no_proxies(direct_to_fakes: None) -> None:
    """httpx honours proxy variables even for 127.0.0.1."""


class HeldPool(CpuPool):
    """The real pool; each job's result is held until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.checking = asyncio.Event()
        self.let_go = asyncio.Event()

    async def run(self, fn, /, *args, **kwargs):
        self.checking.set()
        result = await super().run(fn, *args, **kwargs)
        await self.let_go.wait()
        return result


async def test_the_buyer_s_tap_is_answered_while_the_inspector_s_worst_upload_is_checked(
    config, clock, visit_dir, example_data
):
    async with running(config, clock) as world:
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip",
                                       bundle_of(visit_dir, one_finding(example_data)))
        await world.fake.wait_for(lambda: world.chat(INSPECTOR_ID))
        await world.settled()
        f1 = world.finding("F1")
        approve = next(data for label, data in f1.buttons.items() if "Approve" in label)
        world.app.cpu.close()
        world.app.cpu = pool = HeldPool()
        before = len(world.chat(INSPECTOR_ID))

        await world.fake.send_document(INSPECTOR_ID, world.inspector, WORST, (CORPUS / WORST).read_bytes())
        await world.fake.wait_for(pool.checking.is_set, timeout=30)
        await world.fake.tap(BUYER_CHAT, world.buyer, f1.message_id, approve)
        tapped = await world.fake.wait_for(lambda: world.fake.callback_answers, timeout=30)

        assert tapped[-1].text == "Approved."
        assert world.chat(INSPECTOR_ID)[before:] == []  # the upload is still being checked
        pool.let_go.set()
        answer = (await world.fake.wait_for(lambda: world.chat(INSPECTOR_ID)[before:], timeout=30))[0]
        assert answer.plain.startswith(f"{WORST} was refused with 100 problems; nothing was stored:")
        calls = world.fake.requests
        tap_answered = next(i for i, (name, _) in enumerate(calls) if name == "answerCallbackQuery")
        upload_answered = max(i for i, (name, params) in enumerate(calls)
                              if name == "sendMessage" and str(params["chat_id"]) == str(INSPECTOR_ID))
        assert tap_answered < upload_answered
        await world.settled()
