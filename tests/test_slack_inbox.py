"""What Slack sent is never lost and acts once: each request a listener runs for is stored before
Bolt acknowledges it, handled again at the next start if the bot stopped before its listener was
done, and a second delivery of it is dropped. (tests/test_crash_recovery_slack.py kills a real
bot process; these check the same promises in one process, quickly.)"""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler

from bot.slack.inbox import kept_body, request_key
from handlers.model import InstructionState, Platform
from tests.conftest import bundle_of, one_finding
from tests.fake_slack import post_to_app
from tests.slack_world import BUYER, BUYER_CHANNEL, SECRET, SlackWorld, running_slack
from tests.test_slack_more import ephemerals_to, post

pytestmark = pytest.mark.usefixtures("direct_to_fakes")


async def stored_unhandled(world: SlackWorld, body: dict) -> None:
    """The request as the bot keeps it on arrival, left unhandled: the bot died after Slack was
    told it arrived and before its listener was done."""
    key = request_key(body)
    async with world.app.store.unit_of_work() as uow:
        await uow.inbox.add_keyed(Platform.SLACK, key, {"key": key, "body": kept_body(body)}, world.app.bus.clock.now())
        await uow.commit()


def click(world: SlackWorld, label: str, trigger_id: str | None = None) -> dict:
    finding = world.finding("F1")
    action_id = next(a for text, a in finding.buttons.items() if label in text)
    return world.fake.block_action(BUYER, BUYER_CHANNEL, finding.ts, action_id, trigger_id=trigger_id)


def rows(world: SlackWorld, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(world.app.store.path) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql).fetchall()


async def test_a_click_stored_before_a_crash_is_handled_at_the_next_start_and_its_retry_is_dropped(
        config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        approve = click(world, "Approve")
        await stored_unhandled(world, approve)

        status, _ = await post_to_app(world.url, "interactive", approve, SECRET)  # delivered again: dropped
        assert status == 200
        async with world.app.store.unit_of_work() as uow:
            (instruction,) = await uow.instructions.for_visit((await uow.visits.latest_per_order())[0].id)
        assert instruction.state is InstructionState.PROPOSED

        await world.runtime.listeners.inbox.replay(world.runtime.bolt)
        await world.settled()

        assert "Decision: approved — Anna Schmidt" in world.finding("F1").text
        assert [r["times"] for r in rows(world, "SELECT COUNT(*) AS times FROM audit_events WHERE action = 'approve'")] == [1]
        assert rows(world, "SELECT * FROM inbox WHERE platform = 'slack' AND handled_at IS NULL") == []


async def test_a_click_is_kept_with_what_is_read_of_its_message_and_without_what_the_message_shows(
        config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        approve = click(world, "Approve")
        assert (await post_to_app(world.url, "interactive", approve, SECRET))[0] == 200
        await world.settled()

        (kept,) = [json.loads(r["payload"])["body"] for r in rows(world, "SELECT payload FROM inbox")
                   if json.loads(r["payload"])["key"] == request_key(approve)]
        assert approve["message"]["blocks"] and approve["message"]["text"]
        assert kept["message"] == {name: value for name, value in approve["message"].items()
                                   if name not in ("blocks", "text", "attachments", "files")}
        assert kept["message"]["ts"] == approve["message"]["ts"]
        assert {name: value for name, value in kept.items() if name != "message"} == {
            name: value for name, value in approve.items() if name not in ("message", "token")}


async def test_a_click_is_answered_once_stored_before_its_listener_has_begun(
        config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        runner = world.runtime.bolt.listener_runner
        go_on = asyncio.Event()

        class Held(AsyncListenerStartHandler):
            async def handle(self, request, response) -> None:
                await go_on.wait()

        runner.listener_start_handler = Held()
        approve = click(world, "Approve")
        assert (await post_to_app(world.url, "interactive", approve, SECRET))[0] == 200

        stored = rows(world, "SELECT json_extract(payload, '$.key') AS key, handled_at FROM inbox"
                             " WHERE platform = 'slack'")
        assert [r["handled_at"] for r in stored if r["key"] == request_key(approve)] == [None]
        go_on.set()
        await world.settled()
        assert "Decision: approved — Anna Schmidt" in world.finding("F1").text


async def test_a_form_click_handled_after_slack_let_its_trigger_go_asks_to_press_again(
        config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        await stored_unhandled(world, click(world, "Edit", trigger_id="1.2.expired-long-ago"))

        await world.runtime.listeners.inbox.replay(world.runtime.bolt)
        await world.settled()

        assert world.fake.views == []
        assert ephemerals_to(world, BUYER_CHANNEL, BUYER) == [
            "The bot was restarting when you pressed that button, so its form could not open. Please press it again."]
        assert rows(world, "SELECT * FROM inbox WHERE platform = 'slack' AND handled_at IS NULL") == []


async def test_every_accepted_request_is_stored_once_and_handled_and_the_rest_are_not_stored(
        config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        mention = world.fake.app_mention_event(BUYER, BUYER_CHANNEL, "status PO-2026-0142")
        assert (await world.event(mention, event_id="Ev0MENTION1"))[0] == 200
        assert (await world.event(mention, event_id="Ev0MENTION1", retry_num=1))[0] == 200
        assert (await world.send("interactive", world.fake.shortcut(BUYER, "nothing_listens")))[0] == 404

        stored = rows(world, "SELECT json_extract(payload, '$.key') AS key, handled_at FROM inbox"
                             " WHERE platform = 'slack' ORDER BY update_id")
        assert [r["key"] for r in stored].count("event:Ev0MENTION1") == 1
        assert all(r["handled_at"] for r in stored)
        assert not any("token" in r["key"] for r in stored)
        bodies = rows(world, "SELECT payload FROM inbox WHERE platform = 'slack'")
        assert all('"token"' not in r["payload"] for r in bodies)  # Slack's verification token is not kept
        answers = [m for m in world.channel(BUYER_CHANNEL) if m.thread_ts == mention["ts"] and not m.files]
        assert len(answers) == 1
