"""`followup`: check, analyse and post visit reports, ask for order status, look up AQL plans, run the demo.

Each subcommand's module is imported only when that command runs: `followup --help` and
`followup aql` must not pay for the chat libraries, PDF and charts that `run` needs.
"""

from __future__ import annotations

import logging
import os

import click

from bot.cli.lazy import LazyGroup, Table

# Pydantic looks for plugins of its own by reading the entry points of every installed
# distribution the first time it builds a validator: 25-40 ms of every command that reads the
# configuration or a report, for plugins this project never installs. Someone who does install
# one (an observability plugin) sets PYDANTIC_DISABLE_PLUGINS themselves, to "" or a list.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

COMMANDS: Table = {
    "run": ("bot.cli.run", "run", "Run the bot on Telegram and/or Slack, and the notice pages."),
    "visit": ("bot.cli.visit", "visit", "Visit reports: check, analyse, post, the form, the buyer's PDF."),
    "notice": ("bot.cli.notice", "notice", "Corrective notices and the instructions they carry."),
    "notices": ("bot.cli.notices", "notices", "Every notice: sent, acknowledged, overdue, done, verified."),
    "outbox": ("bot.cli.outbox", "outbox", "Messages not delivered yet, and why; send one again."),
    "inbox": ("bot.cli.inbox", "inbox", "Updates set aside because they could not be read."),
    "people": ("bot.cli.people", "people_command", "People, bound factory contacts and requests awaiting the buyer."),
    "status": ("bot.cli.status", "status", "The status of one order."),
    "orders": ("bot.cli.orders", "orders", "Every order you may see, most urgent first; import an order list."),
    "factories": ("bot.cli.factories", "factories", "Per factory: orders, late and at risk, open instructions."),
    "chart": ("bot.cli.chart", "chart", "Write an order's progress chart as PNG."),
    "aql": ("bot.cli.aql", "aql", "Code letter, sample size and Ac/Re for a lot size (ISO 2859-1)."),
    "demo": ("bot.cli.demo", "demo", "Run the whole flow with a scripted inspector, buyer and factory."),
    "console": ("bot.cli.demo", "console", "Play every part yourself on the console."),
    "db": ("bot.cli.db", "db", "The store: migrate its schema, copy it into a new store."),
}


@click.group(cls=LazyGroup, table=COMMANDS)
@click.option("-v", "--verbose", is_flag=True, help="Log what the bot does.")
def main(verbose: bool) -> None:
    """The factory follow-up bot: from a mid-production visit to acknowledged corrective action."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry bot tokens
