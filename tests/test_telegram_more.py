"""More of the Telegram flow, chat by chat: disputes, invitations, a second factory, webhook
mode, Telegram saying "slow down", restarts, two buyers at once, bad uploads, a report sent as
loose files, the command menu and Telegram's size limits.

Like tests/test_telegram.py, the real python-telegram-bot client talks HTTP to the fake Bot
API server; each test reads like the chat it checks. Most stories post a one-finding report:
a group chat takes 20 messages a minute, and the example's seven findings fill that quickly.
"""

from __future__ import annotations

import asyncio
import copy
import io
import re
import socket
import sqlite3
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from bot.app import build_app
from bot.config import Config
from bot.telegram.settings import TelegramEnvironment
from handlers.model import Factory, NoticeState, Person, Platform, Role
from messages.i18n import CHINESE
from tests.conftest import EXAMPLE_VISIT, bundle_of, changed, one_finding, speaking, zipped
from tests.fake_telegram import ApiError, FakeUser, SentMessage, check_body, check_caption
from tests.telegram_world import (
    BUYER_CHAT,
    BUYER_ID,
    FACTORY_CHAT,
    IDS,
    INSPECTOR_ID,
    World,
    running,
    telegram_config,
)

NOTICE = "CN-2026-0001"
ORDER = "PO-2026-0142"
EXAMPLE_LABELS = ["F1", "F2", "F3", "M3", "P1", "P2", "P3"]  # the order the buyer chat shows them in


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


# --- helpers ------------------------------------------------------------------------------------




async def post(world: World, bundle: bytes) -> str:
    """The inspector sends a bundle; returns the bot's answer once everything is delivered."""
    before = len(world.chat(INSPECTOR_ID))
    await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", bundle)
    answers = await world.fake.wait_for(lambda: world.chat(INSPECTOR_ID)[before:])
    await world.settled()
    return answers[0].plain


async def send_notice(world: World) -> SentMessage:
    """The buyer approves everything and sends the notice; returns the factory's notice."""
    for message in [m for m in world.chat(BUYER_CHAT) if "Approve" in m.buttons]:
        assert await world.tap(world.buyer, BUYER_CHAT, message, "Approve") == "Approved."
    send = world.last_with_button(BUYER_CHAT, "Send notice")
    answer = await world.tap(world.buyer, BUYER_CHAT, send, "Send notice")
    if answer.startswith("Not sent yet"):  # text the factory would read in English only: sent as it is
        answer = await world.tap(world.buyer, BUYER_CHAT, world.last_with_button(BUYER_CHAT, "Send anyway"),
                                 "Send anyway")
    assert answer.startswith(f"Notice {NOTICE} sent")
    return world.last_with_button(FACTORY_CHAT, "有异议")


async def answer_to(world: World, user: FakeUser, chat_id: int, send) -> SentMessage:
    """What the bot says in `chat_id` after `send()` (a document, a photo…) arrives."""
    before = len(world.chat(chat_id))
    await send()
    await world.fake.wait_for(lambda: len(world.chat(chat_id)) > before)
    await world.settled()
    return world.chat(chat_id)[before]


async def visits(world: World) -> list:
    async with world.app.store.unit_of_work() as uow:
        return await uow.visits.latest_per_order()


async def notice_state(world: World) -> NoticeState:
    async with world.app.store.unit_of_work() as uow:
        return (await uow.notices.by_number(NOTICE)).state


def outbox_rows(world: World) -> list[sqlite3.Row]:
    """Every outbox row as stored, with what the adapter's last failure was."""
    with sqlite3.connect(world.app.store.path) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT id, kind, sent_at, attempts, last_error FROM outbox ORDER BY id").fetchall()


def labels(messages: list[SentMessage]) -> list[str]:
    """The item labels of the finding texts (the ones with buttons), in the order they arrived."""
    return [re.match(r"\[(\w+)\]", m.plain)[1] for m in messages
            if m.method == "sendMessage" and re.match(r"\[\w+\]", m.plain)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def webhook_mode() -> dict:
    port = free_port()
    return {"mode": "webhook", "public_url": f"http://127.0.0.1:{port}", "listen": "127.0.0.1",
            "port": port, "webhook_path": "/telegram"}


def text_update(update_id: int, user: FakeUser, text: str) -> dict:
    """A private-chat message from `user`, as Telegram sends it."""
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1_795_000_000, "text": text, "from": user.to_dict(),
        "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
    }}


def refusals(world: World) -> list[str]:
    """Every text and caption the bot sent, checked again by the fake's own rules (HTML parse,
    4096/1024 UTF-16 units); the problems found."""
    problems = []
    for method, params in world.fake.requests:
        try:
            if method in ("sendMessage", "editMessageText"):
                check_body(params.get("text"), params.get("parse_mode"), limit=4096,
                           too_long="message is too long", empty="message text is empty")
            elif method in ("sendPhoto", "sendDocument", "editMessageCaption"):
                check_caption(params.get("caption"), params.get("parse_mode"))
            elif method == "sendMediaGroup":
                for item in params.get("media", []):
                    check_caption(item.get("caption"), item.get("parse_mode"))
        except ApiError as error:
            problems.append(f"{method}: {error.description}")
    return problems


# --- 1. the factory disputes a notice -----------------------------------------------------------


async def test_the_factory_disputes_a_notice_and_the_buyer_is_told_why(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        notice = await send_notice(world)

        assert await world.tap(world.factory, FACTORY_CHAT, notice, "有异议") == ""
        prompt = world.chat(FACTORY_CHAT)[-1]
        assert "请回复本消息，说明提出异议的原因。" in prompt.plain
        assert prompt.reply_markup["force_reply"] is True

        reason = "The approved sample AS-0142-B has the same glaze <crawl> & we have the sign-off"
        answer = await world.say(world.factory, FACTORY_CHAT, reason, reply_to=prompt.message_id)
        assert answer.plain == f"您对整改通知书{NOTICE}的异议已转告买方。"
        told = world.chat(BUYER_CHAT)[-1].plain
        assert f"Ningbo Evergreen Homeware Co., Ltd. disputes notice {NOTICE}" in told
        assert reason in told
        assert await notice_state(world) is NoticeState.DISPUTED


@pytest.mark.parametrize("reply", ["   ", "\n\t "])
async def test_a_dispute_without_a_reason_is_asked_for_one_and_changes_nothing(
        config, clock, visit_dir, example_data, reply):
    async with running(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        notice = await send_notice(world)
        buyer_before = len(world.chat(BUYER_CHAT))

        await world.tap(world.factory, FACTORY_CHAT, notice, "有异议")
        prompt = world.chat(FACTORY_CHAT)[-1]
        answer = await world.say(world.factory, FACTORY_CHAT, reply, reply_to=prompt.message_id)

        assert answer.plain == "请填写原因。"
        assert len(world.chat(BUYER_CHAT)) == buyer_before
        assert await notice_state(world) is NoticeState.SENT


async def test_after_an_empty_reason_the_factory_can_still_answer_the_prompt(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        notice = await send_notice(world)
        await world.tap(world.factory, FACTORY_CHAT, notice, "有异议")
        prompt = world.chat(FACTORY_CHAT)[-1]
        assert (await world.say(world.factory, FACTORY_CHAT, " ", reply_to=prompt.message_id)).plain == "请填写原因。"

        # Told to give a reason, the factory replies to the same prompt again.
        before = len(world.chat(FACTORY_CHAT))
        await world.fake.send_text(FACTORY_CHAT, world.factory, "Glaze matches the approved sample.",
                                   reply_to_message_id=prompt.message_id)
        await world.settled()
        await asyncio.sleep(0.3)
        answers = [m.plain for m in world.chat(FACTORY_CHAT)[before:]]
        assert answers == [f"您对整改通知书{NOTICE}的异议已转告买方。"]


# --- 2. invitations -----------------------------------------------------------------------------


async def invite_code(world: World) -> str:
    answer = await world.say(world.buyer, BUYER_CHAT, "/invite NB-EVERGREEN")
    link = re.search(r"https://t\.me/followup_test_bot\?start=([A-Za-z0-9_-]+)", answer.plain)
    assert link, answer.plain
    assert "Ningbo Evergreen Homeware Co., Ltd." in answer.plain
    return link[1]


async def test_an_invited_factory_contact_joins_and_asks_for_the_status(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        code = await invite_code(world)

        wang = world.fake.user(555, "Wang", "zh-hans")
        welcome = await world.say(wang, wang.id, f"/start {code}")
        assert "您已登记为宁波常青家居用品有限公司的联系人" in welcome.plain
        status = await world.say(wang, wang.id, f"{ORDER} 进度")
        assert "状态：有风险" in status.plain

        zhao = world.fake.user(556, "Zhao", "en")
        assert "already been used" in (await world.say(zhao, zhao.id, f"/start {code}")).plain
        assert "Sorry, this bot works only" in (await world.say(zhao, zhao.id, f"{ORDER} 进度")).plain


async def test_an_unknown_or_expired_invitation_is_refused(config, clock):
    async with running(config, clock) as world:
        stranger = world.fake.user(557, "Sun", "en")
        assert "not valid" in (await world.say(stranger, stranger.id, "/start NOSUCHCODE123")).plain

        code = await invite_code(world)
        world.clock.advance(hours=73)
        expired = await world.say(stranger, stranger.id, f"/start {code}")
        assert "expired" in expired.plain
        assert "Sorry, this bot works only" in (await world.say(stranger, stranger.id, f"{ORDER} 进度")).plain


async def test_only_a_buyer_invites_and_a_bare_invite_lists_the_factories(config, clock):
    async with running(config, clock) as world:
        factory = await world.say(world.factory, FACTORY_CHAT, "/invite NB-EVERGREEN")
        assert factory.plain == "只有买方可以邀请工厂联系人。"
        inspector = await world.say(world.inspector, INSPECTOR_ID, "/invite NB-EVERGREEN")
        assert inspector.plain == "Only buyers can invite factory contacts."
        assert "t.me" not in " ".join(m.plain for m in world.chat(FACTORY_CHAT) + world.chat(INSPECTOR_ID))

        usage = await world.say(world.buyer, BUYER_CHAT, "/invite")
        assert usage.plain == "Usage: /invite FACTORY_ID. Configured factories: NB-EVERGREEN"
        unknown = await world.say(world.buyer, BUYER_CHAT, "/invite SZ-NOWHERE")
        assert "Configured factories: NB-EVERGREEN" in unknown.plain


async def test_the_buyer_trying_their_own_link_leaves_it_for_the_factory(config, clock):
    async with running(config, clock) as world:
        code = await invite_code(world)
        await world.say(world.buyer, BUYER_ID, f"/start {code}")  # checking that the link works

        wang = world.fake.user(555, "Wang", "zh-hans")
        welcome = await world.say(wang, wang.id, f"/start {code}")
        assert "您已登记为宁波常青家居用品有限公司的联系人" in welcome.plain


# --- 3. a factory sees only its own orders ------------------------------------------------------


OTHER_FACTORY_CHAT = -100333


def with_second_factory(config: Config) -> Config:
    other = Factory(id="SZ-OTHER", name="Shenzhen Other Ceramics Ltd.", name_zh="深圳其他陶瓷有限公司",
                    telegram_chat_id=OTHER_FACTORY_CHAT)
    return config.model_copy(update={"factories": (*config.factories, other)})


async def test_a_factory_contact_cannot_see_another_factorys_order(config, clock, visit_dir, example_data):
    ours = one_finding(example_data)
    theirs = changed(changed(ours, "order.reference", "PO-2026-0143"), "order.factory", "SZ-OTHER")
    async with running(with_second_factory(config), clock) as world:
        await post(world, bundle_of(visit_dir, ours))
        assert "posted" in await post(world, bundle_of(visit_dir, theirs))

        asked = await world.say(world.factory, FACTORY_CHAT, "PO-2026-0143 进度")
        assert asked.plain.startswith("找不到订单PO-2026-0143。")
        assert asked.plain.count("PO-2026-0143") == 1  # not suggested back
        assert "深圳" not in asked.plain and "SZ-OTHER" not in asked.plain

        close = await world.say(world.factory, FACTORY_CHAT, "PO-2026-0144 进度")
        assert "PO-2026-0143" not in close.plain

        orders = await world.say(world.factory, FACTORY_CHAT, "/orders")
        assert ORDER in orders.plain and "PO-2026-0143" not in orders.plain
        buyer = await world.say(world.buyer, BUYER_CHAT, "/orders")
        assert ORDER in buyer.plain and "PO-2026-0143" in buyer.plain
        # Filtered by factory in chat: the buyer gets that factory's order; a factory contact
        # naming another factory learns nothing, not even that it exists.
        other = await world.say(world.buyer, BUYER_CHAT, "/orders sz-other")
        assert "PO-2026-0143" in other.plain and ORDER not in other.plain
        nosy = await world.say(world.factory, FACTORY_CHAT, "/orders SZ-OTHER")
        assert nosy.plain.endswith("没有符合条件的订单。") and "PO-2026-0143" not in nosy.plain
        at_risk = await world.say(world.factory, FACTORY_CHAT, "订单 有风险")
        assert ORDER in at_risk.plain and "PO-2026-0143" not in at_risk.plain

        factories = await world.say(world.factory, FACTORY_CHAT, "/factories")
        assert "宁波常青家居用品有限公司" in factories.plain
        assert "深圳" not in factories.plain and "Shenzhen" not in factories.plain and "PO-2026-0143" not in factories.plain
        buyers_view = await world.say(world.buyer, BUYER_CHAT, "/factories")
        assert "Ningbo Evergreen Homeware Co., Ltd." in buyers_view.plain
        assert "Shenzhen Other Ceramics Ltd." in buyers_view.plain


# --- 4. webhook mode ----------------------------------------------------------------------------


async def test_webhook_updates_need_the_secret_and_are_handled_once(config, clock):
    settings = webhook_mode()
    async with running(config, clock, **settings) as world:
        hook = world.fake.webhook
        assert hook is not None and hook.url == f"http://127.0.0.1:{settings['port']}/telegram"
        assert hook.secret_token and len(hook.secret_token) >= 32
        # Every replica with this token registers the same secret, so none locks the others out.
        assert hook.secret_token == TelegramEnvironment(world.fake.token).secret_token()
        assert set(hook.allowed_updates) == {"message", "callback_query"}

        update = await world.fake.send_text(BUYER_CHAT, world.buyer, f"status {ORDER}")
        assert (await world.fake.post_to_webhook(update, secret_token="not-the-secret"))[0] == 403
        assert (await world.fake.post_to_webhook(update, secret_token=None))[0] == 403
        await asyncio.sleep(0.2)
        assert world.chat(BUYER_CHAT) == []

        assert (await world.fake.post_to_webhook(update))[0] == 200
        answer = await world.fake.wait_for(lambda: world.chat(BUYER_CHAT))
        assert answer[0].plain == f"I don't know order {ORDER}."

        assert (await world.fake.post_to_webhook(update))[0] == 200  # Telegram retrying
        await world.settled()
        await asyncio.sleep(0.2)
        assert len(world.chat(BUYER_CHAT)) == 1


async def test_a_webhook_post_that_is_not_an_update_is_refused(config, clock):
    async with running(config, clock, **webhook_mode()) as world:
        status, _ = await world.fake.post_to_webhook({"update_id": "seven", "message": {}})
        assert status == 400
        status, _ = await world.fake.post_to_webhook({"message": {"text": "hi"}})
        assert status == 400


# --- 5. Telegram says "slow down" ----------------------------------------------------------------


async def test_429s_while_posting_delay_the_findings_but_lose_none(config, clock):
    """The outbox waits out each retry_after (on the clock: no test waits for it) and sends on."""
    async with running(config, clock) as world:
        world.fake.fail_next("sendMessage", times=3, error_code=429, retry_after=1)
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
        # The answer to the inspector may meet the 429s: its client retries them, a second each.
        await world.fake.wait_for(lambda: any("posted" in m.plain for m in world.chat(INSPECTOR_ID)), timeout=20)
        await waited_out(world)

        assert labels(world.chat(BUYER_CHAT)) == EXAMPLE_LABELS
        assert world.chat(BUYER_CHAT)[0].plain.startswith(f"━━ Visit findings · {ORDER}")
        assert len(world.fake.calls("sendMessage")) == len(world.fake.transcript(INSPECTOR_ID)) + \
            len([m for m in world.chat(BUYER_CHAT) if m.text]) + 3  # the three 429s were really met


async def waited_out(world: World, seconds: int = 1, rounds: int = 10) -> None:
    """Delivery rounds, the clock moved on by the platform's wait between them, until all is sent."""
    for _ in range(rounds):
        await world.app.dispatcher.deliver_pending()
        if all(row["sent_at"] for row in outbox_rows(world)):
            return
        world.clock.advance(seconds=seconds)
    raise AssertionError(f"messages still owed after {rounds} rounds")


async def test_a_refused_photo_does_not_hold_up_the_other_messages(config, clock):
    async with running(config, clock) as world:
        world.fake.fail_next("sendPhoto", times=1000, error_code=400, description="Bad Request: IMAGE_PROCESS_FAILED")
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
        await world.fake.wait_for(lambda: any("posted" in m.plain for m in world.chat(INSPECTOR_ID)))
        await world.settled()

        buyer = world.chat(BUYER_CHAT)
        assert buyer[0].plain.startswith(f"━━ Visit findings · {ORDER}")
        assert "F1" in labels(buyer) and "P3" in labels(buyer)
        assert all(r["sent_at"] for r in outbox_rows(world))  # nothing left behind


async def test_a_message_told_to_wait_by_429s_keeps_its_place(config, clock):
    async with running(config, clock) as world:
        telegram = world.app.dispatcher.adapters.pop(Platform.TELEGRAM)  # the findings wait in the outbox
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
        await world.fake.wait_for(lambda: any("posted" in m.plain for m in world.chat(INSPECTOR_ID)))

        world.fake.fail_next("sendMessage", times=4, error_code=429, retry_after=1)
        world.app.dispatcher.add_adapter(telegram)
        for _ in range(4):
            await world.app.dispatcher.deliver_pending()  # the summary is told to wait a second
            assert await world.app.dispatcher.deliver_pending() == 0  # and nothing overtakes it meanwhile
            world.clock.advance(seconds=1)
        await world.app.dispatcher.deliver_pending()  # sent once that is over
        assert all(row["sent_at"] for row in outbox_rows(world))

        buyer = world.chat(BUYER_CHAT)
        assert len([m for m in buyer if m.plain.startswith("━━ Visit findings")]) == 1
        assert buyer[0].plain.startswith(f"━━ Visit findings · {ORDER}")


async def test_the_inspector_is_told_the_visit_was_posted_despite_429s(config, clock):
    async with running(config, clock) as world:
        world.app.dispatcher.adapters.pop(Platform.TELEGRAM)  # only the confirmation is sent now
        world.fake.fail_next("sendMessage", times=4, error_code=429, retry_after=1)  # 1 try + 3 retries
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
        told = await world.fake.wait_for(lambda: world.chat(INSPECTOR_ID), timeout=8)

        assert len(await visits(world)) == 1  # the visit was posted
        assert "failed on our side" not in told[0].plain
        assert told[0].plain == f"Visit for {ORDER} posted with 7 proposed instructions."


async def test_a_finding_whose_photo_is_refused_still_reaches_the_buyer(config, clock):
    async with running(config, clock) as world:
        world.fake.fail_next("sendPhoto", times=1000, error_code=400, description="Bad Request: IMAGE_PROCESS_FAILED")
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
        await world.fake.wait_for(lambda: any("posted" in m.plain for m in world.chat(INSPECTOR_ID)))
        await world.settled()

        assert labels(world.chat(BUYER_CHAT)) == EXAMPLE_LABELS


# --- 6. crash safety ----------------------------------------------------------------------------


async def test_an_update_stored_before_a_crash_is_handled_at_start(config, clock):
    app = await build_app(telegram_config(config), clock)  # the store the crashed process left behind
    buyer = FakeUser(BUYER_ID, "Anna", "en")
    async with app.store.unit_of_work() as uow:
        assert await uow.inbox.add(Platform.TELEGRAM, 42, text_update(42, buyer, f"status {ORDER}"), clock.now())
        await uow.commit()
    await app.close()

    async with running(config, clock) as world:
        answer = await world.fake.wait_for(lambda: world.chat(BUYER_ID))
        assert answer[0].plain == f"I don't know order {ORDER}."
        await world.settled()
        async with world.app.store.unit_of_work() as uow:
            assert await uow.inbox.unhandled(Platform.TELEGRAM) == []


async def test_an_update_handled_before_a_restart_is_not_handled_again(config, clock):
    async with running(config, clock) as world:
        update = await world.fake.send_text(BUYER_ID, world.buyer, f"status {ORDER}")
        await world.fake.wait_for(lambda: world.chat(BUYER_ID))
        await world.settled()

    async with running(config, clock, **webhook_mode()) as world:  # Telegram delivers it once more
        assert (await world.fake.post_to_webhook(update))[0] == 200
        fresh = text_update(update["update_id"] + 1, world.buyer, "orders")
        assert (await world.fake.post_to_webhook(fresh))[0] == 200
        await world.fake.wait_for(lambda: world.chat(BUYER_ID))
        await world.settled()
        await asyncio.sleep(0.2)
        assert len(world.chat(BUYER_ID)) == 1
        assert "don't know order" not in world.chat(BUYER_ID)[0].plain


# --- 7. two buyers tap Approve at the same moment -----------------------------------------------


def with_second_buyer(config: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setitem(IDS, "Ben Vogel", 444)
    ben = Person(name="Ben Vogel", role=Role.BUYER, locale="en", timezone="Europe/Berlin")
    return config.model_copy(update={"people": (*config.people, ben)})


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_two_buyers_approving_at_once_approve_once(config, clock, visit_dir, example_data, monkeypatch, mode):
    settings = webhook_mode() if mode == "webhook" else {}
    async with running(with_second_buyer(config, monkeypatch), clock, **settings) as world:
        bundle = bundle_of(visit_dir, one_finding(example_data))
        await (post_by_webhook(world, bundle) if mode == "webhook" else post(world, bundle))
        ben = world.fake.user(444, "Ben", "en")
        f1 = world.finding("F1")
        approve = f1.buttons["Approve"]

        taps = await asyncio.gather(*(world.fake.tap(BUYER_CHAT, who, f1.message_id, approve)
                                      for who in (world.buyer, ben)))
        if mode == "webhook":
            statuses = await asyncio.gather(*(world.fake.post_to_webhook(tap) for tap in taps))
            assert [status for status, _ in statuses] == [200, 200]
        await world.fake.wait_for(lambda: len(world.fake.callback_answers) == 2)
        await world.settled()

        answers = sorted((a.text for a in world.fake.callback_answers), key=lambda text: text != "Approved.")
        assert answers[0] == "Approved."
        async with world.app.store.unit_of_work() as uow:
            (instruction,) = await uow.instructions.for_visit((await uow.visits.latest_per_order())[0].id)
            trail = await uow.audit.for_entity("instruction", instruction.id)
        approvals = [event for event in trail if event.action == "approve"]
        assert len(approvals) == 1
        approver = approvals[0].actor.removeprefix("buyer:")
        assert answers[1].startswith(f"Already approved by {approver} at ")


async def post_by_webhook(world: World, bundle: bytes) -> None:
    """Webhook mode: the fake queues the upload; the test plays Telegram's POST."""
    update = await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", bundle)
    assert (await world.fake.post_to_webhook(update))[0] == 200
    await world.fake.wait_for(lambda: any("posted" in m.plain for m in world.chat(INSPECTOR_ID)))
    await world.settled()


# --- 8. bad uploads -----------------------------------------------------------------------------


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in entries.items():
            bundle.writestr(name, content)
    return buffer.getvalue()


def example_entries() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(EXAMPLE_VISIT.iterdir())}


def bad_uploads(visit_dir: Path, example_data: dict) -> dict[str, tuple[str, bytes, str]]:
    """Upload name → (file name, content, what the answer must say)."""
    slip = {**example_entries(), "../evil.jpg": (EXAMPLE_VISIT / "f3-colour.jpg").read_bytes()}
    corrupt = {**example_entries(), "f2-backstamp.jpg": b"this is a text file, not a photo\n"}
    invalid = changed(example_data, "findings.0.units_affected", 200)
    wordy = changed(example_data, "findings.0.description", "Glaze crawling at the handle joint. " * 84)  # 3,024
    return {
        "text file": ("notes.txt", b"glaze crawling at the handle\n", "Send the visit report as a .zip bundle"),
        "not a zip": ("visit.zip", b"PK? not really a zip file" * 40, "visit.zip: not a zip archive"),
        "zip slip": ("visit.zip", zip_of(slip), "../evil.jpg: zip entry escapes the bundle folder"),
        "corrupt photo": ("visit.zip", zip_of(corrupt), "findings.1.photos.0: not an image"),
        "invalid report": ("visit.zip", bundle_of(visit_dir, invalid), "findings.0.units_affected: "),
        "3,000-character description": ("visit.zip", bundle_of(visit_dir, wordy),
                                        "findings.0.description: string should have at most 2000"),
        "photo before report": ("f1-glaze-crawl-1.jpg", (EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg").read_bytes(),
                                "Send the report file first"),
    }


@pytest.mark.parametrize("upload", ["text file", "not a zip", "zip slip", "corrupt photo", "invalid report",
                                    "3,000-character description", "photo before report"])
async def test_a_bad_upload_is_answered_and_nothing_is_stored(config, clock, visit_dir, example_data, upload):
    filename, content, expected = bad_uploads(visit_dir, example_data)[upload]
    async with running(config, clock) as world:
        answer = await answer_to(world, world.inspector, INSPECTOR_ID, lambda: world.fake.send_document(
            INSPECTOR_ID, world.inspector, filename, content))
        assert expected in answer.plain
        assert "posted" not in answer.plain
        assert await visits(world) == []
        assert world.chat(BUYER_CHAT) == []
        assert not (world.app.store.path.parent / "evil.jpg").exists()
        staging = world.app.store.path.parent / "uploads" / "telegram"
        assert not staging.exists() or not [p for p in staging.rglob("*") if p.is_file()]


async def test_a_chinese_inspector_is_told_what_is_wrong_in_chinese_with_the_fields_as_written(
    config, clock, visit_dir, example_data
):
    invalid = changed(changed(example_data, "findings.0.units_affected", 200), "visit.sample_drawn", "maybe")
    async with running(speaking(config, Role.INSPECTOR, CHINESE), clock) as world:
        answer = await answer_to(world, world.inspector, INSPECTOR_ID, lambda: world.fake.send_document(
            INSPECTOR_ID, world.inspector, "visit.zip", bundle_of(visit_dir, invalid)))
        assert answer.plain.splitlines() == [
            "visit.zip未通过检查，共2个问题，未保存任何内容：",
            "visit.sample_drawn：应为是/否（true或false），无法识别所填内容，实际填写为'maybe'",
            "findings.0.units_affected：不良数量200件，超过检查数量125件",
        ]
        assert await visits(world) == []
        assert world.chat(BUYER_CHAT) == []


async def test_a_report_over_20_mb_is_refused_before_it_is_downloaded(config, clock):
    async with running(config, clock) as world:
        answer = await answer_to(world, world.inspector, INSPECTOR_ID, lambda: world.fake.send_document(
            INSPECTOR_ID, world.inspector, "visit.zip", bytes(21 * 1024 * 1024)))
        assert answer.plain.startswith("visit.zip is 21.0 MB; Telegram lets bots download files up to 20 MB.")
        assert world.fake.calls("getFile") == []
        assert await visits(world) == []


async def test_a_compressed_photo_is_asked_for_again_as_a_file(config, clock):
    async with running(config, clock) as world:
        photo = (EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg").read_bytes()
        answer = await answer_to(world, world.inspector, INSPECTOR_ID,
                                 lambda: world.fake.send_photo(INSPECTOR_ID, world.inspector, photo))
        assert "send inspection photos as files" in answer.plain


async def test_a_buyer_or_a_stranger_sending_a_report_is_refused(config, clock):
    async with running(config, clock) as world:
        bundle = zipped(EXAMPLE_VISIT)
        buyer = await answer_to(world, world.buyer, BUYER_ID, lambda: world.fake.send_document(
            BUYER_ID, world.buyer, "visit.zip", bundle))
        assert buyer.plain == "Only inspectors can send visit reports."
        mallory = world.fake.user(999, "Mallory", "en")
        stranger = await answer_to(world, mallory, mallory.id, lambda: world.fake.send_document(
            mallory.id, mallory, "visit.zip", bundle))
        assert stranger.plain.startswith("Sorry, this bot works only for the people of its buyer")
        assert world.fake.calls("getFile") == []
        assert await visits(world) == []


# --- 9. the report first, then its photos as files ----------------------------------------------


async def test_a_report_file_then_its_photos_one_by_one(config, clock):
    photos = sorted(p for p in EXAMPLE_VISIT.iterdir() if p.suffix == ".jpg")
    async with running(config, clock) as world:
        def send(name: str, content: bytes):
            return lambda: world.fake.send_document(INSPECTOR_ID, world.inspector, name, content)

        waiting = await answer_to(world, world.inspector, INSPECTOR_ID,
                                  send("report.yaml", (EXAMPLE_VISIT / "report.yaml").read_bytes()))
        assert waiting.plain.startswith("Report received. Waiting for 7 photos")
        assert all(photo.name in waiting.plain for photo in photos)
        assert await visits(world) == []

        for left, photo in zip(range(6, 0, -1), photos[:-1], strict=True):
            answer = await answer_to(world, world.inspector, INSPECTOR_ID, send(photo.name, photo.read_bytes()))
            assert f"Waiting for {left} photo" in answer.plain
            assert photo.name not in answer.plain

        posted = await answer_to(world, world.inspector, INSPECTOR_ID, send(photos[-1].name, photos[-1].read_bytes()))
        assert posted.plain == f"Visit for {ORDER} posted with 7 proposed instructions."
        assert labels(world.chat(BUYER_CHAT)) == EXAMPLE_LABELS
        assert sum(len(m.photos) for m in world.chat(BUYER_CHAT)) == 7


# --- 10. the command menu -----------------------------------------------------------------------


async def test_the_command_menu_is_set_in_english_and_in_chinese(config, clock):
    async with running(config, clock) as world:
        english = {c["command"]: c["description"] for c in world.fake.commands()}
        chinese = {c["command"]: c["description"] for c in world.fake.commands("zh")}
        assert set(english) == set(chinese) == {"status", "orders", "factories", "visit", "invite", "revoke", "help"}
        assert english["status"] == "Status of an order: /status PO-123"
        assert chinese["status"] == "查询订单进度：/status PO-123"
        assert all(re.search(r"[\u4e00-\u9fff]", text) for text in chinese.values())


# --- 11. Telegram's limits ----------------------------------------------------------------------


def full_flow_report(data: dict) -> dict:
    """A material, two findings and two packaging checks, with text that needs escaping: every
    kind of message, within a group chat's 20 messages a minute."""
    report = copy.deepcopy(data)
    report["findings"] = report["findings"][:2]
    report["findings"][0]["description"] = 'Glaze crawling <2 mm> at the handle & "base" — R&D says > 5% of units'
    report["packaging"]["checks"] = report["packaging"]["checks"][:2]
    return report


async def test_every_message_of_the_whole_flow_is_valid_html_within_limits(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        assert "posted with 5" in await post(world, bundle_of(visit_dir, full_flow_report(example_data)))
        f1 = world.finding("F1")
        assert "<2 mm> at the handle & \"base\" — R&D says > 5%" in f1.plain
        await world.tap(world.buyer, BUYER_CHAT, f1, "Edit")
        prompt = world.chat(BUYER_CHAT)[-1]
        edited = await world.say(world.buyer, BUYER_CHAT, "Sort <all> units & keep rejects", reply_to=prompt.message_id)
        assert edited.plain == "Changed and approved."
        assert await world.tap(world.buyer, BUYER_CHAT, world.finding("F2"), "Reject") == "Rejected."
        notice = await send_notice(world)
        assert (await world.tap(world.factory, FACTORY_CHAT, notice, "确认收到")).startswith("谢谢")
        assert "acknowledged notice" in world.chat(BUYER_CHAT)[-1].plain
        assert "Notice CN-2026-0001: acknowledged" in (await world.say(world.buyer, BUYER_ID, f"/status {ORDER}")).plain
        assert "状态：有风险" in (await world.say(world.factory, FACTORY_CHAT, f"{ORDER} 进度")).plain
        assert ORDER in (await world.say(world.buyer, BUYER_ID, "/orders")).plain

        assert refusals(world) == []
        assert all(row["attempts"] == 0 and row["sent_at"] for row in outbox_rows(world))
        assert "Sort <all> units & keep rejects" in world.chat(FACTORY_CHAT)[0].plain


def distinct_photos(folder: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        name = f"crawl-{i + 1}.png"
        Image.new("RGB", (160 + i, 120), (40 * i % 255, 120, 90)).save(folder / name)
        names.append(name)
    return names


async def test_a_long_finding_with_eight_photos_is_split_never_cut(config, clock, visit_dir, example_data):
    report = one_finding(example_data)
    words = " ".join(f"word{i}&<{i}>" for i in range(400))
    finding = report["findings"][0]
    finding["description"] = words[:2000].rsplit(" ", 1)[0]
    finding["description_zh"] = ("手柄连接处缩釉，局部露胎。" * 160)[:2000]
    finding["instruction"]["note"] = ("Sort every glazed unit before packing. " * 60)[:2000].strip()
    finding["photos"] = distinct_photos(visit_dir, 8)
    async with running(config, clock) as world:
        assert "posted" in await post(world, bundle_of(visit_dir, report))
        buyer = world.chat(BUYER_CHAT)
        group = [m for m in buyer if m.method == "sendMediaGroup"]
        assert len(group) == 8 and len({m.media_group_id for m in group}) == 1
        texts = [m for m in buyer if m.method == "sendMessage"][1:]  # after the summary
        assert len(texts) >= 2
        shown = "\n".join(m.plain for m in texts)
        for field in (finding["description"], finding["description_zh"], finding["instruction"]["note"]):
            assert field in shown
        assert set(texts[-1].buttons) == {"Approve", "Edit", "Reject"}

        notice = await send_notice(world)
        factory = "\n".join(m.plain for m in world.chat(FACTORY_CHAT))
        assert finding["description_zh"] in factory
        assert set(notice.buttons) == {"确认收到", "有异议"}
        assert refusals(world) == []

