"""The bot SIGKILLed while it mails a factory, then started again: each outbox message is one
mail in the factory's mailbox. A kill after the server took the mail but before the bot
recorded it sends it again on restart, with the same Message-ID, so the mailbox (which shows
one mail per Message-ID) holds it once; nothing is lost and nothing else is repeated."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import Config, Smtp
from tests.bot_process import FileClock
from tests.conftest import approve_and_send, post_example
from bot.processes import process_exists
from tests.crash_world import Forks
from tests.fake_smtp import FakeMailServer, start

FACTORY_MAIL = ("qc@evergreen.example.cn", "zhang.min@evergreen.example.cn")


def waited(until, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def mail_rows(config: Config) -> list[sqlite3.Row]:
    with sqlite3.connect(config.storage.url.removeprefix("sqlite:///")) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM outbox WHERE platform = 'email' ORDER BY id").fetchall()


@pytest.fixture
def forks():
    started = Forks()
    yield started
    started.close()


@pytest.mark.parametrize("kill", ["when the server has the mail, before it answers",
                                  "when the bot is about to record the mail as sent"])
async def test_a_bot_killed_while_mailing_puts_each_message_in_the_mailbox_once(
    config: Config, tmp_path: Path, forks: Forks, kill: str
) -> None:
    server = FakeMailServer()
    controller = start(server)
    factories = tuple(f.model_copy(update={"email": FACTORY_MAIL}) for f in config.factories)
    smtp = Smtp.model_validate({"host": "127.0.0.1", "port": controller.port, "from": "qc@buyer.example.com",
                                "starttls": False})
    config = config.model_copy(update={"factories": factories, "smtp": smtp})
    clock = FileClock(tmp_path / "clock")
    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    app = await build_app(config, clock)
    try:
        await approve_and_send(app, config, await post_example(app, config))
    finally:
        await app.close()
    (tmp_path / "config.json").write_text(config.model_dump_json(), encoding="utf-8")
    order = {"config": str(tmp_path / "config.json"), "clock": str(clock.path), "log": str(tmp_path / "bot.log")}

    lives = []
    if kill.startswith("when the server"):
        server.on_mail = lambda _: len(server.received) == 1 and os.kill(lives[0], signal.SIGKILL)
        lives.append(forks.start(order))
    else:
        lives.append(forks.start({**order, "die": {"sql": "UPDATE outbox SET parts", "when": "before"}}))
    try:
        waited(lambda: not process_exists(lives[0]), "the first bot to be killed")
        assert len(server.received) == 1 and not mail_rows(config)[0]["sent_at"], "mailed, not recorded"
        lives.append(forks.start(order))
        waited(lambda: all(row["sent_at"] for row in mail_rows(config)), "every mail recorded as sent")
    finally:
        for pid in lives:
            if process_exists(pid):
                os.kill(pid, signal.SIGTERM)
        controller.stop()

    rows = mail_rows(config)
    assert server.message_ids() == {rows[0]["platform_ref"]: 2}, "the cut-off mail again, with its Message-ID"
    assert {row["platform_ref"] for row in rows} == set(server.message_ids()), "one Message-ID per message"
    assert all(sorted(r.recipients) == sorted(FACTORY_MAIL) for r in server.received)
