"""The outbox: what the bot owes people is written with the change that causes it and
delivered afterwards.

Why: a chat platform can be down, slow or refuse one message, and the process can die
between committing a change and sending its messages. The buyer must still get every
message exactly once when the bot comes back, one bad message must not hold up the rest,
and a message sent late must show how things stand when it is sent, not when it was owed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator

import pytest

from bot.app import App, build_app
from bot.config import Config
from handlers.commands import ApproveInstruction, PostVisit
from handlers.model import InstructionState, OutgoingMessage, Platform, Role
from handlers.views import View
from storage.sqlite import path_from_url
from tests.conftest import actor, example_report
from tests.fakes import FakeClock, RecordingConsole, Transcript


class FlakyConsole(RecordingConsole):
    """A console whose platform refuses every message of the `broken` kinds."""

    def __init__(self, transcript: Transcript, broken: set[str]):
        super().__init__(transcript)
        self.broken = broken

    async def deliver(self, message: OutgoingMessage, view: View) -> str | None:
        if message.kind in self.broken:
            raise ConnectionError("console unplugged")
        return await super().deliver(message, view)


async def post_example_visit(app: App, config: Config) -> int:
    report, photos = example_report(config)
    reply = await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    assert reply.ok, reply
    return reply.params["visit_id"]


def items_with_a_message(config: Config) -> list[str]:
    """Every finding, and every material or packaging check with a proposed instruction."""
    report, _ = example_report(config)
    return (
        [f"findings.{i}" for i, _ in enumerate(report.findings)]
        + [f"materials.{i}" for i, m in enumerate(report.materials) if m.instruction]
        + [f"packaging.checks.{i}" for i, c in enumerate(report.packaging.checks) if c.instruction]
    )


async def pending(app: App) -> list[OutgoingMessage]:
    async with app.store.unit_of_work() as uow:
        return await uow.outbox.pending()


def outbox_rows(config: Config) -> list[sqlite3.Row]:
    """The outbox as stored, with the columns the repository does not hand out (last_error)."""
    path = path_from_url(config.storage.url)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute("SELECT * FROM outbox ORDER BY id"))


def printed_messages(transcript: Transcript) -> list[str]:
    """What the console printed, one message per entry, without the envelope line."""
    return [block.split("\n", 1)[1] for block in transcript.text.split("┌─ to ")[1:]]


def printed_item(transcript: Transcript, label: str) -> str:
    (found,) = [m for m in printed_messages(transcript) if m.startswith(f"[{label}]")]
    return found


def buttons_of(message: str) -> list[str]:
    """The labels of the numbered buttons on a printed message's last line."""
    return re.findall(r"\[\d+\] ([^\[]+?)(?=\s{2}|$)", message.rstrip().splitlines()[-1].strip())


async def test_posting_a_visit_owes_the_buyer_a_summary_and_a_message_per_item(
    app: App, config: Config, clock: FakeClock, transcript: Transcript
) -> None:
    sources = items_with_a_message(config)
    assert len(sources) == 7  # 3 findings, the substituted base pad, 3 packaging checks

    visit_id = await post_example_visit(app, config)

    owed = await pending(app)
    assert [(m.platform, m.destination, m.kind) for m in owed] == [
        (Platform.CONSOLE, "buyer", "visit_summary"),
        *[(Platform.CONSOLE, "buyer", "finding")] * len(sources),
    ]
    assert owed[0].payload == {"visit_id": visit_id}
    assert [m.payload["source"] for m in owed[1:]] == sources

    clock.advance(seconds=5)
    delivered = await app.dispatcher.deliver_pending()

    assert delivered == 1 + len(sources)
    assert app.console.kinds() == [("buyer", "visit_summary"), *[("buyer", "finding")] * len(sources)]
    assert await pending(app) == []
    assert {row["sent_at"] for row in outbox_rows(config)} == {"2026-11-24T11:00:05.000000+00:00"}
    printed = printed_messages(transcript)
    assert printed[0].startswith("━━ Visit findings · PO-2026-0142 ━━")
    assert [m.split("]")[0] + "]" for m in printed[1:]] == ["[F1]", "[F2]", "[F3]", "[M3]", "[P1]", "[P2]", "[P3]"]


async def test_the_outbox_survives_a_restart_between_commit_and_delivery(config: Config, clock: FakeClock) -> None:
    before_crash = RecordingConsole(Transcript())
    first = await build_app(config, clock, before_crash)
    await post_example_visit(first, config)
    await first.close()  # the process dies before delivering anything

    after_restart = RecordingConsole(Transcript())
    second = await build_app(config, clock, after_restart)
    try:
        delivered = await second.dispatcher.deliver_pending()
        delivered_again = await second.dispatcher.deliver_pending()
    finally:
        await second.close()

    owed_ids = [row["id"] for row in outbox_rows(config)]
    assert before_crash.delivered == []
    assert (delivered, delivered_again) == (len(owed_ids), 0)
    assert sorted(m.id for m, _ in after_restart.delivered) == owed_ids  # each exactly once
    assert all(row["sent_at"] is not None for row in outbox_rows(config))


@pytest.fixture
async def flaky_app(config: Config, clock: FakeClock) -> AsyncIterator[App]:
    built = await build_app(config, clock, FlakyConsole(Transcript(), broken={"visit_summary"}))
    yield built
    await built.close()


async def test_a_message_the_platform_refuses_holds_back_the_later_ones_to_that_chat(
    flaky_app: App, config: Config
) -> None:
    """A chat must read its messages in order: the findings wait for their summary."""
    await post_example_visit(flaky_app, config)

    delivered = await flaky_app.dispatcher.deliver_pending()

    assert delivered == 0
    assert flaky_app.console.kinds() == []
    stuck = await pending(flaky_app)
    assert [(m.kind, m.attempts) for m in stuck][:2] == [("visit_summary", 1), ("finding", 0)]
    assert len(stuck) == 1 + len(items_with_a_message(config))
    assert outbox_rows(config)[0]["last_error"] == "ConnectionError: console unplugged"

    assert await flaky_app.dispatcher.deliver_pending() == 0
    assert [m.attempts for m in await pending(flaky_app)][0] == 2


async def test_a_refused_message_goes_out_once_the_platform_takes_it_again_and_the_rest_follow(
    flaky_app: App, config: Config
) -> None:
    await post_example_visit(flaky_app, config)
    await flaky_app.dispatcher.deliver_pending()

    flaky_app.console.broken.clear()
    delivered = await flaky_app.dispatcher.deliver_pending()

    assert delivered == 1 + len(items_with_a_message(config))
    assert flaky_app.console.kinds()[0] == ("buyer", "visit_summary")
    assert await pending(flaky_app) == []


async def test_a_finding_delivered_after_the_buyer_approved_it_shows_it_approved(
    app: App, config: Config, clock: FakeClock, transcript: Transcript
) -> None:
    visit_id = await post_example_visit(app, config)
    async with app.store.unit_of_work() as uow:
        first = (await uow.instructions.for_visit(visit_id))[0]
    clock.advance(minutes=3)
    approved = await app.bus.handle(ApproveInstruction(first.id), actor(config, Role.BUYER))
    assert approved.ok

    await app.dispatcher.deliver_pending()

    (view,) = [v for m, v in app.console.delivered if m.kind == "finding" and m.payload["source"] == first.source]
    assert view.item.instruction.state is InstructionState.APPROVED
    f1 = printed_item(transcript, "F1")
    assert "Decision: approved — Anna Schmidt, 24 Nov 2026, 12:03 CET" in f1
    assert buttons_of(f1) == ["Edit"]
    f2 = printed_item(transcript, "F2")
    assert "Decision: awaiting decision" in f2
    assert buttons_of(f2) == ["Approve", "Edit", "Reject"]
