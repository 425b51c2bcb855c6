"""The hostile corpus for chat inputs (tests/hostile/chat/), sent the way each platform sends
it: Slack requests with missing or mistyped fields or for another workspace, signed and
posted to the running Bolt app; on Telegram, 10,000-character, bidi, invalid-Unicode and
markup texts from people, forged callback data from a modified client, and bytes that are
not UTF-8 at the webhook. Each is refused, or answered harmlessly in the person's chat;
what nobody could have caused on purpose is logged (without a secret); nothing is stored;
and the bot still answers afterwards."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from aiohttp import ClientSession

from tests.conftest import EXAMPLE_VISIT, zipped
from tests.fake_slack import VERIFICATION_TOKEN, event_envelope, sign
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, SECRET, running_slack
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, INSPECTOR_ID, running

CORPUS = Path(__file__).parent / "hostile" / "chat"
SLACK = json.loads((CORPUS / "slack_requests.json").read_text(encoding="utf-8"))["cases"]
TELEGRAM = json.loads((CORPUS / "telegram.json").read_text(encoding="utf-8"))
TEXTS = {case["name"]: "".join(part * times for part, times in case["parts"]) for case in TELEGRAM["texts"]}
CALLBACK_DATA = {case["name"]: case["data"] for case in TELEGRAM["callback_data"]}
STALE = "This button is no longer valid. Please use the latest message."
FAILED = "failed on our side"
# What the bot keeps; inbox and handled-update keys record that a request came, nothing more.
# Refusals are audited (who tried what), so the audit trail is compared without them.
DOMAIN_TABLES = ("visits", "instructions", "notices", "notice_versions", "notice_instructions", "audit_events",
                 "outbox", "pending_inputs", "callback_tokens", "orders")


@pytest.fixture(autouse=True)
def direct(direct_to_fakes) -> None:
    """The fakes listen on 127.0.0.1: no proxy."""


def stored(app) -> dict[str, list]:
    with sqlite3.connect(app.store.path) as db:
        tables = {name: db.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall() for name in DOMAIN_TABLES}
        tables["audit_events"] = db.execute("SELECT * FROM audit_events WHERE action != 'refused' ORDER BY 1").fetchall()
    return tables


async def post_signed(url: str, body: bytes, content_type: str, secret: str | None = SECRET) -> tuple[int, str]:
    """A request with `body` exactly as given, signed as Slack signs (or not signed at all).
    Its timestamp is the wall clock's, not the bot's clock: Bolt refuses a request more than
    five minutes off the real time, as Slack's signature check asks."""
    timestamp = int(time.time())
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp)}
    if secret is not None:
        headers["X-Slack-Signature"] = sign(body, secret, timestamp)
    async with ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


async def send_case(world, case: dict) -> int:
    if case["kind"] == "raw":
        status, _ = await post_signed(world.url, json.dumps(case["payload"]).encode(), "application/json")
    else:
        status, _ = await world.send(case["kind"], case["payload"])
    return status


def secrets_of(world) -> list[str]:
    return [SECRET, world.fake.token, VERIFICATION_TOKEN, "13345224609", "A" * 100]


# --- Slack ----------------------------------------------------------------------------------------


async def test_malformed_or_foreign_slack_requests_are_refused_before_any_listener(config, clock, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with running_slack(config, clock) as world:
        before, calls = stored(world.app), len(world.fake.requests)
        for case in SLACK:
            caplog.clear()
            assert (case["name"], await send_case(world, case)) == (case["name"], case["status"])
            warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert any(case["logged"] in warning for warning in warnings), (case["name"], warnings)
            assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [], case["name"]
            assert not [s for s in secrets_of(world) if s in caplog.text], case["name"]
        await world.settled()
        assert stored(world.app) == before
        # Nothing said, no modal opened, nobody looked up (Bolt's own authorization asks
        # auth.test once, on the first request it sees).
        assert [method for method, _ in world.fake.requests[calls:] if method != "auth.test"] == []

        status, body = await world.send("command", world.fake.slash_command(BUYER, BUYER_CHANNEL, "/followup", "help"))
        assert status == 200 and "/followup status" in body


@pytest.mark.parametrize(("body", "content_type", "signed", "status"), [
    (b"{not json", "application/json", False, 401),
    (b'{"type": "event_callback", "event": {"type": "message", "user": 5}}', "application/json", False, 401),
    (b"payload=%7Bbroken", "application/x-www-form-urlencoded", False, 401),
    (b"\xff\xfe{\x00}", "application/json", False, 400),
    (b"{not json", "application/json", True, 400),
    (b"\xff\xfe{\x00}", "application/json", True, 400),
    (b"payload=%7Bbroken", "application/x-www-form-urlencoded", True, 400),
    (b"[1, 2]", "application/json", True, 400),
    (b'{"type": "event_callback", "event": {"type": "message", "user": 5, "channel": "D1", "ts": "1"}}',
     "application/json", True, 400),
    (b'{"type": "block_actions", "user": 5, "actions": 7}', "application/json", True, 400),
])
async def test_a_body_bolt_could_not_read_is_refused_without_a_traceback(config, clock, caplog, body, content_type,
                                                                        signed, status) -> None:
    """Bolt reads a body before it checks the signature; a number where it expects an object
    used to end in a 500 and a traceback, signed or not."""
    caplog.set_level(logging.INFO)
    async with running_slack(config, clock) as world:
        before = stored(world.app)
        assert (await post_signed(world.url, body, content_type, SECRET if signed else None))[0] == status
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert any("refused" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
        assert stored(world.app) == before


async def test_a_factory_contact_of_another_organisation_in_slack_connect_is_served(config, clock) -> None:
    """In a Slack Connect channel the factory's people belong to their own organisation;
    the request is still for our installation (authorizations), so it is answered."""
    async with running_slack(config, clock) as world:
        event = world.fake.app_mention_event(FACTORY, FACTORY_CHANNEL, "help")
        event.update(user_team="T0FACTORYORG", source_team="T0FACTORYORG", team="T0FACTORYORG")
        envelope = {**event_envelope(event), "is_ext_shared_channel": True}
        status, _ = await post_signed(world.url, json.dumps(envelope).encode(), "application/json")
        assert status == 200
        answers = await world.fake.wait_for(lambda: [m for m in world.channel(FACTORY_CHANNEL) if m.from_bot])
        assert "/followup" in answers[0].text


async def test_a_configured_workspace_the_token_does_not_belong_to_stops_the_start(config, clock, monkeypatch) -> None:
    from tests import slack_world

    original = slack_world.slack_config

    def other_team(cfg, port):
        configured = original(cfg, port)
        return configured.model_copy(update={"slack": configured.slack.model_copy(update={"team_id": "T0OTHER"})})

    monkeypatch.setattr(slack_world, "slack_config", other_team)
    with pytest.raises(RuntimeError, match=r"\[slack\] team_id is T0OTHER, but the bot token belongs to workspace"):
        async with running_slack(config, clock):
            pass


# --- Telegram -------------------------------------------------------------------------------------


async def post_example(world) -> None:
    await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", zipped(EXAMPLE_VISIT))
    await world.fake.wait_for(lambda: any("posted" in (m.text or "") for m in world.chat(INSPECTOR_ID)))
    await world.settled()


async def answers(world, text: str) -> str:
    """What the buyer reads after saying `text` in their private chat with the bot."""
    before = len(world.chat(BUYER_CHAT))
    send = world.fake.send_command if text.startswith("/") else world.fake.send_text
    await send(BUYER_CHAT, world.buyer, text)
    await world.fake.wait_for(lambda: len(world.chat(BUYER_CHAT)) > before, timeout=30)  # a chart takes its time
    await world.settled()
    return "\n".join(m.plain for m in world.chat(BUYER_CHAT)[before:])


async def test_hostile_texts_and_forged_taps_change_nothing_and_the_bot_answers_after(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        f1 = world.finding("F1")
        before = stored(world.app)

        for name, text in TEXTS.items():
            # A private chat: always answered. The fake refuses invalid HTML and over-long
            # text, so an answer that arrived is a valid one.
            answer = await answers(world, text)
            assert answer.strip() and FAILED not in answer, name
            await world.fake.send_text(FACTORY_CHAT, world.factory, text)  # a group: talk, unless a question
            await world.settled()
        assert not [m for m in world.chat(FACTORY_CHAT) + world.chat(BUYER_CHAT) if FAILED in m.plain]

        for name, data in CALLBACK_DATA.items():
            assert (name, await world.tap_data(world.buyer, BUYER_CHAT, f1.message_id, data)) == (name, STALE)
        refused = await world.tap(world.factory, BUYER_CHAT, f1, "Approve")  # another person's button
        assert refused == "抱歉，您的角色（工厂联系人）无权执行此操作。"
        assert stored(world.app) == before

        approve = f1.buttons["Approve"]
        assert await world.tap(world.buyer, BUYER_CHAT, f1, "Approve") == "Approved."
        again = await world.tap_data(world.buyer, BUYER_CHAT, f1.message_id, approve)  # the button since removed
        assert again.startswith("Already approved by Anna Schmidt")

        assert "Status: AT RISK" in await answers(world, "/status PO-2026-0142")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_an_update_that_is_not_utf8_is_refused_at_the_webhook_and_the_next_one_is_answered(
    config, clock
) -> None:
    port = free_port()
    settings = {"mode": "webhook", "public_url": f"http://127.0.0.1:{port}", "listen": "127.0.0.1", "port": port,
                "webhook_path": "/telegram"}
    async with running(config, clock, **settings) as world:
        hook = world.fake.webhook
        update = await world.fake.send_text(BUYER_CHAT, world.buyer, "status PO-2026-0142")
        raw = json.dumps(update).encode().replace(b"PO-2026-0142", b"PO-\xff\xfe\xc0\x80")
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": hook.secret_token}
        async with ClientSession() as session, session.post(hook.url, data=raw, headers=headers) as response:
            assert response.status != 500
        await asyncio.sleep(0.2)
        assert world.chat(BUYER_CHAT) == []
        with sqlite3.connect(world.app.store.path) as db:
            assert db.execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,)

        assert (await world.fake.post_to_webhook(update))[0] == 200
        answer = await world.fake.wait_for(lambda: world.chat(BUYER_CHAT))
        assert "PO-2026-0142" in answer[0].plain
