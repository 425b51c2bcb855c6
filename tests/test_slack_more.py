"""More of the Slack flow, as people use it: the buyer edits in a modal, the factory disputes,
everyone asks /followup and the bot in DMs, Slack retries and double-posts, forged and stale
requests, strangers and a second factory, 429 storms, bad uploads and Block Kit's limits.

Like tests/test_slack.py: signed requests go into the real Bolt AsyncApp, the real slack-sdk
client talks HTTP to the fake Web API, and each test asserts what Slack would show. Most
stories post a one-finding report to stay quick.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import re
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest

from bot.config import Config
from handlers.model import Factory, NoticeState, Person, Role
from tests import slack_world
from messages.i18n import CHINESE
from tests.conftest import EXAMPLE_VISIT, bundle_of, changed, one_finding, speaking, write_report, zipped
from tests.fake_slack import TEAM_DOMAIN, SlackMessage, post_to_app
from tests.slack_world import (
    BUYER,
    BUYER_CHANNEL,
    FACTORY,
    FACTORY_CHANNEL,
    IDS,
    INSPECTOR,
    SECRET,
    SlackWorld,
    running_slack,
)

ORDER = "PO-2026-0142"
OTHER_ORDER = "PO-2026-0143"
NOTICE = "CN-2026-0001"
EXAMPLE_LABELS = ["F1", "F2", "F3", "M3", "P1", "P2", "P3"]
STRANGER, BEN = "U0MALLORY", "U0BEN"
OTHER_CHANNEL = "C0OTHER"
F1_NOTE = "Sort all glazed units before packing; crawled units must not be repaired with touch-up glaze."


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


# --- helpers ------------------------------------------------------------------------------------




def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in entries.items():
            bundle.writestr(name, content)
    return buffer.getvalue()


def bot_said(world: SlackWorld, channel: str) -> list[SlackMessage]:
    return [m for m in world.channel(channel) if m.from_bot]


async def upload(world: SlackWorld, user: str, name: str, content: bytes) -> SlackMessage:
    """`user` drops a file into their DM with the bot; returns the bot's answer there."""
    dm = world.fake.dm_channel(user)
    before = len(bot_said(world, dm))
    file = world.fake.add_uploaded_file(name, content)
    status, _ = await world.event(world.fake.message_event(user, dm, "", files=[file]))
    assert status == 200
    answers = await world.fake.wait_for(lambda: bot_said(world, dm)[before:])
    await world.settled()
    return answers[0]


async def post(world: SlackWorld, bundle: bytes) -> str:
    """The inspector sends a bundle; returns the bot's answer once everything is delivered."""
    return (await upload(world, INSPECTOR, "visit.zip", bundle)).text


async def say_in_dm(world: SlackWorld, user: str, text: str) -> SlackMessage:
    dm = world.fake.dm_channel(user)
    before = len(bot_said(world, dm))
    status, _ = await world.event(world.fake.message_event(user, dm, text))
    assert status == 200
    answers = await world.fake.wait_for(lambda: bot_said(world, dm)[before:])
    return answers[0]


async def command(world: SlackWorld, user: str, channel: str, text: str) -> str:
    """`/followup text`; returns what the ack shows the person: the response body, which is
    JSON with `text` and `blocks`, or the bare text (Slack accepts both)."""
    status, body = await world.send("command", world.fake.slash_command(user, channel, "/followup", text))
    assert status == 200
    return json.loads(body)["text"] if body.startswith("{") else body


async def submit(world: SlackWorld, user: str, values: dict) -> tuple[int, dict | None]:
    """Submits the modal opened last; returns the HTTP status and the JSON body, if any."""
    view = world.fake.views[-1]
    status, body = await world.send("interactive", world.fake.view_submission(user, values=values, view_id=view.id))
    return status, (json.loads(body) if body.strip() else None)


def edit_values(note: str, due: str) -> dict:
    return {"note": {"note": note}, "due": {"due": {"type": "datepicker", "selected_date": due}}}


def with_button(world: SlackWorld, channel: str, label: str) -> SlackMessage:
    found = [m for m in world.channel(channel) if any(label in text for text in m.buttons)]
    assert found, f"no message with a {label!r} button in {channel}"
    return found[-1]


async def send_notice(world: SlackWorld, factory_channel: str = FACTORY_CHANNEL) -> SlackMessage:
    """The buyer approves every finding and sends the notice; returns the factory's notice."""
    for message in [m for m in world.channel(BUYER_CHANNEL) if "Approve" in m.buttons]:
        await world.click(BUYER, BUYER_CHANNEL, message, "Approve")
    await world.click(BUYER, BUYER_CHANNEL, with_button(world, BUYER_CHANNEL, "Send notice"), "Send notice")
    held = [m for m in world.channel(BUYER_CHANNEL) if "Send anyway" in m.buttons]
    if held:  # text the factory would read in English only: sent as it is
        await world.click(BUYER, BUYER_CHANNEL, held[-1], "Send anyway")
    return with_button(world, factory_channel, "有异议")


def ephemerals_to(world: SlackWorld, channel: str, user: str) -> list[str]:
    return [m.text for m in world.fake.ephemerals(channel) if m.to_user == user]


async def decisions(world: SlackWorld) -> list:
    """The audit trail of the one instruction, after the inspector proposed it."""
    async with world.app.store.unit_of_work() as uow:
        (visit,) = await uow.visits.latest_per_order()
        (instruction,) = await uow.instructions.for_visit(visit.id)
        trail = await uow.audit.for_entity("instruction", instruction.id)
    assert trail[0].action == "propose"
    return trail[1:]


async def visits(world: SlackWorld) -> list:
    async with world.app.store.unit_of_work() as uow:
        return await uow.visits.latest_per_order()


def outbox_rows(world: SlackWorld) -> list[sqlite3.Row]:
    with sqlite3.connect(world.app.store.path) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT id, kind, sent_at, attempts, last_error FROM outbox ORDER BY id").fetchall()


def labels(world: SlackWorld) -> list[str]:
    """Item labels of the finding messages in the buyer channel, in the order they arrived."""
    return [match[1] for m in world.channel(BUYER_CHANNEL) if (match := re.match(r"\*\[(\w+)\]", m.text))]


def section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b.get("type") == "section" and "text" in b]


def flat(text: str) -> str:
    return " ".join(text.split())


# --- 1. the buyer edits an instruction in a modal -----------------------------------------------


async def test_the_buyer_edits_f1_in_a_modal_and_the_message_shows_the_change(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        await world.click(BUYER, BUYER_CHANNEL, world.finding("F1"), "Edit")

        (modal,) = world.fake.views
        inputs = {b["block_id"]: b["element"] for b in modal.json["blocks"] if b["type"] == "input"}
        assert inputs["note"]["initial_value"] == F1_NOTE
        assert inputs["due"]["initial_date"] == "2026-11-28"

        status, body = await submit(world, BUYER, edit_values("Sort everything", "2026-11-01"))
        assert status == 200
        assert body["response_action"] == "errors"
        assert set(body["errors"]) == {"due"}
        assert "before the visit date" in body["errors"]["due"]
        assert not world.finding("F1").edited

        assert await decisions(world) == []

        status, body = await submit(world, BUYER, edit_values("Sort every unit and keep the rejects", "2026-12-01"))
        assert status == 200 and body is None
        f1 = world.finding("F1")
        assert f1.edited
        assert len([m for m in world.channel(BUYER_CHANNEL) if m.text.startswith("*[F1]")]) == 1  # in place
        shown = "\n".join(section_texts(f1.blocks))
        assert "Note: Sort every unit and keep the rejects" in shown
        assert F1_NOTE not in shown
        assert "(due 1 Dec 2026)" in shown
        assert "Decision: approved with changes — Anna Schmidt" in shown
        assert "Approve" not in f1.buttons and "Edit" in f1.buttons
        assert [e.action for e in await decisions(world)] == ["edit"]


async def test_a_chinese_buyer_is_told_in_chinese_what_is_wrong_with_a_parameter(
    config, clock, visit_dir, example_data
):
    report = one_finding(example_data)
    report["findings"] = example_data["findings"][1:2]  # add_country_of_origin, with its marking
    async with running_slack(speaking(config, Role.BUYER, CHINESE), clock) as world:
        await post(world, bundle_of(visit_dir, report))
        await world.click(BUYER, BUYER_CHANNEL, world.finding("F1"), "修改")
        (modal,) = world.fake.views
        (marking,) = [b for b in modal.json["blocks"] if b["block_id"] == "param:marking"]
        assert marking["hint"]["text"] == "准确的标识文字，例如“Made in China”"

        typed = {"value": {"type": "plain_text_input", "value": " "}}
        blank = {**edit_values("", "2026-12-01"), "param:marking": typed}
        status, body = await submit(world, BUYER, blank)
        assert (status, body["response_action"]) == (200, "errors")
        assert body["errors"] == {"param:marking": "应填写文字，不能为空，实际填写为''"}
        assert await decisions(world) == []


# --- 2. the factory disputes the notice ---------------------------------------------------------


async def test_the_factory_disputes_the_notice_in_a_modal_and_the_buyer_is_told(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        notice = await send_notice(world)
        assert notice.text.startswith(f"整改通知书 {NOTICE}")

        await world.click(FACTORY, FACTORY_CHANNEL, notice, "有异议")
        (modal,) = world.fake.views
        assert [b["block_id"] for b in modal.json["blocks"]] == ["text"]

        status, body = await submit(world, FACTORY, {"text": {"text": "   "}})
        assert status == 200
        assert body == {"response_action": "errors", "errors": {"text": "请说明提出异议的原因。"}}

        reason = "Glaze matches the approved sample AS-0142-B; we have the sign-off"
        status, body = await submit(world, FACTORY, {"text": {"text": reason}})
        assert status == 200 and body is None

        told = [m.text for m in world.channel(BUYER_CHANNEL) if f"disputes notice {NOTICE}" in m.text]
        assert len(told) == 1
        assert "Ningbo Evergreen Homeware Co., Ltd." in told[0] and reason in told[0]
        closed = next(m for m in world.channel(FACTORY_CHANNEL) if m.ts == notice.ts)
        assert closed.edited and closed.buttons == {}
        factory_dm = [m.text for m in bot_said(world, world.fake.dm_channel(FACTORY))]
        assert factory_dm == [f"您对整改通知书{NOTICE}的异议已转告买方。"]
        async with world.app.store.unit_of_work() as uow:
            assert (await uow.notices.by_number(NOTICE)).state is NoticeState.DISPUTED


# --- 3. the /followup command -------------------------------------------------------------------


async def test_followup_answers_each_person_in_their_language_and_refuses_strangers(
        config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        world.fake.add_user(STRANGER, "Mallory")

        buyer = await command(world, BUYER, BUYER_CHANNEL, f"status {ORDER}")
        assert ORDER in buyer and "Status: *AT RISK*" in buyer
        factory = await command(world, FACTORY, FACTORY_CHANNEL, f"status {ORDER}")
        assert ORDER in factory and "状态：*有风险*" in factory

        orders = await command(world, BUYER, BUYER_CHANNEL, "orders")
        assert "Orders, most urgent first" in orders and ORDER in orders
        assert ORDER in await command(world, BUYER, BUYER_CHANNEL, "orders at risk evergreen")
        assert (await command(world, BUYER, BUYER_CHANNEL, "orders late")).endswith("No orders match.")
        assert (await command(world, FACTORY, FACTORY_CHANNEL, "orders 延误")).endswith("没有符合条件的订单。")
        factories = await command(world, BUYER, BUYER_CHANNEL, "factories")
        assert "*Factories*" in factories and "Ningbo Evergreen Homeware Co., Ltd." in factories
        assert "宁波常青家居用品有限公司" in await command(world, FACTORY, FACTORY_CHANNEL, "factories")
        helped = await command(world, BUYER, BUYER_CHANNEL, "help")
        assert helped.startswith("Ask me about an order")
        assert (await command(world, BUYER, BUYER_CHANNEL, "")).startswith("Ask me about an order")

        refused = await command(world, STRANGER, BUYER_CHANNEL, f"status {ORDER}")
        assert refused == "Sorry, this bot works only for the people of its buyer and their factories."


# --- 4. DMs, mentions and App Home --------------------------------------------------------------


async def test_people_ask_in_dms_mentions_and_app_home(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))

        buyer = await say_in_dm(world, BUYER, f"status {ORDER}")
        assert "Status: *AT RISK*" in buyer.text
        factory = await say_in_dm(world, FACTORY, f"{ORDER} 进度")
        assert "状态：*有风险*" in factory.text

        mention = world.fake.app_mention_event(BUYER, BUYER_CHANNEL, f"status {ORDER}")
        await world.event(mention)
        reply = await world.fake.wait_for(lambda: [m for m in bot_said(world, BUYER_CHANNEL)
                                                   if m.thread_ts == mention["ts"] and not m.files])
        assert len(reply) == 1 and "Status: *AT RISK*" in reply[0].text
        # nothing else in the DM but the status' chart
        assert [m for m in bot_said(world, world.fake.dm_channel(BUYER)) if not m.files] == [buyer]


async def test_the_buyer_opens_app_home_and_sees_the_portfolio(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        assert (await world.event(world.fake.app_home_opened_event(BUYER)))[0] == 200
        home = await world.fake.wait_for(lambda: world.fake.home(BUYER), timeout=2)
        shown = "\n".join(section_texts(home["blocks"]))
        assert "Orders, most urgent first" in shown and ORDER in shown


# --- 5. duplicates ------------------------------------------------------------------------------


async def test_an_event_slack_retries_is_answered_once(config, clock):
    async with running_slack(config, clock) as world:
        dm = world.fake.dm_channel(BUYER)
        event = world.fake.message_event(BUYER, dm, "orders")
        assert (await world.event(event, event_id="Ev0RETRY01"))[0] == 200
        assert (await world.event(event, event_id="Ev0RETRY01", retry_num=1))[0] == 200
        await asyncio.sleep(0.2)
        answers = bot_said(world, dm)
        assert len(answers) == 1 and "No orders yet." in answers[0].text

        await world.event(world.fake.message_event(BUYER, dm, "orders"))  # asked again: a new event
        await world.fake.wait_for(lambda: len(bot_said(world, dm)) == 2)


async def test_the_same_click_posted_twice_approves_once(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        f1 = world.finding("F1")
        click = world.fake.block_action(BUYER, BUYER_CHANNEL, f1.ts, f1.buttons["Approve"])
        assert (await world.send("interactive", click))[0] == 200
        assert (await world.send("interactive", click))[0] == 200

        assert [e.action for e in await decisions(world)] == ["approve"]
        assert "approved" in world.finding("F1").text
        assert all(text.startswith("Already approved") for text in ephemerals_to(world, BUYER_CHANNEL, BUYER))
        decided = [m for m in world.channel(BUYER_CHANNEL) if m.text.startswith("*[F1]")]
        assert len(decided) == 1


async def test_two_buyers_approving_at_once_approve_once(config, clock, visit_dir, example_data, monkeypatch):
    monkeypatch.setitem(IDS, "Ben Vogel", BEN)
    ben = Person(name="Ben Vogel", role=Role.BUYER, locale="en", timezone="Europe/Berlin")
    async with running_slack(config.model_copy(update={"people": (*config.people, ben)}), clock) as world:
        world.fake.add_user(BEN, "Ben Vogel")
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        f1 = world.finding("F1")
        clicks = [world.fake.block_action(who, BUYER_CHANNEL, f1.ts, f1.buttons["Approve"]) for who in (BUYER, BEN)]
        statuses = await asyncio.gather(*(post_to_app(world.url, "interactive", c, SECRET) for c in clicks))
        assert [status for status, _ in statuses] == [200, 200]
        await world.settled()

        approvals = [e for e in await decisions(world) if e.action == "approve"]
        assert len(approvals) == 1
        approver = approvals[0].actor.removeprefix("buyer:")
        loser = BEN if approver == "Anna Schmidt" else BUYER
        told = ephemerals_to(world, BUYER_CHANNEL, loser)
        assert len(told) == 1 and told[0].startswith(f"Already approved by {approver} at ")
        assert ephemerals_to(world, BUYER_CHANNEL, BUYER if loser == BEN else BEN) == []


# --- 6. requests that are not from Slack --------------------------------------------------------


async def test_forged_and_stale_requests_are_refused_and_url_verification_is_answered(config, clock):
    async with running_slack(config, clock) as world:
        dm = world.fake.dm_channel(BUYER)
        forged = await post_to_app(world.url, "event", world.fake.message_event(BUYER, dm, "orders"), "not-the-secret")
        assert forged[0] == 401
        stale = await world.send("event", world.fake.message_event(BUYER, dm, "orders"),
                                 timestamp=int(time.time()) - 400)
        assert stale[0] == 401
        command = world.fake.slash_command(BUYER, BUYER_CHANNEL, "/followup", "orders")
        assert (await post_to_app(world.url, "command", command, "not-the-secret"))[0] == 401
        await world.settled()
        await asyncio.sleep(0.2)
        assert bot_said(world, dm) == []
        assert world.fake.calls("chat.postMessage") == []

        challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
        status, body = await world.send("url_verification", {"challenge": challenge})
        assert status == 200
        assert json.loads(body) == {"challenge": challenge}


# --- 7. strangers, roles and a second factory ---------------------------------------------------


async def test_a_stranger_clicking_approve_is_refused_and_nothing_changes(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        world.fake.add_user(STRANGER, "Mallory")
        assert (await world.click(STRANGER, BUYER_CHANNEL, world.finding("F1"), "Approve"))[0] == 200

        assert ephemerals_to(world, BUYER_CHANNEL, STRANGER) == [
            "Sorry, this bot works only for the people of its buyer and their factories."]
        assert not world.finding("F1").edited
        assert await decisions(world) == []


async def test_the_factory_contact_cannot_approve_a_finding(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        await world.click(FACTORY, BUYER_CHANNEL, world.finding("F1"), "Approve")

        (refusal,) = ephemerals_to(world, BUYER_CHANNEL, FACTORY)
        assert refusal.startswith("抱歉，您的角色（") and refusal.endswith("）无权执行此操作。")
        assert not world.finding("F1").edited
        assert await decisions(world) == []


def with_other_factory(monkeypatch: pytest.MonkeyPatch, config: Config) -> Config:
    """A second factory with its own Slack channel (running_slack gives every factory ours)."""
    other = Factory(id="SZ-OTHER", name="Shenzhen Other Ceramics Ltd.", name_zh="深圳其他陶瓷有限公司")
    original = slack_world.slack_config

    def own_channels(cfg: Config, port: int) -> Config:
        done = original(cfg, port)
        factories = tuple(f.model_copy(update={"slack_channel": OTHER_CHANNEL}) if f.id == other.id else f
                          for f in done.factories)
        return done.model_copy(update={"factories": factories})

    monkeypatch.setattr(slack_world, "slack_config", own_channels)
    return config.model_copy(update={"factories": (*config.factories, other)})


async def test_a_factory_contact_cannot_see_another_factorys_order(config, clock, visit_dir, example_data, monkeypatch):
    ours = one_finding(example_data)
    theirs = changed(changed(ours, "order.reference", OTHER_ORDER), "order.factory", "SZ-OTHER")
    async with running_slack(with_other_factory(monkeypatch, config), clock) as world:
        world.fake.add_channel(OTHER_CHANNEL, "shenzhen-other-connect")
        assert "posted" in await post(world, bundle_of(visit_dir, ours))
        assert "posted" in await post(world, bundle_of(visit_dir, theirs))

        asked = await say_in_dm(world, FACTORY, f"{OTHER_ORDER} 进度")
        assert asked.text.startswith(f"找不到订单{OTHER_ORDER}。")
        assert asked.text.count(OTHER_ORDER) == 1
        assert "深圳" not in asked.text and "SZ-OTHER" not in asked.text
        close = await say_in_dm(world, FACTORY, "PO-2026-0144 进度")
        assert OTHER_ORDER not in close.text
        orders = await command(world, FACTORY, FACTORY_CHANNEL, "orders")
        assert ORDER in orders and OTHER_ORDER not in orders
        buyer = await command(world, BUYER, BUYER_CHANNEL, "orders")
        assert ORDER in buyer and OTHER_ORDER in buyer


# --- 8. Slack says "slow down" ------------------------------------------------------------------


async def test_429s_while_posting_delay_the_findings_but_lose_none(config, clock):
    async with running_slack(config, clock) as world:
        world.fake.fail_next("chat.postMessage", times=3, retry_after=0)
        assert "posted with 7" in await post(world, zipped(EXAMPLE_VISIT))
        await world.settled()

        assert labels(world) == EXAMPLE_LABELS
        assert world.channel(BUYER_CHANNEL)[0].blocks[0]["type"] == "header"
        assert all(row["sent_at"] for row in outbox_rows(world))
        posted = len(bot_said(world, BUYER_CHANNEL)) + len(bot_said(world, world.fake.dm_channel(INSPECTOR)))
        assert len(world.fake.calls("chat.postMessage")) == posted + 3  # the three 429s were really met


# --- 9. bad uploads -----------------------------------------------------------------------------


def bad_uploads(visit_dir: Path, example_data: dict) -> dict[str, tuple[str, bytes, str]]:
    """Upload name → (file name, content, what the answer must say)."""
    entries = {path.name: path.read_bytes() for path in sorted(EXAMPLE_VISIT.iterdir())}
    slip = {**entries, "../evil.jpg": (EXAMPLE_VISIT / "f3-colour.jpg").read_bytes()}
    invalid = changed(example_data, "findings.0.units_affected", 200)
    return {
        "text file": ("notes.txt", b"glaze crawling at the handle\n", "Send the visit report as a .zip bundle"),
        "not a zip": ("visit.zip", b"PK? not really a zip file" * 40, "visit.zip: not a zip archive"),
        "zip slip": ("visit.zip", zip_of(slip), "../evil.jpg: zip entry escapes the bundle folder"),
        "invalid report": ("visit.zip", bundle_of(visit_dir, invalid), "findings.0.units_affected: "),
        "a key that mentions everyone": ("visit.zip", bundle_of(visit_dir, changed(example_data, "<!channel>", 1)),
                                         "&lt;!channel&gt;: unknown field"),
    }


@pytest.mark.parametrize("kind", ["text file", "not a zip", "zip slip", "invalid report",
                                  "a key that mentions everyone"])
async def test_a_bad_upload_is_answered_in_the_dm_and_nothing_is_stored(config, clock, visit_dir, example_data, kind):
    name, content, expected = bad_uploads(visit_dir, example_data)[kind]
    async with running_slack(config, clock) as world:
        answer = await upload(world, INSPECTOR, name, content)
        assert answer.channel == world.fake.dm_channel(INSPECTOR)
        assert expected in answer.text
        assert "posted" not in answer.text
        assert await visits(world) == []
        assert world.channel(BUYER_CHANNEL) == []
        assert not (world.app.store.path.parent / "evil.jpg").exists()
        for kept in (world.app.store.path.parent / "uploads", world.app.media.root):
            assert not kept.exists() or not [p for p in kept.rglob("*") if p.is_file()]


async def test_a_chinese_inspector_is_told_what_is_wrong_in_chinese_with_the_fields_as_written(
    config, clock, visit_dir, example_data
):
    invalid = changed(changed(example_data, "findings.0.units_checked", 7000), "materials.2.status", "lost")
    async with running_slack(speaking(config, Role.INSPECTOR, CHINESE), clock) as world:
        answer = await upload(world, INSPECTOR, "visit.zip", bundle_of(visit_dir, invalid))
        assert answer.text.splitlines() == [
            "visit.zip未通过检查，共2个问题，未保存任何内容：",
            "materials.2.status：应为'on_site', 'partial', 'missing'或'substituted'，实际填写为'lost'",
            "findings.0.units_checked：检查数量7,000件，超过订单数量6,000件",
        ]
        assert await visits(world) == []
        assert world.channel(BUYER_CHANNEL) == []


async def test_a_buyer_sending_a_report_is_refused(config, clock):
    async with running_slack(config, clock) as world:
        answer = await upload(world, BUYER, "visit.zip", zipped(EXAMPLE_VISIT))
        assert answer.text == "Only inspectors can send visit reports."
        assert await visits(world) == []
        assert world.channel(BUYER_CHANNEL) == []


async def test_a_report_file_then_its_photos_one_by_one(config, clock, visit_dir, example_data):
    report = one_finding(example_data)
    photos = report["findings"][0]["photos"]
    async with running_slack(config, clock) as world:
        write_report(visit_dir, report)
        waiting = await upload(world, INSPECTOR, "report.yaml", (visit_dir / "report.yaml").read_bytes())
        assert waiting.text.startswith("Report received. Waiting for 2 photos")
        assert all(photo in waiting.text for photo in photos)

        first = await upload(world, INSPECTOR, photos[0], (EXAMPLE_VISIT / photos[0]).read_bytes())
        assert "Waiting for 1 photo," in first.text and photos[0] not in first.text
        assert await visits(world) == []

        posted = await upload(world, INSPECTOR, photos[1], (EXAMPLE_VISIT / photos[1]).read_bytes())
        assert posted.text == f"Visit for {ORDER} posted with 1 proposed instruction."
        assert labels(world) == ["F1"]
        assert sum(b["type"] == "image" for b in world.finding("F1").blocks) == 2


# --- 10. Block Kit's limits ---------------------------------------------------------------------


def block_kit_problems(world: SlackWorld) -> list[str]:
    """Every message the bot posted or updated, against Block Kit's limits."""
    problems = []
    for method, params in world.fake.requests:
        if method not in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            continue
        blocks = params.get("blocks") or []
        if len(blocks) > 50:
            problems.append(f"{method}: {len(blocks)} blocks")
        for block in blocks:
            if block.get("type") == "section":
                if "text" in block and len(block["text"]["text"]) > 3000:
                    problems.append(f"{method}: a section of {len(block['text']['text'])} characters")
                if len(block.get("fields", [])) > 10:
                    problems.append(f"{method}: {len(block['fields'])} fields (Slack allows 10)")
                problems += [f"{method}: a field of {len(f['text'])} characters"
                             for f in block.get("fields", []) if len(f["text"]) > 2000]
            for element in block.get("elements", []):
                if element.get("type") == "button" and len(element["text"]["text"]) > 75:
                    problems.append(f"{method}: button {element['text']['text']!r}")
    return problems


async def test_every_message_of_the_whole_flow_is_within_block_kit_limits(config, clock, visit_dir, example_data):
    report = copy.deepcopy(example_data)
    report["findings"] = report["findings"][:2]
    report["findings"][1]["description"] = "Carton <5-ply> & wrong"
    report["packaging"]["checks"] = report["packaging"]["checks"][:2]
    async with running_slack(config, clock) as world:
        assert "posted with 5" in await post(world, bundle_of(visit_dir, report))
        await world.click(BUYER, BUYER_CHANNEL, world.finding("F1"), "Edit")
        await submit(world, BUYER, edit_values("Sort <all> units & keep rejects", "2026-12-01"))
        await world.click(BUYER, BUYER_CHANNEL, world.finding("F2"), "Reject")
        notice = await send_notice(world)
        await world.click(FACTORY, FACTORY_CHANNEL, notice, "确认收到")
        assert any(f"acknowledged notice {NOTICE}" in m.text for m in world.channel(BUYER_CHANNEL))
        await command(world, BUYER, BUYER_CHANNEL, f"status {ORDER}")
        await say_in_dm(world, FACTORY, f"{ORDER} 进度")

        assert block_kit_problems(world) == []
        assert world.fake.calls("chat.update")  # decisions and the answered notice were edited in place
        assert all(row["sent_at"] and row["attempts"] == 0 for row in outbox_rows(world))


def shown_in(world: SlackWorld, channel: str) -> str:
    return "\n".join(t for m in world.channel(channel) for t in section_texts(m.blocks))


async def test_what_people_typed_is_escaped_once_in_the_buyer_channel(config, clock, visit_dir, example_data):
    report = one_finding(example_data)
    report["findings"][0]["description"] = "Carton <5-ply> & wrong"
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, report))
        assert "Carton &lt;5-ply&gt; &amp; wrong" in shown_in(world, BUYER_CHANNEL)
        await world.click(BUYER, BUYER_CHANNEL, world.finding("F1"), "Edit")
        await submit(world, BUYER, edit_values("Sort <all> units & keep rejects", "2026-12-01"))
        assert "Note: Sort &lt;all&gt; units &amp; keep rejects" in "\n".join(section_texts(world.finding("F1").blocks))
        assert "&amp;amp;" not in shown_in(world, BUYER_CHANNEL)


async def test_what_people_typed_is_escaped_once_in_the_notice(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        await world.click(BUYER, BUYER_CHANNEL, world.finding("F1"), "Edit")
        await submit(world, BUYER, edit_values("Sort <all> units & keep rejects", "2026-12-01"))
        await send_notice(world)  # the note is English only: sent anyway
        notice = shown_in(world, FACTORY_CHANNEL)
        assert "Note: Sort &lt;all&gt; units &amp; keep rejects" in notice
        assert "&amp;amp;" not in notice and "&amp;lt;" not in notice


async def test_a_note_in_english_only_waits_for_its_chinese_given_in_a_form(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        await world.click(BUYER, BUYER_CHANNEL, world.finding("F1"), "Edit")
        await submit(world, BUYER, edit_values("Sort <all> units & keep rejects", "2026-12-01"))
        await world.click(BUYER, BUYER_CHANNEL, with_button(world, BUYER_CHANNEL, "Send notice"), "Send notice")
        assert world.channel(FACTORY_CHANNEL) == []  # held back: nothing reaches the factory
        warning = with_button(world, BUYER_CHANNEL, "Send anyway")
        assert "1 text will reach the factory in English only — add Chinese?" in warning.text
        assert "[F1] note: “Sort &lt;all&gt; units &amp; keep rejects”" in shown_in(world, BUYER_CHANNEL)
        views = len(world.fake.views)
        await world.click(BUYER, BUYER_CHANNEL, warning, "Add Chinese F1")
        assert len(world.fake.views) == views + 1  # a form asks for the Chinese
        status, body = await submit(world, BUYER, {"text": {"text": "Sort all units"}})
        assert (status, body) == (200, None)
        refused = world.channel(world.fake.dm_channel(BUYER))[-1].text
        assert refused == "That text has no Chinese in it; write the Chinese the factory will read for F1. " \
                          "Nothing was changed."
        status, body = await submit(world, BUYER, {"text": {"text": "全检所有产品，不良品留存待复检。"}})
        assert (status, body) == (200, None)
        await world.click(BUYER, BUYER_CHANNEL, with_button(world, BUYER_CHANNEL, "Send notice"), "Send notice")
        notice = shown_in(world, FACTORY_CHANNEL)
        chinese = notice[:notice.index("CORRECTIVE NOTICE")]
        assert "备注：全检所有产品，不良品留存待复检。" in chinese and "【原文（英文）】" not in chinese
        assert "Note: Sort &lt;all&gt; units &amp; keep rejects" in notice
        async with world.app.store.unit_of_work() as uow:
            events = [e for e in await uow.audit.for_entity("visit", 1) if e.action == "warn_english_only"]
        assert [t["field"] for t in events[0].after["english_only"]] == ["note"]


async def test_a_long_english_and_chinese_description_is_split_never_cut(config, clock, visit_dir, example_data):
    report = one_finding(example_data)
    finding = report["findings"][0]
    finding["description"] = " ".join(f"word{i}" for i in range(400))[:2000].rsplit(" ", 1)[0]
    finding["description_zh"] = ("手柄连接处缩釉，局部露胎。" * 160)[:2000]
    async with running_slack(config, clock) as world:
        assert "posted" in await post(world, bundle_of(visit_dir, report))
        f1 = world.finding("F1")
        sections = section_texts(f1.blocks)
        assert len(sections) >= 2
        shown = flat("\n".join(sections))
        assert flat(finding["description"]) in shown
        assert finding["description_zh"] in shown.replace(" ", "")
        assert set(f1.buttons) == {"Approve", "Edit", "Reject"}

        notice = await send_notice(world)
        factory = "".join(t for m in world.channel(FACTORY_CHANNEL) for t in section_texts(m.blocks))
        assert finding["description_zh"] in factory.replace("\n", "")
        assert set(notice.buttons) == {"确认收到", "有异议"}
        assert block_kit_problems(world) == []


async def test_a_status_links_to_the_findings_thread_and_the_notice_each_reader_can_open(
        config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        await send_notice(world)

        buyer = await command(world, BUYER, BUYER_CHANNEL, f"status {ORDER}")
        summary = next(m for m in world.channel(BUYER_CHANNEL) if "Visit findings" in m.text)
        assert f"See: <https://{TEAM_DOMAIN}.slack.com/archives/{BUYER_CHANNEL}/p{summary.ts.replace('.', '')}|Findings>" in buyer
        assert NOTICE not in buyer.split("See:")[1]  # the notice went to the factory's channel, not the buyer's

        factory = await command(world, FACTORY, FACTORY_CHANNEL, f"status {ORDER}")
        notice = with_button(world, FACTORY_CHANNEL, "确认收到")
        assert f"查看：<https://{TEAM_DOMAIN}.slack.com/archives/{FACTORY_CHANNEL}/p{notice.ts.replace('.', '')}|整改通知书{NOTICE}>" in factory
        assert "验货问题" not in factory  # the buyer's findings thread is not the factory's to see
