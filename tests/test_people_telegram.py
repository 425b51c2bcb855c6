"""People on Telegram: who an invited contact is, and how the buyer stops them.

An invited contact acts under their Telegram account, is shown to the buyer with their
factory and account whatever name they gave themselves, and a buyer's /revoke stops them
at once. Every refusal (a stranger, a revoked contact, a non-buyer, a bad name, a used or
expired invitation, a forged button) is audited and changes nothing else.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from bot.chat.answers import answer
from handlers.model import Factory, NoticeState, Role
from tests.conftest import bundle_of, one_finding
from tests.fake_telegram import FakeUser
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, INSPECTOR_ID, World, running
from tests.test_telegram_more import ORDER, notice_state, post, send_notice

NOTICE = "CN-2026-0001"


pytestmark = pytest.mark.usefixtures("direct_to_fakes")


async def invited(world: World, user_id: int, name: str, factory: str = "NB-EVERGREEN") -> FakeUser:
    """The buyer invites a contact of `factory`, who opens the link in their private chat."""
    answer = await world.say(world.buyer, BUYER_CHAT, f"/invite {factory}")
    code = re.search(r"\?start=([A-Za-z0-9_-]+)", answer.plain)[1]
    contact = world.fake.user(user_id, name, "zh-hans")
    welcome = await world.say(contact, user_id, f"/start {code}")
    assert "您已登记为" in welcome.plain
    return contact


def audit(world: World, where: str = "1 = 1") -> list[sqlite3.Row]:
    with sqlite3.connect(world.app.store.path) as db:
        db.row_factory = sqlite3.Row
        return db.execute(f"SELECT actor, actor_user_id, platform, entity, entity_id, action, after"
                          f" FROM audit_events WHERE {where} ORDER BY id").fetchall()


def bindings(world: World) -> list[tuple]:
    with sqlite3.connect(world.app.store.path) as db:
        return db.execute("SELECT user_id, factory_id, via, bound_by, revoked_by FROM bindings ORDER BY user_id").fetchall()


def refused(world: World) -> list[tuple[str, str]]:
    """(account, reason) of every refusal recorded, oldest first."""
    return [(row["entity_id"], json.loads(row["after"])["reason"]) for row in audit(world, "action = 'refused'")]


async def test_an_invited_anna_schmidt_acts_as_herself_never_as_the_buyer(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        impostor = await invited(world, 555, "Anna Schmidt")
        notice = await send_notice(world)

        assert await world.tap(impostor, FACTORY_CHAT, notice, "确认收到") == f"谢谢，已确认收到整改通知书{NOTICE}。"
        told = [m.plain for m in world.chat(BUYER_CHAT) if "acknowledged notice" in m.plain]
        assert told and "— Anna Schmidt (NB-EVERGREEN, Telegram 555), " in told[-1]
        buyer = next(p for p in world.app.config.people if p.role is Role.BUYER)
        status = await answer(world.app, "telegram", buyer, f"status {ORDER}")  # its text, without the chart
        assert "Anna Schmidt (NB-EVERGREEN, Telegram 555)" in status.text

        (acknowledged,) = audit(world, "entity = 'notice' AND action = 'acknowledge'")
        assert (acknowledged["actor"], acknowledged["actor_user_id"], acknowledged["platform"]) == (
            "factory/NB-EVERGREEN@telegram/555:Anna Schmidt", "555", "telegram")
        approved = audit(world, "action = 'approve'")
        assert [(r["actor"], r["actor_user_id"]) for r in approved] == [("buyer:Anna Schmidt", "111")]
        (joined,) = audit(world, "action = 'join'")
        assert (joined["entity_id"], joined["actor_user_id"]) == ("telegram:555", "555")
        assert bindings(world) == [("555", "NB-EVERGREEN", "invite", "buyer:Anna Schmidt", None)]


async def test_the_buyer_revokes_a_contact_whose_next_tap_is_refused(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        wang = await invited(world, 555, "Wang Fang")
        notice = await send_notice(world)

        revoked = await world.say(world.buyer, BUYER_CHAT, "/revoke  wang   FANG ")
        assert revoked.plain == "Revoked: Wang Fang (NB-EVERGREEN, Telegram 555) can no longer act for NB-EVERGREEN."
        refusal = await world.tap(wang, FACTORY_CHAT, notice, "确认收到")
        assert refusal.startswith("买方已于") and "撤销您作为宁波常青家居用品有限公司联系人的权限" in refusal
        assert await notice_state(world) is NoticeState.SENT
        status = await world.say(wang, wang.id, f"{ORDER} 进度")
        assert status.plain.startswith("抱歉，本机器人仅供买方及其合作工厂的人员使用。")

        again = await world.say(world.buyer, BUYER_CHAT, "/revoke 555")
        assert again.plain.startswith("Wang Fang (NB-EVERGREEN, Telegram 555) was already revoked by Anna Schmidt at ")
        (revocation,) = audit(world, "action = 'revoke'")
        assert (revocation["actor"], revocation["actor_user_id"], revocation["entity_id"]) == (
            "buyer:Anna Schmidt", "111", "telegram:555")
        assert bindings(world) == [("555", "NB-EVERGREEN", "invite", "buyer:Anna Schmidt", "buyer:Anna Schmidt")]
        # The refused tap, the question asked after the revocation, the second revocation.
        assert refused(world) == [("telegram:555", "revoked"), ("telegram:555", "revoked"),
                                  ("telegram:111", "already_revoked")]


def with_second_factory(config):
    other = Factory(id="SZ-OTHER", name="Shenzhen Other Ceramics Ltd.", name_zh="深圳其他陶瓷有限公司")
    return config.model_copy(update={"factories": (*config.factories, other)})


async def test_a_name_two_contacts_share_is_asked_about_and_an_unknown_one_listed(config, clock):
    async with running(with_second_factory(config), clock) as world:
        await invited(world, 556, "Li Wei")
        await invited(world, 557, "Li Wei", "SZ-OTHER")

        which = await world.say(world.buyer, BUYER_CHAT, "/revoke li wei")
        assert which.plain == ("“li wei” names more than one contact: Li Wei (NB-EVERGREEN, Telegram 556); "
                               "Li Wei (SZ-OTHER, Telegram 557). Name one by the id after the platform; "
                               "nothing was changed.")
        unknown = await world.say(world.buyer, BUYER_CHAT, "/revoke Zhang San")
        assert unknown.plain.startswith("No invited or confirmed contact is called “Zhang San”; nothing was changed.")
        bare = await world.say(world.buyer, BUYER_CHAT, "/revoke")
        assert bare.plain.startswith("Name the contact to revoke") and "Telegram 557" in bare.plain
        configured = await world.say(world.buyer, BUYER_CHAT, "/revoke 333")
        assert configured.plain.startswith("Li Wei is configured in followup.toml")
        assert [row[4] for row in bindings(world)] == [None, None]

        done = await world.say(world.buyer, BUYER_CHAT, "/revoke 557")
        assert done.plain == "Revoked: Li Wei (SZ-OTHER, Telegram 557) can no longer act for SZ-OTHER."
        assert [row[4] for row in bindings(world)] == [None, "buyer:Anna Schmidt"]
        assert [reason for _, reason in refused(world)] == [
            "ambiguous_contact", "unknown_contact", "which_contact", "configured_contact"]
        # The two Li Weis and the configured one are three people in the audit trail.
        actors = {row["actor"] for row in audit(world, "action = 'join'")}
        assert actors == {"factory/NB-EVERGREEN@telegram/556:Li Wei", "factory/SZ-OTHER@telegram/557:Li Wei"}


async def test_only_a_buyer_revokes_and_only_where_no_factory_reads_the_answer(config, clock):
    async with running(config, clock) as world:
        await invited(world, 555, "Wang Fang")
        factory = await world.say(world.factory, FACTORY_CHAT, "/revoke Wang Fang")
        assert factory.plain == "抱歉，您的角色（工厂联系人）无权执行此操作。"
        inspector = await world.say(world.inspector, INSPECTOR_ID, "/revoke Wang Fang")
        assert inspector.plain == "Sorry, your role (inspector) does not allow that."
        stranger = world.fake.user(999, "Mallory", "en")
        assert (await world.say(stranger, stranger.id, "/revoke Wang Fang")).plain.startswith("Sorry, this bot works only")
        in_group = await world.say(world.buyer, FACTORY_CHAT, "/revoke Wang Fang")
        assert in_group.plain.startswith("Use /revoke in the buyer's chat or in your private chat")
        assert "Wang" not in in_group.plain

        assert bindings(world) == [("555", "NB-EVERGREEN", "invite", "buyer:Anna Schmidt", None)]
        assert refused(world) == [("telegram:333", "not_allowed"), ("telegram:222", "not_allowed"),
                                  ("telegram:999", "stranger"), ("telegram:111", "not_a_buyer_chat")]


async def test_a_used_expired_or_unknown_invitation_is_answered_in_chinese_and_english(config, clock):
    async with running(config, clock) as world:
        answer = await world.say(world.buyer, BUYER_CHAT, "/invite NB-EVERGREEN")
        code = re.search(r"\?start=([A-Za-z0-9_-]+)", answer.plain)[1]
        await world.say(world.fake.user(555, "Wang Fang", "zh-hans"), 555, f"/start {code}")

        replayed = await world.say(world.fake.user(556, "Zhao Lei", "en"), 556, f"/start {code}")
        assert replayed.plain == ("该邀请已被使用，每个邀请仅限一人使用。请向买方索取新的邀请。\n"
                                  "This invitation has already been used; each one binds one person only. "
                                  "Please ask the buyer for a new one.")
        later = await world.say(world.buyer, BUYER_CHAT, "/invite NB-EVERGREEN")
        late_code = re.search(r"\?start=([A-Za-z0-9_-]+)", later.plain)[1]
        world.clock.advance(hours=72, seconds=1)
        expired = await world.say(world.fake.user(557, "Sun Li", "en"), 557, f"/start {late_code}")
        assert expired.plain.startswith("该邀请已于") and "\nThis invitation expired on " in expired.plain
        unknown = await world.say(world.fake.user(558, "Qian Yu", "en"), 558, "/start NoSuchCode12345678")
        assert unknown.plain == "该邀请无效，请向买方索取新的邀请。\nThis invitation is not valid. Please ask the buyer for a new one."

        assert [row[0] for row in bindings(world)] == ["555"]
        assert refused(world) == [("telegram:556", "used_invite"), ("telegram:557", "expired_invite"),
                                  ("telegram:558", "unknown_invite")]
        assert [row["action"] for row in audit(world, "entity = 'factory'")] == ["invite", "invite"]


async def test_a_forged_or_strangers_tap_is_refused_recorded_and_changes_nothing(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        wang = await invited(world, 555, "Wang Fang")
        notice = await send_notice(world)

        forged = await world.tap_data(wang, FACTORY_CHAT, notice.message_id, "forged-token-12345")
        assert forged == "此按钮已失效，请使用最新的消息。"
        stranger = world.fake.user(999, "Mallory", "en")
        assert (await world.tap(stranger, FACTORY_CHAT, notice, "确认收到")).startswith("Sorry, this bot works only")
        assert await notice_state(world) is NoticeState.SENT
        assert refused(world) == [("telegram:555", "unknown_button"), ("telegram:999", "stranger")]
        (by_stranger,) = audit(world, "entity_id = 'telegram:999'")
        assert (by_stranger["actor"], by_stranger["actor_user_id"]) == ("stranger@telegram/999:Mallory", "999")
