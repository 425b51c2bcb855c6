"""The outbox: what the bot owes people is written with the change that causes it and
delivered afterwards.

Why: a chat platform can be down, slow or refuse one message, and the process can die
between committing a change and sending its messages. The buyer must still get every
message exactly once when the bot comes back, one bad message must not hold up the rest,
and a message sent late must show how things stand when it is sent, not when it was owed.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.app import App, build_app
from bot.config import Config
from bot.outbox.backoff import Backoff
from bot.outbox.dispatcher import LEASE
from bot.outbox.failures import Permanent, Reason, Transient
from bot.outbox.replica import Replica
from handlers.commands import AcknowledgeNotice, ApproveInstruction, PostVisit
from handlers.delivery import requeue
from handlers.model import InstructionState, OutgoingMessage, Platform, Role
from storage.sqlite import path_from_url
from tests.conftest import actor, approve_and_send, example_report
from tests.fakes import FakeClock, FlakyConsole, RecordingConsole, Transcript


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
    built.dispatcher.backoff = Backoff(random=lambda: 1.0)  # the longest wait of each step, every time
    yield built
    await built.close()


async def test_a_message_the_platform_refuses_holds_back_the_later_ones_to_that_chat(
    flaky_app: App, config: Config, clock: FakeClock
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

    assert await flaky_app.dispatcher.deliver_pending() == 0  # not yet: it waits 2 s first
    assert [m.attempts for m in await pending(flaky_app)][0] == 1
    clock.advance(seconds=2)
    assert await flaky_app.dispatcher.deliver_pending() == 0
    assert [m.attempts for m in await pending(flaky_app)][0] == 2


async def test_a_refused_message_goes_out_once_the_platform_takes_it_again_and_the_rest_follow(
    flaky_app: App, config: Config, clock: FakeClock
) -> None:
    await post_example_visit(flaky_app, config)
    await flaky_app.dispatcher.deliver_pending()

    flaky_app.console.broken.clear()
    clock.advance(seconds=2)
    delivered = await flaky_app.dispatcher.deliver_pending()

    assert delivered == 1 + len(items_with_a_message(config))
    assert flaky_app.console.kinds()[0] == ("buyer", "visit_summary")
    assert await pending(flaky_app) == []


async def test_retries_wait_twice_as_long_each_time_up_to_ten_minutes(
    flaky_app: App, config: Config, clock: FakeClock
) -> None:
    await post_example_visit(flaky_app, config)
    seen = []
    for _ in range(11):
        await flaky_app.dispatcher.deliver_pending()
        row = outbox_rows(config)[0]
        wait = datetime.fromisoformat(row["next_attempt_at"]) - clock.now()
        seen.append(wait.total_seconds())
        clock.advance(seconds=wait.total_seconds())

    assert seen == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    assert outbox_rows(config)[0]["attempts"] == 11


def test_the_wait_is_jittered_between_half_and_all_of_the_step() -> None:
    assert Backoff(random=lambda: 0.0).delay(3) == timedelta(seconds=4)
    assert Backoff(random=lambda: 0.5).delay(3) == timedelta(seconds=6)
    assert Backoff(random=lambda: 1.0).delay(3) == timedelta(seconds=8)
    assert Backoff(random=lambda: 1.0).delay(40) == timedelta(minutes=10)


async def test_the_platforms_own_retry_after_is_honoured_exactly(
    flaky_app: App, config: Config, clock: FakeClock
) -> None:
    flaky_app.console.broken.clear()
    flaky_app.console.fail(Transient("429 Too Many Requests", retry_after=37), kind="visit_summary", times=1)
    await post_example_visit(flaky_app, config)

    await flaky_app.dispatcher.deliver_pending()
    clock.advance(seconds=36)
    assert await flaky_app.dispatcher.deliver_pending() == 0
    clock.advance(seconds=1)

    assert await flaky_app.dispatcher.deliver_pending() == 1 + len(items_with_a_message(config))
    assert flaky_app.console.kinds()[0] == ("buyer", "visit_summary")


# --- messages that cannot be delivered ---------------------------------------------------

FACTORY = "factory NB-EVERGREEN"  # the factory's console destination


async def send_the_notice(app: App, config: Config, visit_id: int) -> int:
    notice_id = await approve_and_send(app, config, visit_id)
    await app.dispatcher.deliver_pending()
    return notice_id


def row_of_kind(config: Config, kind: str) -> sqlite3.Row:
    (row,) = [r for r in outbox_rows(config) if r["kind"] == kind]
    return row


def alerts(transcript: Transcript) -> list[str]:
    return [m for m in printed_messages(transcript) if m.startswith("⚠ ")]


@pytest.fixture
async def factory_gone(flaky_app: App, config: Config) -> tuple[App, int]:
    """The factory's chat no longer exists: everything sent there fails for good. Returns
    the app and the visit posted."""
    flaky_app.console.broken.clear()
    flaky_app.console.fail(Permanent(Reason.CHAT_NOT_FOUND, "Bad Request: chat not found"), destination=FACTORY)
    visit_id = await post_example_visit(flaky_app, config)
    await flaky_app.dispatcher.deliver_pending()
    return flaky_app, visit_id


async def test_a_notice_to_a_chat_that_is_gone_fails_for_good_and_the_buyer_is_told_why(
    factory_gone: App, config: Config, clock: FakeClock
) -> None:
    app, visit_id = factory_gone
    await send_the_notice(app, config, visit_id)

    failed = row_of_kind(config, "notice")
    assert (failed["failure_reason"], failed["attempts"], failed["sent_at"]) == ("chat_not_found", 1, None)
    assert failed["last_error"] == "Bad Request: chat not found"
    (alert,) = alerts(app.console.transcript)
    assert alert.splitlines() == [
        "⚠ Not delivered: corrective notice CN-2026-0001 to Ningbo Evergreen Homeware Co., Ltd.",
        f"    Where: console {FACTORY}",
        "    Reason: the chat does not exist, or the bot is not in it",
        "    Later messages to this chat wait until this one is sent.",
        f"    Once the cause is fixed, an operator resends it with: followup outbox retry {failed['id']}",
    ]
    async with app.store.unit_of_work() as uow:
        (event,) = await uow.audit.for_entity("outbox", failed["id"])
    assert (event.actor, event.action, event.after["reason"]) == ("system:outbox", "delivery_failed", "chat_not_found")
    assert event.after["destination"] == FACTORY

    clock.advance(hours=30)
    await app.dispatcher.deliver_pending()
    assert row_of_kind(config, "notice")["attempts"] == 1  # never tried again by itself


async def test_later_messages_to_that_chat_wait_behind_it_and_follow_once_it_is_resent(
    factory_gone: App, config: Config, clock: FakeClock
) -> None:
    app, visit_id = factory_gone
    notice_id = await send_the_notice(app, config, visit_id)
    answered = await app.bus.handle(AcknowledgeNotice(notice_id), actor(config, Role.FACTORY))
    assert answered.ok
    await app.dispatcher.deliver_pending()

    assert ("buyer", "notice_answered") in app.console.kinds()  # other chats carry on
    async with app.store.unit_of_work() as uow:
        states = {o.message.kind: o.state for o in await uow.outbox.owed(clock.now())}
    assert states == {"notice": "failed", "notice_closed": "held"}
    assert len(alerts(app.console.transcript)) == 1  # one alert, not one per held message

    app.console.faults.clear()  # someone added the bot to the chat again
    async with app.store.unit_of_work() as uow:
        await requeue(uow, clock.now(), row_of_kind(config, "notice")["id"], "admin:operator")
        await uow.commit()
    await app.dispatcher.deliver_pending()

    assert [k for d, k in app.console.kinds() if d == FACTORY] == ["notice", "notice_closed"]
    assert all(row["sent_at"] for row in outbox_rows(config))


async def test_a_message_refused_for_its_content_does_not_hold_up_the_chat(
    flaky_app: App, config: Config
) -> None:
    app = flaky_app
    app.console.broken.clear()
    app.console.fail(Permanent(Reason.REJECTED, "Bad Request: message is too long"), kind="notice")
    notice_id = await approve_and_send(app, config, await post_example_visit(app, config))
    assert (await app.bus.handle(AcknowledgeNotice(notice_id), actor(config, Role.FACTORY))).ok
    await app.dispatcher.deliver_pending()  # one round: the notice is refused, what follows goes on

    assert [k for d, k in app.console.kinds() if d == FACTORY] == ["notice_closed"]
    (alert,) = alerts(app.console.transcript)
    assert "Reason: the platform refused this message" in alert
    assert "wait" not in alert


async def test_the_buyer_reads_the_alert_in_their_language(config: Config, clock: FakeClock) -> None:
    people = tuple(p.model_copy(update={"locale": "zh_Hans_CN"}) if p.role is Role.BUYER else p for p in config.people)
    console = FlakyConsole(Transcript())
    console.fail(Permanent(Reason.BOT_BLOCKED, "Forbidden: bot was blocked by the user"), destination=FACTORY)
    app = await build_app(config.model_copy(update={"people": people}), clock, console)
    try:
        await send_the_notice(app, config, await post_example_visit(app, config))
        (alert,) = alerts(console.transcript)
    finally:
        await app.close()
    assert alert.splitlines()[0] == "⚠ 未送达：整改通知书CN-2026-0001（发往Ningbo Evergreen Homeware Co., Ltd.）"
    assert "原因：对方已屏蔽机器人" in alert


async def test_a_message_for_the_buyer_with_no_other_chat_that_fails_for_good_is_logged_not_alerted(
    flaky_app: App, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    """An alert about the buyer's only chat would go to that chat and fail again: no loop.
    (With a chat on another platform the buyer is told there: test_delivery_telegram.)"""
    app = flaky_app
    app.console.broken.clear()
    app.console.fail(Permanent(Reason.BOT_BLOCKED, "Forbidden: bot was blocked by the user"), destination="buyer")
    await post_example_visit(app, config)
    await app.dispatcher.deliver_pending()

    assert [r["kind"] for r in outbox_rows(config)].count("delivery_failed") == 0
    assert row_of_kind(config, "visit_summary")["failure_reason"] == "bot_blocked"
    assert "failed permanently, bot_blocked" in caplog.text and "nobody to alert" in caplog.text


async def test_a_buyer_whose_only_chat_fails_is_alerted_privately_on_their_other_platform_once(
    config: Config, clock: FakeClock
) -> None:
    """No buyer's chat on Telegram, but the buyer's Telegram account is in the config: the alert
    goes to their private chat there, once for the failed message, none for those held behind it."""
    people = tuple(p.model_copy(update={"telegram_user_id": 111}) if p.role is Role.BUYER else p
                   for p in config.people)
    console = FlakyConsole(Transcript())
    console.fail(Permanent(Reason.BOT_BLOCKED, "Forbidden: bot was blocked by the user"), destination="buyer")
    app = await build_app(config.model_copy(update={"people": people}), clock, console)
    try:
        await post_example_visit(app, config)
        await app.dispatcher.deliver_pending()
        await app.dispatcher.deliver_pending()
    finally:
        await app.close()

    sent = [(r["platform"], r["destination"], r["locale"]) for r in outbox_rows(config) if r["kind"] == "delivery_failed"]
    assert sent == [("telegram", "111", "en_GB")]  # in the buyer's language
    assert row_of_kind(config, "visit_summary")["failure_reason"] == "bot_blocked"


async def test_after_a_day_of_transient_failures_the_message_is_given_up_and_the_buyer_told(
    flaky_app: App, config: Config, clock: FakeClock
) -> None:
    app = flaky_app
    app.console.broken.clear()
    app.console.fail(Transient("NetworkError: Bad Gateway"), destination=FACTORY)
    await send_the_notice(app, config, await post_example_visit(app, config))
    started = clock.now()

    while row_of_kind(config, "notice")["failed_at"] is None:
        clock.advance(minutes=10)
        await app.dispatcher.deliver_pending()

    failed = row_of_kind(config, "notice")
    assert failed["failure_reason"] == "gave_up"
    tried_for = datetime.fromisoformat(failed["failed_at"]) - started
    assert timedelta(hours=24) <= tried_for <= timedelta(hours=24, minutes=20)
    (alert,) = alerts(app.console.transcript)
    assert "Reason: the platform could not be reached for 24 hours" in alert


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
    assert buttons_of(f1) == ["Edit", "Reject"]
    f2 = printed_item(transcript, "F2")
    assert "Decision: awaiting decision" in f2
    assert buttons_of(f2) == ["Approve", "Edit", "Reject"]


async def test_claims_of_a_process_that_is_gone_are_released_at_once_others_wait_out_their_lease(
    app: App, config: Config, clock: FakeClock
) -> None:
    """A bot killed mid-send leaves its claim; the next one on the same machine (or container:
    the same pid, started at another moment) sees that process is gone and sends the message
    at once. A live replica's claim, or one from another machine, is left to run out."""
    here = Replica.this_process()
    dead_predecessor = dataclasses.replace(here, started="1", nonce="dead00")  # pid 1 again, as in a container
    live_sibling = dataclasses.replace(here, nonce="alive0")
    elsewhere = dataclasses.replace(here, place="other-host/pid:[4026531836]", nonce="far000")
    assert Replica.parse(str(elsewhere)) == elsewhere and Replica.parse("replica-a") is None
    await post_example_visit(app, config)

    for claimant in (live_sibling, elsewhere):
        await claim_head(app, str(claimant), clock.now() + LEASE)
        assert await app.dispatcher.deliver_pending() == 0
        clock.advance(seconds=LEASE.total_seconds())

    await claim_head(app, str(dead_predecessor), clock.now() + LEASE)
    assert await app.dispatcher.deliver_pending() == 1 + len(items_with_a_message(config))


async def claim_head(app: App, claimant: str, until: datetime) -> None:
    async with app.store.unit_of_work() as uow:
        assert await uow.outbox.claim_next([Platform.CONSOLE], app.bus.clock.now(), claimant, until)
        await uow.commit()
