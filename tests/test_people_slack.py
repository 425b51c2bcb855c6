"""People on Slack: being in a factory's channel makes nobody its contact.

Someone unknown who taps there is told, in Chinese and English, that the buyer must
confirm them; the buyer's channel gets one message naming them and the factory, with
Confirm / Refuse; asking again does not ask the buyer again. Buyers also invite with a
code (`/followup invite`, `/followup join CODE`) and revoke (`/followup revoke NAME`).
Every refusal is audited and changes nothing else.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from handlers.model import NoticeState
from tests.conftest import bundle_of, one_finding
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, INSPECTOR, SlackWorld, running_slack
from tests.test_slack_more import command, ephemerals_to, post, send_notice

ZHANG, MALLORY = "U0ZHANG", "U0MALLORY"
NOTICE = "CN-2026-0001"
AWAITING = ("须经买方确认您为宁波常青家居用品有限公司的联系人后，您才能在此操作；已请买方确认。\n"
            "The buyer must confirm you as a contact of Ningbo Evergreen Homeware Co., Ltd. before you can act here; "
            "the buyer has been asked.")


pytestmark = pytest.mark.usefixtures("direct_to_fakes")


def requests_to_buyer(world: SlackWorld) -> list:
    return [m for m in world.channel(BUYER_CHANNEL) if "asks to act for" in m.text]


def audit(world: SlackWorld, where: str) -> list[sqlite3.Row]:
    with sqlite3.connect(world.app.store.path) as db:
        db.row_factory = sqlite3.Row
        return db.execute(f"SELECT actor, actor_user_id, entity_id, action, after FROM audit_events WHERE {where}"
                          " ORDER BY id").fetchall()


def refused(world: SlackWorld) -> list[tuple[str, str]]:
    return [(row["entity_id"], json.loads(row["after"])["reason"]) for row in audit(world, "action = 'refused'")]


def bound(world: SlackWorld) -> list[tuple]:
    with sqlite3.connect(world.app.store.path) as db:
        return db.execute("SELECT user_id, factory_id, via, bound_by, revoked_by FROM bindings ORDER BY user_id").fetchall()


def told(world: SlackWorld, channel: str, user: str, count: int):
    """Waits until `user` has seen `count` private answers in `channel`: Bolt runs the listener
    after answering Slack, and a stranger's click ends with those answers."""
    return world.fake.wait_for(lambda: len(ephemerals_to(world, channel, user)) >= count)


async def notice_state(world: SlackWorld) -> NoticeState:
    async with world.app.store.unit_of_work() as uow:
        return (await uow.notices.by_number(NOTICE)).state


async def sent_notice(world: SlackWorld, visit_dir, example_data):
    """F1 posted, approved and sent to the factory's channel, where Zhang Min, whom the bot
    does not know yet, is a member."""
    await post(world, bundle_of(visit_dir, one_finding(example_data)))
    world.fake.add_user(ZHANG, "zhang.min", tz="Asia/Shanghai", locale="zh-CN", real_name="Zhang Min")
    return await send_notice(world)


async def test_a_channel_member_acts_only_once_the_buyer_confirms_them(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await sent_notice(world, visit_dir, example_data)

        world.fake.fail_next("chat.postMessage", error="not_in_channel")  # the buyer is out of reach at first
        await world.click(ZHANG, FACTORY_CHANNEL, notice, "确认收到")
        await told(world, FACTORY_CHANNEL, ZHANG, 1)
        await world.settled()
        assert requests_to_buyer(world) == []
        await world.click(ZHANG, FACTORY_CHANNEL, notice, "确认收到")  # so asking again asks the buyer
        await world.fake.wait_for(lambda: requests_to_buyer(world))
        await world.click(ZHANG, FACTORY_CHANNEL, notice, "确认收到")  # impatient: asks nobody twice
        await told(world, FACTORY_CHANNEL, ZHANG, 3)
        await world.settled()
        assert ephemerals_to(world, FACTORY_CHANNEL, ZHANG) == [AWAITING] * 3
        assert await notice_state(world) is NoticeState.SENT
        (asked,) = requests_to_buyer(world)
        assert asked.text == ("*Zhang Min (NB-EVERGREEN, Slack U0ZHANG)* asks to act for Ningbo Evergreen Homeware "
                              f"Co., Ltd. in <#{FACTORY_CHANNEL}>. Confirm only if they work for that factory: they "
                              "can then acknowledge and dispute its notices and report work done.")
        assert set(asked.buttons) == {"Confirm", "Refuse"}

        await world.click(BUYER, BUYER_CHANNEL, asked, "Confirm")
        await told(world, FACTORY_CHANNEL, ZHANG, 4)
        decided = next(m for m in world.channel(BUYER_CHANNEL) if m.ts == asked.ts)
        assert decided.buttons == {}
        assert decided.text.startswith("Zhang Min (NB-EVERGREEN, Slack U0ZHANG) now acts for Ningbo Evergreen "
                                       "Homeware Co., Ltd.: confirmed by Anna Schmidt, ")
        assert ephemerals_to(world, FACTORY_CHANNEL, ZHANG)[-1].startswith("买方已确认您为宁波常青家居用品有限公司的联系人")

        await world.click(ZHANG, FACTORY_CHANNEL, notice, "确认收到")
        await world.fake.wait_for(lambda: [m for m in world.channel(BUYER_CHANNEL) if "acknowledged notice" in m.text])
        assert await notice_state(world) is NoticeState.ACKNOWLEDGED
        assert bound(world) == [(ZHANG, "NB-EVERGREEN", "confirmation", "buyer:Anna Schmidt", None)]
        (confirmed,) = audit(world, "action = 'confirm_binding'")
        assert (confirmed["actor"], confirmed["actor_user_id"], confirmed["entity_id"]) == (
            "buyer:Anna Schmidt", BUYER, f"slack:{ZHANG}")
        (acknowledged,) = audit(world, "action = 'acknowledge' AND entity = 'notice'")
        assert acknowledged["actor"] == f"factory/NB-EVERGREEN@slack/{ZHANG}:Zhang Min"
        assert refused(world) == [(f"slack:{ZHANG}", "awaiting_confirmation")] * 3


async def test_a_refused_member_stays_refused_and_the_buyer_is_not_asked_again(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await sent_notice(world, visit_dir, example_data)
        await world.click(ZHANG, FACTORY_CHANNEL, notice, "有异议")
        (asked,) = await world.fake.wait_for(lambda: requests_to_buyer(world))

        await world.click(FACTORY, BUYER_CHANNEL, asked, "Confirm")  # the factory's own contact may not
        await told(world, BUYER_CHANNEL, FACTORY, 1)
        assert ephemerals_to(world, BUYER_CHANNEL, FACTORY)[-1].endswith("无权执行此操作。")
        await world.click(BUYER, BUYER_CHANNEL, asked, "Refuse")
        await told(world, FACTORY_CHANNEL, ZHANG, 2)
        decided = next(m for m in world.channel(BUYER_CHANNEL) if m.ts == asked.ts)
        assert "does not act for Ningbo Evergreen Homeware Co., Ltd.: refused by Anna Schmidt" in decided.text

        await world.click(ZHANG, FACTORY_CHANNEL, notice, "有异议")
        await told(world, FACTORY_CHANNEL, ZHANG, 3)
        await world.settled()
        assert ephemerals_to(world, FACTORY_CHANNEL, ZHANG)[-1].startswith("买方未确认您为宁波常青家居用品有限公司的联系人")
        assert requests_to_buyer(world) == [] and len(world.fake.views) == 0
        assert bound(world) == [] and await notice_state(world) is NoticeState.SENT
        assert refused(world) == [(f"slack:{ZHANG}", "awaiting_confirmation"), (f"slack:{FACTORY}", "not_allowed"),
                                  (f"slack:{ZHANG}", "refused_by_buyer")]


async def test_a_forged_or_second_answer_to_a_request_changes_nothing(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await sent_notice(world, visit_dir, example_data)
        await world.click(ZHANG, FACTORY_CHANNEL, notice, "确认收到")
        (asked,) = await world.fake.wait_for(lambda: requests_to_buyer(world))
        forged = world.fake.block_action(BUYER, BUYER_CHANNEL, asked.ts, asked.buttons["Confirm"])
        forged["actions"][0]["value"] = "not-a-token-of-ours"
        await world.send("interactive", forged)
        await told(world, BUYER_CHANNEL, BUYER, 1)
        assert ephemerals_to(world, BUYER_CHANNEL, BUYER) == ["This button is no longer valid. Please use the latest "
                                                              "message."]
        assert bound(world) == []

        confirm = asked.buttons["Confirm"]
        await world.click(BUYER, BUYER_CHANNEL, asked, "Refuse")
        await told(world, FACTORY_CHANNEL, ZHANG, 2)
        old_copy = [{"type": "actions", "elements": [{"type": "button", "action_id": confirm, "value": confirm,
                                                      "text": {"type": "plain_text", "text": "Confirm"}}]}]
        replay = world.fake.block_action(BUYER, BUYER_CHANNEL, asked.ts, confirm, blocks=old_copy)
        await world.send("interactive", replay)
        await told(world, BUYER_CHANNEL, BUYER, 2)
        assert ephemerals_to(world, BUYER_CHANNEL, BUYER)[-1].startswith(
            "Zhang Min (NB-EVERGREEN, Slack U0ZHANG) was already refused by Anna Schmidt at ")
        assert bound(world) == []
        assert [reason for _, reason in refused(world)] == ["awaiting_confirmation", "unknown_button",
                                                             "binding_already_decided"]


async def test_a_buyer_invites_by_code_and_the_contact_joins_once(config, clock):
    async with running_slack(config, clock) as world:
        world.fake.add_user(ZHANG, "zhang.min", real_name="Zhang Min")
        world.fake.add_user(MALLORY, "mallory")
        invitation = await command(world, BUYER, BUYER_CHANNEL, "invite NB-EVERGREEN")
        code = invitation.split("`")[1]
        assert invitation.startswith("Invitation code for Ningbo Evergreen Homeware Co., Ltd., valid once until ")
        assert f"typing “/followup join `{code}`” in Slack binds them" in invitation

        welcome = await command(world, ZHANG, world.fake.dm_channel(ZHANG), f"join {code}")
        assert welcome.startswith("Zhang Min，您好！您已登记为宁波常青家居用品有限公司的联系人。")
        replayed = await command(world, MALLORY, world.fake.dm_channel(MALLORY), f"join {code}")
        assert replayed.startswith("该邀请已被使用") and "\nThis invitation has already been used" in replayed
        again = await command(world, ZHANG, world.fake.dm_channel(ZHANG), f"join {code}")
        assert again == "您已在本机器人登记，此邀请将保留不用。"

        late = (await command(world, BUYER, BUYER_CHANNEL, "invite NB-EVERGREEN")).split("`")[1]
        world.app.bus.clock.advance(hours=73)
        expired = await command(world, MALLORY, world.fake.dm_channel(MALLORY), f"join {late}")
        assert expired.startswith("该邀请已于") and "\nThis invitation expired on " in expired
        assert (await command(world, FACTORY, FACTORY_CHANNEL, "invite NB-EVERGREEN")) == "只有买方可以邀请工厂联系人。"
        usage = await command(world, BUYER, BUYER_CHANNEL, "invite")
        assert usage == "Usage: /followup invite FACTORY_ID. Configured factories: NB-EVERGREEN"

        assert bound(world) == [(ZHANG, "NB-EVERGREEN", "invite", "buyer:Anna Schmidt", None)]
        assert refused(world) == [(f"slack:{MALLORY}", "used_invite"), (f"slack:{MALLORY}", "expired_invite"),
                                  (f"slack:{FACTORY}", "not_allowed")]


async def test_the_buyer_revokes_a_contact_and_their_next_click_is_refused(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await sent_notice(world, visit_dir, example_data)
        code = (await command(world, BUYER, BUYER_CHANNEL, "invite NB-EVERGREEN")).split("`")[1]
        await command(world, ZHANG, world.fake.dm_channel(ZHANG), f"join {code}")

        assert (await command(world, INSPECTOR, BUYER_CHANNEL, f"revoke <@{ZHANG}>")).startswith(
            "Sorry, your role (inspector) does not allow that.")
        assert (await command(world, BUYER, BUYER_CHANNEL, "revoke Zhang")).startswith(
            "No invited or confirmed contact is called “Zhang”")
        revoked = await command(world, BUYER, BUYER_CHANNEL, f"revoke <@{ZHANG}>")
        assert revoked == "Revoked: Zhang Min (NB-EVERGREEN, Slack U0ZHANG) can no longer act for NB-EVERGREEN."

        await world.click(ZHANG, FACTORY_CHANNEL, notice, "确认收到")
        await told(world, FACTORY_CHANNEL, ZHANG, 1)
        await world.settled()
        assert ephemerals_to(world, FACTORY_CHANNEL, ZHANG)[-1].startswith("买方已于")
        assert requests_to_buyer(world) == []  # revoked on purpose: no request to undo it
        assert await notice_state(world) is NoticeState.SENT
        assert [row[4] for row in bound(world)] == ["buyer:Anna Schmidt"]
        assert refused(world) == [(f"slack:{INSPECTOR}", "not_allowed"), (f"slack:{BUYER}", "unknown_contact"),
                                  (f"slack:{ZHANG}", "revoked")]


async def test_an_unknown_person_outside_a_factory_channel_is_only_a_stranger(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        world.fake.add_user(MALLORY, "mallory")
        await world.click(MALLORY, BUYER_CHANNEL, world.finding("F1"), "Approve")  # a buyer-side colleague
        await told(world, BUYER_CHANNEL, MALLORY, 1)
        assert ephemerals_to(world, BUYER_CHANNEL, MALLORY) == [
            "Sorry, this bot works only for the people of its buyer and their factories."]
        assert await command(world, MALLORY, BUYER_CHANNEL, "revoke Zhang") == (
            "Sorry, this bot works only for the people of its buyer and their factories.")
        assert requests_to_buyer(world) == [] and bound(world) == []
        assert refused(world) == [(f"slack:{MALLORY}", "stranger"), (f"slack:{MALLORY}", "stranger")]
