"""Polling that survives what Telegram answers getUpdates with, through the real
python-telegram-bot client and the fake Bot API server.

Why: the bot once stopped handling every update for good after one 409 Conflict, 400 or
401 from getUpdates, while the process stayed up and logged nothing. Passing troubles are
now logged and retried after a backoff, with the outbox delivering meanwhile; a refused
token stops the bot with a message saying so and `followup run` exits with its own code.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.followup import main
from bot.refused import EXIT_TOKEN_REFUSED, TokenRefused
from bot.telegram.settings import WEBHOOK_SECRET, TelegramEnvironment
from handlers.model import Platform
from tests.conftest import EXAMPLE_CONFIG, ROOT, example_config_file, post_example
from tests.fake_slack import FakeSlack
from tests.fake_telegram import FakeTelegram
from tests.telegram_world import BUYER_CHAT, running

pytestmark = pytest.mark.usefixtures("direct_to_fakes")
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


async def test_polling_outlives_conflicts_and_bad_requests_while_the_outbox_delivers(config, clock, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with running(config, clock) as world:
        world.fake.fail_next("getUpdates", times=2, error_code=400, description="Bad Request: wrong offset")
        world.fake.fail_next("getUpdates", times=1, error_code=502, description="Bad Gateway")
        world.fake.fail_next("getUpdates", times=10_000, error_code=409, description=CONFLICT)

        await post_example(world.app, world.app.config, Platform.TELEGRAM)
        world.runtime.wake()
        await world.fake.wait_for(lambda: len(world.chat(BUYER_CHAT)) >= 15, timeout=20)
        assert world.fake.faults_left("getUpdates") > 0  # the findings arrived while polling was refused
        # The outbox can deliver all before the poller, backing off, meets its first conflict.
        await world.fake.wait_for(lambda: world.fake.faults_left("getUpdates") < 10_000, timeout=20)

        world.fake.heal("getUpdates")  # the other process stopped polling
        assert await world.tap(world.buyer, BUYER_CHAT, world.finding("F1"), "Approve") == "Approved."

    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "another process polls with this bot token, or a webhook is set (Telegram: Conflict" in logged
    assert "Telegram refused the request (Telegram: Wrong offset)" in logged  # PTB strips "Bad Request: "
    assert "Telegram unreachable or failing (Bad Gateway)" in logged
    assert world.fake.token not in logged


async def test_a_token_revoked_while_polling_stops_the_bot_saying_so(config, clock, caplog) -> None:
    stopped: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
    async with running(config, clock, on_fatal=stopped.set_result) as world:
        await world.fake.wait_for(lambda: world.fake.calls("getUpdates"))
        world.fake.fail_next("getUpdates", error_code=401, description="Unauthorized")
        error = await asyncio.wait_for(stopped, timeout=10)

    assert isinstance(error, TokenRefused)
    assert str(error) == "Telegram refused the bot token: set a valid TELEGRAM_BOT_TOKEN and start again"
    assert "Telegram polling stopped: Telegram refused the bot token" in caplog.text


@asynccontextmanager
async def refusing_telegram() -> AsyncIterator[tuple[dict, str]]:
    async with FakeTelegram() as fake:
        wrong = fake.token[:-4] + "nope"
        yield {"TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_BASE_URL": fake.base_url,
               "TELEGRAM_FILE_BASE_URL": fake.base_file_url}, wrong


@asynccontextmanager
async def refusing_slack() -> AsyncIterator[tuple[dict, str]]:
    """auth.test at start answers invalid_auth, as Slack does for a wrong token."""
    async with FakeSlack() as fake:
        wrong = fake.token[:-4] + "nope"
        yield {"SLACK_BOT_TOKEN": wrong, "SLACK_SIGNING_SECRET": "a-signing-secret", "SLACK_API_URL": fake.api_url}, wrong


@pytest.mark.parametrize(("platform", "refusing", "variable"), [
    ("Telegram", refusing_telegram, "TELEGRAM_BOT_TOKEN"),
    ("Slack", refusing_slack, "SLACK_BOT_TOKEN"),
], ids=["telegram", "slack"])
async def test_followup_run_with_a_refused_token_exits_with_its_own_code(
        tmp_path: Path, platform: str, refusing, variable: str) -> None:
    async with refusing() as (env, wrong):
        returncode, out, err = await followup_run(tmp_path, env)

    assert returncode == EXIT_TOKEN_REFUSED, err.decode()
    said = err.decode()
    assert f"followup run: {platform} refused the bot token: set a valid {variable} and start again" in said
    assert wrong not in said + out.decode()


async def followup_run(tmp_path: Path, env: dict, *args: str) -> tuple[int, bytes, bytes]:
    """`followup run ARGS` in a process of its own, on the example's people and a store in
    `tmp_path`, with only `env` (and PATH) in its environment, until it exits."""
    config = example_config_file(tmp_path / "followup.toml", f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from bot.cli.followup import main; main()", "run", *args, "--config", str(config),
        cwd=ROOT, env={**env, "PATH": "/usr/bin:/bin"}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out, err


def test_the_webhook_secret_is_shared_by_replicas_and_a_bad_one_refuses_the_start(monkeypatch) -> None:
    token = "7000000001:AAH-secret-part"
    derived = TelegramEnvironment(token).secret_token()
    assert derived == TelegramEnvironment(token, "http://replica-2/bot").secret_token()
    assert WEBHOOK_SECRET.fullmatch(derived) and "secret-part" not in derived
    assert derived != TelegramEnvironment("7000000001:another").secret_token()

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "shared_by-all-3")
    assert TelegramEnvironment.from_environment().secret_token() == "shared_by-all-3"

    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "not/a+secret")
    result = CliRunner().invoke(main, ["run", "--config", str(EXAMPLE_CONFIG)])
    assert result.exit_code == 2
    assert "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -" in result.output
