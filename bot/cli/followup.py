"""`followup`: check, analyse and post visit reports, ask for order status, look up AQL plans, run the demo."""

from __future__ import annotations

import logging

import click

from bot.cli.aql import aql
from bot.cli.chart import chart
from bot.cli.demo import console, demo
from bot.cli.factories import factories
from bot.cli.inbox import inbox
from bot.cli.notice import notice
from bot.cli.notices import notices
from bot.cli.outbox import outbox
from bot.cli.people import people_command
from bot.cli.run import run
from bot.cli.orders import orders
from bot.cli.status import status
from bot.cli.visit import visit


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what the bot does.")
def main(verbose: bool) -> None:
    """The factory follow-up bot: from a mid-production visit to acknowledged corrective action."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry bot tokens


for command in (run, visit, notice, notices, outbox, inbox, people_command, status, orders, factories, chart, aql, demo, console):
    main.add_command(command)
