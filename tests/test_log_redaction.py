"""No secret reaches a log, whatever logs it and at whatever level.

Why: at DEBUG, python-telegram-bot, httpx, slack-sdk and Bolt log URLs with the bot token,
the webhook secret, request bodies and every button's callback data. The Telegram and Slack
stories run here with every logger at DEBUG, and all that was logged or written to stderr is
searched for the tokens, the signing secret, the webhook secret and the buttons' tokens.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Iterator

import pytest

from bot.redaction import REDACTED
from tests.slack_world import BUYER as SLACK_BUYER
from tests.slack_world import BUYER_CHANNEL, SECRET, running_slack
from tests.telegram_world import BUYER_CHAT, running
from tests.test_slack import post_example as post_on_slack
from tests.test_telegram import post_example as post_on_telegram
from tests.test_telegram_more import webhook_mode

pytestmark = pytest.mark.usefixtures("direct_to_fakes")


@pytest.fixture
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every logger at DEBUG, written to stderr as `followup run` writes its log."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)] + [logging.getLogger()]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    stderr = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(stderr)
    yield
    logging.getLogger().removeHandler(stderr)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def button_tokens(db) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute("SELECT token FROM callback_tokens")]


@pytest.mark.usefixtures("everything_at_debug")
async def test_telegram_at_debug_logs_no_token_secret_or_button(config, clock, caplog, capsys) -> None:
    async with running(config, clock, **webhook_mode()) as world:
        webhook_secret = world.fake.webhook.secret_token
    async with running(config, clock) as world:
        await post_on_telegram(world)
        assert await world.tap(world.buyer, BUYER_CHAT, world.finding("F1"), "Approve") == "Approved."
        token = world.fake.token

    logged = caplog.text + capsys.readouterr().err
    buttons = button_tokens(world.app.store.path)
    assert len(buttons) >= 20 and "getUpdates" in logged and REDACTED in logged
    for secret in [token, token.partition(":")[2], webhook_secret, *buttons]:
        assert secret not in logged


@pytest.mark.usefixtures("everything_at_debug")
async def test_slack_at_debug_logs_no_token_secret_or_button(config, clock, caplog, capsys) -> None:
    async with running_slack(config, clock) as world:
        await post_on_slack(world)
        status, _ = await world.click(SLACK_BUYER, BUYER_CHANNEL, world.finding("F1"), "Approve")
        assert status == 200
        await world.settled()
        token = world.fake.token

    logged = caplog.text + capsys.readouterr().err
    buttons = button_tokens(world.app.store.path)
    assert len(buttons) >= 20 and "chat.postMessage" in logged and REDACTED in logged
    for secret in [token, SECRET, *buttons]:
        assert secret not in logged
