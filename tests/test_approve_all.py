"""On a phone, the common case in a few taps, through the real PTB against the fake Bot API:
the buyer approves every proposed instruction with one tap on the summary, sends, and the
factory acknowledges; the factory's buttons are in its own language, its per-instruction
choices behind one 更新整改进度."""

from __future__ import annotations

import re

import pytest

from handlers.model import Role
from handlers.results import Reply
from messages.i18n import CHINESE, ENGLISH, Language
from messages.replies import reply_text
from tests.conftest import EXAMPLE_VISIT, speaking, zipped
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, INSPECTOR_ID, running

ORDER = "PO-2026-0142"
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")  # "F1" is a label; a word of two letters is English


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def post_example(world) -> None:
    await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
    await world.fake.wait_for(lambda: any("posted" in (m.text or "") for m in world.chat(INSPECTOR_ID)))
    await world.settled()


def summary(world):
    return world.chat(BUYER_CHAT)[0]


async def decisions(world) -> dict[str, tuple[str, int]]:
    """Each instruction's state and how many times the audit trail says it was approved."""
    async with world.app.store.unit_of_work() as uow:
        visit = (await uow.visits.for_order(ORDER))[-1]
        found = {}
        for instruction in await uow.instructions.for_visit(visit.id):
            events = await uow.audit.for_entity("instruction", instruction.id)
            found[instruction.source] = (instruction.state.value, sum(e.action == "approve" for e in events))
    return found


async def test_one_tap_on_the_summary_approves_every_proposed_instruction(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        assert "Approve all (7)" in summary(world).buttons

        answer = await world.tap(world.buyer, BUYER_CHAT, summary(world), "Approve all")

        assert answer == "Approved as proposed: 7 instructions (F1, F2, F3, M3, P1, P2, P3)."
        assert set((await decisions(world)).values()) == {("approved", 1)}  # each decided and audited on its own
        for label in ("F1", "F2", "F3", "M3", "P1", "P2", "P3"):
            finding = world.finding(label)
            assert "Decision: approved — Anna Schmidt" in finding.plain
            assert {"Edit", "Reject"} <= set(finding.buttons)  # until the notice is sent
        assert list(summary(world).buttons) == ["Visit report (PDF)", "Send notice (7)"]  # Send alone, below


async def test_a_double_tap_on_approve_all_decides_each_instruction_once(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        approve_all = summary(world).buttons["Approve all (7)"]
        update = await world.fake.tap(BUYER_CHAT, world.buyer, summary(world).message_id, approve_all)
        await world.fake.redeliver(update)  # the same update, as Telegram sends it again
        await world.fake.wait_for(lambda: world.fake.callback_answers)
        await world.settled()

        again = await world.tap_data(world.buyer, BUYER_CHAT, summary(world).message_id, approve_all)  # a second tap

        assert again == f"Nothing left to approve for {ORDER}: every instruction is decided."
        assert set((await decisions(world)).values()) == {("approved", 1)}


async def test_approve_all_after_single_decisions_approves_only_the_rest(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        await world.tap(world.buyer, BUYER_CHAT, world.finding("F1"), "Approve")
        await world.tap(world.buyer, BUYER_CHAT, world.finding("F3"), "Reject")
        assert "Approve all (5)" in summary(world).buttons  # the count follows the decisions

        answer = await world.tap(world.buyer, BUYER_CHAT, summary(world), "Approve all")

        assert answer == "Approved as proposed: 5 instructions (F2, M3, P1, P2, P3)."
        found = await decisions(world)
        assert found["findings.0"] == ("approved", 1) and found["findings.2"] == ("rejected", 0)
        assert list(summary(world).buttons) == ["Visit report (PDF)", "Send notice (6)"]  # Send alone, below


async def test_approved_by_approve_all_can_still_be_rejected_before_sending(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        await world.tap(world.buyer, BUYER_CHAT, summary(world), "Approve all")

        assert await world.tap(world.buyer, BUYER_CHAT, world.finding("F3"), "Reject") == "Rejected."

        assert list(summary(world).buttons) == ["Visit report (PDF)", "Send notice (6)"]  # Send alone, below
        sent = await world.tap(world.buyer, BUYER_CHAT, summary(world), "Send notice")
        assert sent == "Notice CN-2026-0001 sent to the factory with 6 instructions."
        assert list(summary(world).buttons) == ["Visit report (PDF)"] and world.finding("F1").buttons == {}


async def acknowledged_in_three_taps(world):
    """The example posted; the buyer taps Approve all and Send, the factory 确认收到: the notice."""
    await post_example(world)
    await world.tap(world.buyer, BUYER_CHAT, summary(world), "Approve all")
    await world.tap(world.buyer, BUYER_CHAT, summary(world), "Send notice")
    notice = world.last_with_button(FACTORY_CHAT, "确认收到")
    await world.tap(world.factory, FACTORY_CHAT, notice, "确认收到")
    return notice


async def test_inspector_to_acknowledged_notice_is_three_taps(config, clock) -> None:
    async with running(config, clock) as world:
        await acknowledged_in_three_taps(world)

        assert len(world.fake.callback_answers) == 3  # every tap anyone made
        assert {state for state, _ in (await decisions(world)).values()} == {"acknowledged"}


async def test_the_factory_reads_its_buttons_in_chinese_and_opens_progress_in_place(config, clock) -> None:
    async with running(config, clock) as world:
        notice = await acknowledged_in_three_taps(world)

        assert list(notice.buttons) == ["更新整改进度"]  # one button, not two per instruction
        before = len(world.chat(FACTORY_CHAT))

        await world.tap(world.factory, FACTORY_CHAT, notice, "更新整改进度")

        assert len(world.chat(FACTORY_CHAT)) == before  # the same message: its keyboard changed
        labels = list(notice.buttons)
        assert labels[:2] == ["F1 承诺完成日期", "F1 整改完成（附照片）"] and labels[-1] == "返回"
        assert len(labels) == 2 * 7 + 1
        shown = [label for message in world.chat(FACTORY_CHAT) for label in message.buttons]
        assert shown and not [label for label in shown if ENGLISH_WORD.search(label)]

        await world.tap(world.factory, FACTORY_CHAT, notice, "返回")
        assert list(notice.buttons) == ["更新整改进度"]


async def test_an_english_speaking_factory_contact_opens_the_menu_in_english(config, clock) -> None:
    async with running(speaking(config, Role.FACTORY, "en"), clock) as world:
        notice = await acknowledged_in_three_taps(world)  # its chat reads Chinese: 确认收到

        await world.tap(world.factory, FACTORY_CHAT, notice, "更新整改进度")

        labels = list(notice.buttons)
        assert labels[:2] == ["F1 completion date", "F1 done, with photos"] and labels[-1] == "Back"
        assert not [label for label in labels if re.search(r"[\u4e00-\u9fff]", label)]


async def test_the_buyer_cannot_open_the_factory_progress_menu(config, clock) -> None:
    async with running(config, clock) as world:
        notice = await acknowledged_in_three_taps(world)

        refused = await world.tap(world.buyer, FACTORY_CHAT, notice, "更新整改进度")

        assert refused.startswith("Sorry, your role (buyer) does not allow that.")
        assert list(notice.buttons) == ["更新整改进度"]


def test_a_chinese_reading_buyer_reads_the_approved_labels_with_full_width_commas() -> None:
    reply = Reply("instructions_approved", {"visit_id": 1, "count": 3, "labels": ["F1", "F2", "M3"]})
    assert reply_text(reply, Language(CHINESE)) == "已按原建议批准3项整改措施（F1，F2，M3）。"
    assert reply_text(reply, Language(ENGLISH)) == "Approved as proposed: 3 instructions (F1, F2, M3)."
