"""The whole flow in Telegram chats, against a fake Bot API server on 127.0.0.1.

The real python-telegram-bot client sends real HTTP (form fields, multipart uploads,
JSON-encoded keyboards); only the server is fake. Each test reads like the chat it checks.
"""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLE_VISIT, zipped
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, INSPECTOR_ID, running


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def test_an_inspector_posts_a_bundle_and_the_buyer_sees_the_findings(config, clock) -> None:
    async with running(config, clock) as world:
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
        answer = await world.fake.wait_for(lambda: [m for m in world.chat(INSPECTOR_ID) if "posted" in (m.text or "")])
        await world.settled()

        assert "Visit for PO-2026-0142 posted with 7 proposed instructions." in answer[-1].text
        buyer = world.chat(BUYER_CHAT)
        assert "Visit findings · PO-2026-0142" in buyer[0].plain
        assert "Status: AT RISK" in buyer[0].plain
        f1 = world.finding("F1")
        assert set(f1.buttons) == {"Approve", "Edit", "Reject"}
        photos = [m for m in buyer if m.photos]
        assert sum(len(m.photos) for m in photos) >= 7
        assert FACTORY_CHAT not in [m.chat_id for m in buyer]


async def post_example(world) -> None:
    await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
    await world.fake.wait_for(lambda: any("posted" in (m.text or "") for m in world.chat(INSPECTOR_ID)))
    await world.settled()


async def test_the_buyer_decides_sends_the_notice_and_the_factory_acknowledges(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)

        assert await world.tap(world.buyer, BUYER_CHAT, world.finding("F1"), "Approve") == "Approved."
        f1 = world.finding("F1")
        assert f1.edited and "Decision: approved — Anna Schmidt" in f1.plain
        assert set(f1.buttons) == {"Edit", "Reject"}  # until the notice is sent

        again = await world.tap(world.buyer, BUYER_CHAT, f1, "Edit")  # asks for words first
        assert again == ""
        prompt = world.chat(BUYER_CHAT)[-1]
        assert "Send the new wording of the note" in prompt.plain
        await world.say(world.buyer, BUYER_CHAT, "Sort before packing; keep rejects for re-inspection.",
                        reply_to=prompt.message_id)
        assert "Changed and approved." in world.chat(BUYER_CHAT)[-1].plain
        assert "Sort before packing; keep rejects for re-inspection." in world.finding("F1").plain

        await world.tap(world.buyer, BUYER_CHAT, world.finding("F2"), "Approve")
        assert await world.tap(world.buyer, BUYER_CHAT, world.finding("F3"), "Reject") == "Rejected."
        for label in ("M3", "P1", "P2", "P3"):
            await world.tap(world.buyer, BUYER_CHAT, world.finding(label), "Approve")

        send = world.last_with_button(BUYER_CHAT, "Send notice")
        assert "Send notice (6)" in send.buttons
        held = await world.tap(world.buyer, BUYER_CHAT, send, "Send notice")
        # The buyer's new note is English only: nothing reaches the factory until they decide.
        assert held == ("Not sent yet: 1 text would reach the factory in English only. Add its Chinese, "
                        "or tap Send anyway.")
        await world.settled()
        assert world.chat(FACTORY_CHAT) == []
        warning = world.last_with_button(BUYER_CHAT, "Send anyway")
        assert warning.plain.startswith("⚠ 1 text will reach the factory in English only — add Chinese?")
        assert "[F1] note: “Sort before packing; keep rejects for re-inspection.”" in warning.plain
        assert list(warning.buttons) == ["Add Chinese F1", "Send anyway"]
        assert await world.tap(world.buyer, BUYER_CHAT, warning, "Add Chinese F1") == ""  # asks for words first
        prompt = world.chat(BUYER_CHAT)[-1]
        assert "Reply to this message with the Chinese for this item's next text" in prompt.plain
        await world.say(world.buyer, BUYER_CHAT, "包装前全检；不良品留待复检。", reply_to=prompt.message_id)
        assert world.chat(BUYER_CHAT)[-1].plain == (
            "Chinese added for F1 (note); every text of it now has its Chinese.")
        assert "Note in Chinese: 包装前全检；不良品留待复检。" in world.finding("F1").plain

        sent = await world.tap(world.buyer, BUYER_CHAT, world.last_with_button(BUYER_CHAT, "Send notice"),
                               "Send notice")
        assert sent == "Notice CN-2026-0001 sent to the factory with 6 instructions."
        f1 = world.finding("F1")
        assert "Decision: sent to factory" in f1.plain and f1.buttons == {}  # nothing left to decide

        notice = world.last_with_button(FACTORY_CHAT, "确认收到")
        assert notice.plain.startswith("整改通知书 CN-2026-0001（第1版）")
        assert notice.plain.index("整改通知书") < notice.plain.index("CORRECTIVE NOTICE")
        assert set(notice.buttons) == {"确认收到", "有异议"}  # the factory's language only
        chinese = notice.plain[:notice.plain.index("CORRECTIVE NOTICE")]
        assert "备注：包装前全检；不良品留待复检。" in chinese and "【原文（英文）】" not in chinese
        pdf = [m for m in world.chat(FACTORY_CHAT) if m.document]
        assert pdf and pdf[-1].document.filename == "CN-2026-0001.pdf" and pdf[-1].document.content[:5] == b"%PDF-"

        thanks = await world.tap(world.factory, FACTORY_CHAT, notice, "确认收到")
        assert thanks == "谢谢，已确认收到整改通知书CN-2026-0001。"
        assert "acknowledged notice CN-2026-0001" in world.chat(BUYER_CHAT)[-1].plain
        # Answered: the notice keeps its text; one button opens, in place, a completion date
        # and a done report for each instruction.
        assert list(notice.buttons) == ["更新整改进度"]
        await world.tap(world.factory, FACTORY_CHAT, notice, "更新整改进度")
        assert list(notice.buttons)[:2] == ["F1 承诺完成日期", "F1 整改完成（附照片）"]
        assert list(notice.buttons)[-1] == "返回"

        await world.tap(world.factory, FACTORY_CHAT, notice, "F1 整改完成")
        prompt = world.chat(FACTORY_CHAT)[-1]
        assert "请回复本消息，附上整改后产品的照片（至少一张）。" in prompt.plain
        photo = (EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg").read_bytes()
        before = len(world.chat(BUYER_CHAT))
        await world.fake.send_photo(FACTORY_CHAT, world.factory, photo, reply_to_message_id=prompt.message_id,
                                    media_group_id="album-1")
        await world.fake.send_photo(FACTORY_CHAT, world.factory, photo[:-10] + b"\xff\xd9" * 5,
                                    media_group_id="album-1")
        await world.settled()
        assert world.chat(FACTORY_CHAT)[-2].plain == "谢谢，已报告整改完成，买方将进行验收。"
        assert world.chat(FACTORY_CHAT)[-1].plain == "已添加照片：本次完成报告共2张照片。"
        done = [m for m in world.chat(BUYER_CHAT)[before:] if m.text and "reported done by the factory" in m.plain]
        assert len(done) == 1 and set(done[0].buttons) == {"Verify", "Reopen"}
        shown = [m for m in world.chat(BUYER_CHAT)[before:] if m.photos]
        assert sum(len(m.photos) for m in shown) == 2 + 2  # F1's two photos, then the factory's two
        assert await world.tap(world.buyer, BUYER_CHAT, done[0], "Verify") == "Verified."


async def test_a_double_tap_and_a_second_buyer_get_already_approved(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        f1 = world.finding("F1")
        approve = f1.buttons["Approve"]
        first = await world.tap(world.buyer, BUYER_CHAT, f1, "Approve")
        second = await world.tap_data(world.buyer, BUYER_CHAT, f1.message_id, approve)  # a slow client's old button
        assert first == "Approved."
        assert second.startswith("Already approved by Anna Schmidt at 24 Nov 2026, 12:00 CET")


async def test_a_stranger_and_a_forged_button_change_nothing(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        f1 = world.finding("F1")
        stranger = world.fake.user(999, "Mallory", "en")
        refused = await world.tap(stranger, BUYER_CHAT, f1, "Approve")
        assert "works only for the people of its buyer" in refused

        forged = await world.tap_data(world.buyer, BUYER_CHAT, f1.message_id, "approve:1")
        assert forged == "This button is no longer valid. Please use the latest message."

        factory_tap = await world.tap(world.factory, BUYER_CHAT, f1, "Approve")
        assert factory_tap == "抱歉，您的角色（工厂联系人）无权执行此操作。"
        await world.settled()
        assert not world.finding("F1").edited


async def test_status_in_english_for_the_buyer_and_in_chinese_for_the_factory(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        buyer = await world.say(world.buyer, BUYER_CHAT, "/status PO-2026-0142")
        assert "Status: AT RISK" in buyer.plain
        factory = await world.say(world.factory, FACTORY_CHAT, "PO-2026-0142 进度")
        assert "状态：有风险" in factory.plain
        unknown = await world.say(world.factory, FACTORY_CHAT, "PO-2026-0124 进度")
        assert unknown.plain == "找不到订单PO-2026-0124。您是否要查询：PO-2026-0142？"


async def test_sends_respect_telegrams_flood_limits(config, clock) -> None:
    """20 messages a minute per group and 30 a second overall (python-telegram-bot's
    AIORateLimiter); a 429 is retried when answering someone, never by the outbox's own bot: the
    outbox waits it out for that chat alone (test_delivery_telegram). Waiting out a real minute
    has no place in a test."""
    async with running(config, clock) as world:
        limiter = world.runtime.application.bot.rate_limiter
        assert (limiter._group_max_rate, limiter._group_time_period) == (20, 60)
        assert (limiter._base_limiter.max_rate, limiter._base_limiter.time_period) == (30, 1)
        assert limiter._max_retries == 3
        outbox = world.runtime.outbox_bot.rate_limiter
        assert (outbox._group_max_rate, outbox._base_limiter.max_rate, outbox._max_retries) == (20, 30, 0)
