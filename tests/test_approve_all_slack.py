"""Approve all and the factory's Chinese menu on Slack: signed requests into the real Bolt
AsyncApp, the real slack-sdk client against the fake Web API on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, running_slack
from tests.test_approve_all import ENGLISH_WORD, ORDER, decisions
from tests.test_slack import post_example
from tests.test_slack_more import ephemerals_to, section_texts, with_button


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def summary(world):
    return world.channel(BUYER_CHANNEL)[0]


async def test_one_click_on_the_summary_approves_every_proposed_instruction(config, clock) -> None:
    async with running_slack(config, clock) as world:
        await post_example(world)
        assert "Approve all (7)" in summary(world).buttons

        status, _ = await world.click(BUYER, BUYER_CHANNEL, summary(world), "Approve all")

        assert status == 200
        assert set((await decisions(world)).values()) == {("approved", 1)}
        for label in ("F1", "F2", "F3", "M3", "P1", "P2", "P3"):
            finding = world.finding(label)
            assert finding.edited and "approved" in finding.text and {"Edit", "Reject"} <= set(finding.buttons)
        assert list(summary(world).buttons) == ["Send notice (7)", "Visit report (PDF)"]
        assert summary(world).blocks[0]["type"] == "header"  # rewritten whole, the summary keeps its header


async def test_the_same_click_twice_and_a_second_click_decide_each_instruction_once(config, clock) -> None:
    async with running_slack(config, clock) as world:
        await post_example(world)
        shown, approve_all = summary(world).blocks, summary(world).buttons["Approve all (7)"]
        click = world.fake.block_action(BUYER, BUYER_CHANNEL, summary(world).ts, approve_all)
        assert (await world.send("interactive", click))[0] == 200
        assert (await world.send("interactive", click))[0] == 200  # Slack retries the same request
        again = world.fake.block_action(BUYER, BUYER_CHANNEL, summary(world).ts, approve_all, blocks=shown)
        assert (await world.send("interactive", again))[0] == 200  # a second click, on a screen not yet updated

        assert set((await decisions(world)).values()) == {("approved", 1)}
        told = await world.fake.wait_for(lambda: ephemerals_to(world, BUYER_CHANNEL, BUYER))
        assert told == [f"Nothing left to approve for {ORDER}: every instruction is decided."]


async def acknowledged_in_three_clicks(world):
    """The example posted; the buyer clicks Approve all and Send, the factory 确认收到 (its
    buttons in Chinese alone): the notice as it reads since."""
    await post_example(world)
    await world.click(BUYER, BUYER_CHANNEL, summary(world), "Approve all")
    await world.click(BUYER, BUYER_CHANNEL, summary(world), "Send notice")
    notice = with_button(world, FACTORY_CHANNEL, "确认收到")
    assert set(notice.buttons) == {"确认收到", "有异议"}
    await world.click(FACTORY, FACTORY_CHANNEL, notice, "确认收到")
    return next(m for m in world.channel(FACTORY_CHANNEL) if m.ts == notice.ts)


async def test_approve_all_send_and_acknowledge_are_three_clicks(config, clock) -> None:
    async with running_slack(config, clock) as world:
        await acknowledged_in_three_clicks(world)

        assert {state for state, _ in (await decisions(world)).values()} == {"acknowledged"}


async def test_the_factory_channel_reads_chinese_and_gives_progress_from_one_list(config, clock) -> None:
    async with running_slack(config, clock) as world:
        notice = await acknowledged_in_three_clicks(world)

        assert notice.buttons == {} and list(notice.menus) == ["更新整改进度"]
        choices = list(notice.menus["更新整改进度"])
        assert choices[:2] == ["F1 承诺完成日期", "F1 整改完成（附照片）"] and len(choices) == 2 * 7
        shown = [label for m in world.channel(FACTORY_CHANNEL) for label in (*m.buttons, *m.menus,
                 *(o for options in m.menus.values() for o in options))]
        assert not [label for label in shown if ENGLISH_WORD.search(label)]

        await world.click(FACTORY, FACTORY_CHANNEL, notice, "M3 承诺完成日期")  # a choice opens its form
        (modal,) = world.fake.views
        assert modal.json["callback_id"] == "ask_text"


async def test_the_app_home_is_in_the_viewers_language(config, clock) -> None:
    async with running_slack(config, clock) as world:
        await post_example(world)
        world.fake.add_user("U0STRANGE", "wang.fang", tz="Asia/Shanghai", locale="zh-CN")

        for user in (BUYER, FACTORY, "U0STRANGE"):
            assert (await world.event(world.fake.app_home_opened_event(user)))[0] == 200
        homes = {user: "\n".join(section_texts((await world.fake.wait_for(lambda u=user: world.fake.home(u)))["blocks"]))
                 for user in (BUYER, FACTORY, "U0STRANGE")}

        assert "Orders, most urgent first" in homes[BUYER]
        assert "订单（按紧急程度排序）" in homes[FACTORY] and ORDER in homes[FACTORY]  # a contact reading Chinese
        assert homes["U0STRANGE"] == "抱歉，本机器人仅供买方及其合作工厂的人员使用。"  # as their Slack is set


async def test_a_click_sending_the_menus_own_token_gets_its_choices_seen_by_the_clicker_alone(config, clock) -> None:
    async with running_slack(config, clock) as world:
        notice = await acknowledged_in_three_clicks(world)
        token = notice.menu_id("更新整改进度")  # a list's own token: no client sends it as a click's value
        button = {"type": "button", "action_id": token, "value": token, "text": {"type": "plain_text", "text": "x"}}

        click = world.fake.block_action(FACTORY, FACTORY_CHANNEL, notice.ts, token,
                                        blocks=[{"type": "actions", "elements": [button]}])
        assert (await world.send("interactive", click))[0] == 200

        (shown,) = await world.fake.wait_for(lambda: world.fake.ephemerals(FACTORY_CHANNEL))
        assert shown.to_user == FACTORY and "F1 承诺完成日期" in shown.buttons and "返回" in shown.buttons
