"""On Telegram, after the factory acknowledges: a completion date typed in reply to the bot's
question (a later date goes to the buyer, who accepts it with a tap), and an answer that is not
a date leaves the question open."""

from __future__ import annotations

from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, running
from tests.test_telegram import post_example


async def acknowledged_notice(world):
    for label in ("F1", "F2", "F3", "M3", "P1", "P2", "P3"):
        await world.tap(world.buyer, BUYER_CHAT, world.finding(label), "Approve")
    await world.tap(world.buyer, BUYER_CHAT, world.last_with_button(BUYER_CHAT, "Send notice"), "Send notice")
    notice = world.last_with_button(FACTORY_CHAT, "确认收到")
    await world.tap(world.factory, FACTORY_CHAT, notice, "确认收到")
    await world.tap(world.factory, FACTORY_CHAT, notice, "更新整改进度")
    return notice


async def test_a_later_completion_date_is_put_to_the_buyer_who_accepts_it(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        notice = await acknowledged_notice(world)

        await world.tap(world.factory, FACTORY_CHAT, notice, "M3 承诺完成日期")
        prompt = world.chat(FACTORY_CHAT)[-1]
        assert "请回复本消息，填写承诺完成日期，如2026-12-05或12月5日。" in prompt.plain

        not_a_date = await world.say(world.factory, FACTORY_CHAT, "下周", reply_to=prompt.message_id)
        assert not_a_date.plain == "无法识别日期“下周”，请按2026-12-05或12月5日的格式填写。"
        past = await world.say(world.factory, FACTORY_CHAT, "11月20日", reply_to=prompt.message_id)
        assert past.plain == "2026年11月20日已过，请填写2026年11月24日或之后的日期。"
        answer = await world.say(world.factory, FACTORY_CHAT, "2026-12-03", reply_to=prompt.message_id)
        assert answer.plain == "2026年12月3日晚于完成期限2026年11月30日，已提交买方确认。买方确认前，仍以原完成期限为准。"

        asked = world.last_with_button(BUYER_CHAT, "Accept the date")
        assert asked.plain.startswith("📅 Ningbo Evergreen Homeware Co., Ltd. asks for more time on M3")
        assert await world.tap(world.buyer, BUYER_CHAT, asked, "Accept the date") == (
            "Done: the completion date 3 Dec 2026 is accepted; the factory has been told.")
        told = world.chat(FACTORY_CHAT)[-1].plain
        assert told.startswith("📅 PO-2026-0142，M3：承诺完成日期2026年12月3日") and "已确认" in told


async def test_a_status_links_to_the_notice_in_the_factorys_group(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        notice = await acknowledged_notice(world)

        def answered(chat: int) -> str:
            """The status: its chart's caption, or the message before a chart it is too long for."""
            return "\n".join(m.text or m.caption or "" for m in world.chat(chat)[-2:])

        await world.say(world.factory, FACTORY_CHAT, "/status PO-2026-0142")
        link = f"https://t.me/c/{str(FACTORY_CHAT)[4:]}/{notice.message_id}"
        assert f'查看：<a href="{link}">整改通知书CN-2026-0001</a>' in answered(FACTORY_CHAT)
        await world.say(world.buyer, BUYER_CHAT, "/status PO-2026-0142")
        assert "t.me/c/" not in answered(BUYER_CHAT)  # a private chat's messages have no link
