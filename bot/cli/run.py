"""`followup run`: the bot on the chat platforms whose tokens are in the environment. This only
reads the command line and sets up logging; bot/running.py builds and runs the bot."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import click

from bot.cli.common import command_clock, load_or_exit
from bot.cli.options import config_option
from bot.email.settings import SmtpSettingsError
from bot.files_folder import FilesFolderRefused
from bot.outbox.replica import Replica
from bot.redaction import redactor
from bot.replica_log import FORMAT, tag_logs
from bot.refused import EXIT_TOKEN_REFUSED, TokenRefused
from bot.running import serve
from bot.slack.settings import SlackEnvironment
from bot.telegram.settings import TelegramEnvironment
from bot.web.links import BadWebSecret, LinkSigner


@click.command()
@click.option("--replica-id", envvar="FOLLOWUP_REPLICA_ID", default=None, metavar="NAME",
              help="This replica's name in logs and outbox claims (default: the host and process id).")
@config_option
def run(replica_id: str | None, config_file: Path | None) -> None:
    """Run the bot on Telegram (TELEGRAM_BOT_TOKEN) and/or Slack (SLACK_BOT_TOKEN), with the web
    server of the notice pages when [web] public_url is set. Stop with Ctrl-C."""
    try:
        replica = Replica.this_process(replica_id)
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="--replica-id") from None
    config = load_or_exit(config_file)
    try:
        telegram, slack = TelegramEnvironment.from_environment(), SlackEnvironment.from_environment()
    except ValueError as bad:
        raise click.UsageError(str(bad)) from None
    try:
        web = LinkSigner.from_environment() if config.web.enabled else None  # None: the store's key
    except BadWebSecret as bad:
        raise click.UsageError(str(bad)) from None
    if telegram is None and slack is None and not config.web.enabled:
        raise click.UsageError(
            "no chat platform configured: set TELEGRAM_BOT_TOKEN and/or SLACK_BOT_TOKEN (see README), "
            "or try the bot locally with './dev console'"
        )
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta, without a warning
    logging.basicConfig(level=logging.INFO, format=FORMAT, force=True)
    tag_logs(replica.label)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the bot token
    # slack_sdk builds the DEBUG lines of every Web API call (the request, the answer's headers and
    # body) whenever its client logger's own level is unset, shown or not: a tenth of an answer's CPU.
    logging.getLogger("slack_sdk.web.async_base_client").setLevel(logging.INFO)
    redactor()  # and should they be shown anyway, or any other secret, they are redacted
    try:
        asyncio.run(serve(config, telegram, slack, command_clock(), web=web, replica=replica))
    except SmtpSettingsError as bad:
        raise click.UsageError(str(bad)) from None
    except FilesFolderRefused as refused:
        click.echo(f"followup run: {refused}", err=True)
        raise SystemExit(2) from None
    except TokenRefused as refused:
        click.echo(f"followup run: {refused}", err=True)
        raise SystemExit(EXIT_TOKEN_REFUSED) from None
