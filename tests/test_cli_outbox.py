"""`followup outbox`: an operator sees what the bot still owes, and why, and sends a failed
message again once the cause is fixed.

Why: a notice that never reached the factory is found by the buyer's alert; the operator who
fixes the chat needs the message's id, the reason and what waits behind it, and one command
to resume — with the chat's order kept.
"""

from __future__ import annotations

import getpass
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import App, build_app
from bot.cli.followup import main
from bot.cli.outbox import report
from bot.config import Config
from bot.outbox.failures import Permanent, Reason, Transient
from handlers.commands import AcknowledgeNotice
from handlers.model import OutgoingMessage, Platform, Role
from storage.outbox import Owed
from tests.conftest import actor, approve_and_send, example_config_file, outbox_table, post_example
from tests.fakes import FakeClock, FlakyConsole, Transcript

FACTORY = "factory NB-EVERGREEN"


@pytest.fixture
def toml(config: Config, tmp_path: Path) -> Path:
    """The example configuration, on the test's database."""
    return example_config_file(tmp_path / "followup.toml", config.storage.url)


@pytest.fixture
async def owed(config: Config) -> App:
    """The factory's chat is gone (its notice failed, the notice's closing waits behind it) and
    the buyer's chat rate-limits the news that the factory answered. The clock is the real
    one's now: the CLI reads the store with the system clock."""
    console = FlakyConsole(Transcript())
    console.fail(Permanent(Reason.CHAT_NOT_FOUND, "Bad Request: chat not found"), destination=FACTORY)
    console.fail(Transient("429 Too Many Requests", retry_after=3600), kind="notice_answered")
    app = await build_app(config, FakeClock(datetime.now(UTC)), console)
    notice_id = await approve_and_send(app, config, await post_example(app, config))
    assert (await app.bus.handle(AcknowledgeNotice(notice_id), actor(config, Role.FACTORY))).ok
    await app.dispatcher.deliver_pending()
    await app.close()
    return app


def ids(app: App) -> dict[str, int]:
    return {row["kind"]: row["id"] for row in outbox_table(app)}


def test_the_operator_sees_what_failed_why_what_waits_behind_it_and_what_is_retried(
    owed: App, toml: Path
) -> None:
    result = CliRunner().invoke(main, ["outbox", "--config", str(toml)])

    assert result.exit_code == 0, result.output
    by_id = ids(owed)
    lines = result.output.splitlines()
    assert lines[0] == "4 messages owed: 1 failed, 1 held, 1 retrying, 1 pending"
    failed = next(line for line in lines if line.strip().startswith(f"{by_id['notice']} "))
    assert "failed" in failed and FACTORY in failed and "chat_not_found: Bad Request: chat not found" in failed
    held = next(line for line in lines if line.strip().startswith(f"{by_id['notice_closed']} "))
    assert "held" in held and held.endswith(f"behind {by_id['notice']}")
    retrying = next(line for line in lines if line.strip().startswith(f"{by_id['notice_answered']} "))
    assert "retrying" in retrying and "next attempt" in retrying and "(429 Too Many Requests)" in retrying


def test_a_failed_message_is_requeued_and_the_ones_behind_it_follow(owed: App, toml: Path) -> None:
    by_id = ids(owed)
    runner = CliRunner()

    held = runner.invoke(main, ["outbox", "retry", str(by_id["notice_closed"]), "--config", str(toml)])
    assert held.exit_code == 1
    assert f"waits behind message {by_id['notice']}; requeue that one" in held.output

    requeued = runner.invoke(main, ["outbox", "--config", str(toml), "retry", str(by_id["notice"])])
    assert requeued.exit_code == 0, requeued.output
    assert requeued.output.startswith(f"message {by_id['notice']} (notice to {FACTORY} on console) requeued")

    after = {row["id"]: row for row in outbox_table(owed)}
    assert (after[by_id["notice"]]["failed_at"], after[by_id["notice"]]["attempts"]) == (None, 0)
    with sqlite3.connect(owed.store.path) as db:
        trail = db.execute("SELECT actor, action, before FROM audit_events WHERE entity = 'outbox' AND entity_id = ?"
                           " ORDER BY id", (str(by_id["notice"]),)).fetchall()
    assert trail == [("system:outbox", "delivery_failed", None),
                     (f"operator:{getpass.getuser()}", "delivery_requeued",
                      '{"reason": "chat_not_found", "state": "failed"}')]
    listing = runner.invoke(main, ["outbox", "--config", str(toml)]).output
    assert listing.splitlines()[0] == "4 messages owed: 1 retrying, 3 pending"  # notice_closed is free too


def test_requeueing_a_message_that_was_sent_or_never_existed_is_refused(owed: App, toml: Path) -> None:
    sent = ids(owed)["visit_summary"]
    runner = CliRunner()

    assert "was sent at" in runner.invoke(main, ["outbox", "retry", str(sent), "--config", str(toml)]).output
    missing = runner.invoke(main, ["outbox", "retry", "9999", "--config", str(toml)])
    assert (missing.exit_code, "there is no message 9999" in missing.output) == (1, True)


def test_nothing_owed_is_said_plainly(toml: Path) -> None:
    result = CliRunner().invoke(main, ["outbox", "--config", str(toml)])
    assert (result.exit_code, result.output) == (0, "Nothing owed: every message is delivered.\n")


@pytest.mark.parametrize(("platform", "running", "why"), [
    (Platform.WECOM, {Platform.CONSOLE},
     "waits: robots post only under `followup run` (the console and the demo do not)"),
    (Platform.FEISHU, set(),
     "waits: no bot is running; robots post only under `followup run` (the console and the demo do not)"),
    (Platform.EMAIL, {Platform.CONSOLE, Platform.TELEGRAM},
     "waits: mail goes out only under `followup run` with [smtp] set (the console and the demo do not)"),
    (Platform.WECOM, {Platform.WECOM}, ""),
])
def test_a_robot_or_mail_message_waiting_under_the_console_says_it_waits_for_followup_run(
        platform: Platform, running: set[Platform], why: str) -> None:
    message = OutgoingMessage(platform, "NB-EVERGREEN", "notice", {"notice_id": 1}, "zh_Hans_CN", id=7)
    owed = Owed(message, "pending", None, None, None, None, None)
    assert report([owed], running)[-1].endswith(why), report([owed], running)[-1]
