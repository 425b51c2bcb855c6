"""A visit posted into a Telegram group, where the fake keeps Telegram's flood limits (a message
a second, twenty a minute in a group, each photo of an album counted): the findings arrive
several to a message, each with a row of buttons that name it, before any photo, so the buyer
can decide all twenty within the group's first minute; the photos follow as the group allows.
Nothing is refused, lost or sent twice. The windows are compressed twentyfold (a minute is
three seconds) in the fake and in the bot's pacing alike; no test measures time.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from bot.outbox.pacing import Pacer
from tests.conftest import EXAMPLE_VISIT, bundle_of, many_findings
from tests.fake_telegram import Limit, SentMessage
from tests.telegram_world import INSPECTOR_ID, World, running

pytestmark = pytest.mark.long_story(seconds=30)  # handed out first (tests/conftest.py)

GROUP = -100_555_111
SCALE = 20.0
FINDINGS = 20


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def post_twenty(world: World, folder, without_instruction: tuple[int, ...] = ()) -> None:
    """Twenty findings, each with an instruction proposed but those at `without_instruction`."""
    world.fake.flood_limits(Limit(1, 1.0), Limit(20, 60.0), Limit(30, 1.0), scale=SCALE)
    for photo in EXAMPLE_VISIT.glob("*.jpg"):
        shutil.copy(photo, folder)
    data = many_findings(yaml.safe_load((EXAMPLE_VISIT / "report.yaml").read_text(encoding="utf-8")), FINDINGS)
    for index in without_instruction:
        del data["findings"][index]["instruction"]
    await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", bundle_of(folder, data))
    await world.fake.wait_for(lambda: any("posted" in (m.text or "") for m in world.chat(INSPECTOR_ID)))
    await world.fake.wait_for(lambda: sum(1 for m in world.chat(GROUP) if m.photos) == 2 * FINDINGS, timeout=30)
    await world.settled()


def findings_messages(world: World) -> list[SentMessage]:
    return [m for m in world.chat(GROUP) if m.method == "sendMessage"
            and any(label.startswith(("Approve F", "Edit F")) for label in m.buttons)]


def rows(message: SentMessage) -> list[list[str]]:
    return [[button["text"] for button in row] for row in message.reply_markup["inline_keyboard"]]


async def test_twenty_findings_reach_a_group_before_its_first_minute_is_spent_and_each_keeps_its_buttons(
        config, clock, tmp_path) -> None:
    async with running(config, clock, pacer=Pacer(SCALE), buyer_chat_id=GROUP) as world:
        await post_twenty(world, tmp_path)

        chat = world.chat(GROUP)
        texts = [m for m in chat if m.method == "sendMessage"]
        first_photo = next(i for i, m in enumerate(chat) if m.photos)
        assert all(chat.index(m) < first_photo for m in texts)  # every decision before any photo
        together = findings_messages(world)
        assert len(together) == 4  # five findings to a message
        assert len(texts) < 20  # the summary and the findings, within the group's first minute
        for message in together:
            labels = [line.split("]")[0].lstrip("[") for line in message.plain.splitlines() if line.startswith("[F")]
            assert rows(message) == [[f"Approve {label}", f"Edit {label}", f"Reject {label}"] for label in labels]
        shown = [line.split("]")[0] for m in together for line in m.plain.splitlines() if line.startswith("[F")]
        assert shown == [f"[F{i}" for i in range(1, FINDINGS + 1)]  # each once, in order
        captions = [m.plain for m in chat if m.caption]
        assert len(captions) == FINDINGS and all(c.startswith(f"[F{i}]") for i, c in enumerate(captions, 1))
        assert world.fake.flood.refused == 0  # paced: not one 429


async def test_a_buyer_decides_one_finding_of_a_shared_message_and_then_approves_the_rest(
        config, clock, tmp_path) -> None:
    async with running(config, clock, pacer=Pacer(SCALE), buyer_chat_id=GROUP) as world:
        await post_twenty(world, tmp_path)
        first = findings_messages(world)[0]

        assert await world.tap(world.buyer, GROUP, first, "Approve F3") == "Approved."
        first = next(m for m in world.chat(GROUP) if m.message_id == first.message_id)
        f3 = first.plain.split("[F3]")[1].split("[F4]")[0]
        f2 = first.plain.split("[F2]")[1].split("[F3]")[0]
        assert "Decision: approved — Anna Schmidt" in f3 and "Decision: awaiting decision" in f2
        assert rows(first)[2] == ["Edit F3", "Reject F3"] and rows(first)[1][0] == "Approve F2"

        summary = world.last_with_button(GROUP, "Approve all")
        edits_before = len(world.fake.calls("editMessageText"))
        assert "19" in await world.tap(world.buyer, GROUP, summary, "Approve all")
        assert len(world.fake.calls("editMessageText")) - edits_before == 4  # each shared message once
        for message in findings_messages(world):
            assert message.plain.count("Decision: approved") == 5
            assert all(row[0].startswith("Edit F") for row in rows(message))
        assert world.fake.flood.refused == 0


@pytest.mark.parametrize("without_instruction", [(1,), (0, 1, 3, 4)], ids=["one", "all but the decided"])
async def test_a_decision_keeps_every_finding_of_its_shared_message_even_those_with_no_instruction(
        config, clock, tmp_path, without_instruction) -> None:
    """A finding the inspector proposed nothing for is shown, and stays shown when a decision on
    another finding of the same message rewrites it."""
    async with running(config, clock, pacer=Pacer(SCALE), buyer_chat_id=GROUP) as world:
        await post_twenty(world, tmp_path, without_instruction)
        first = next(m for m in world.chat(GROUP) if m.method == "sendMessage" and "[F1]" in (m.plain or ""))

        assert await world.tap(world.buyer, GROUP, first, "Approve F3") == "Approved."
        first = next(m for m in world.chat(GROUP) if m.message_id == first.message_id)
        shown = [line.split("]")[0] for line in first.plain.splitlines() if line.startswith("[F")]
        assert shown == ["[F1", "[F2", "[F3", "[F4", "[F5"]
        assert "Decision: approved — Anna Schmidt" in first.plain.split("[F3]")[1].split("[F4]")[0]
        assert world.fake.flood.refused == 0
