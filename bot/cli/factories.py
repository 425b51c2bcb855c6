"""`followup factories`: how each factory is doing across its orders and which orders warrant a
follow-up visit, as the chat answers "factories" (or JSON), seen as one configured person sees it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from bot.cli.common import load_or_exit
from bot.cli.options import config_option
from bot.cli.status import _ask, _colour, as_option, json_option, viewer
from handlers.queries.factories import factory_report
from messages.environment import render
from messages.i18n import Language
from messages.status_json import factories_json


@click.command()
@config_option
@json_option
@as_option
def factories(config_file: Path | None, as_json: bool, person_name: str | None) -> None:
    """Per factory: orders (visited / not yet), late and at risk, average gap, open and overdue
    instructions, disputes, notices awaiting acknowledgement, average acknowledgement time; then
    the orders recommended for a follow-up visit, with the reasons ([analysis] thresholds)."""
    config = load_or_exit(config_file)
    person = viewer(config, person_name)
    report = asyncio.run(_ask(config, lambda reader, now: factory_report(reader.store, reader.settings, person, now)))
    if as_json:
        click.echo(json.dumps(factories_json(report), ensure_ascii=False, indent=2))
    else:
        click.echo(render("console", "chat/factories.j2", Language(person.locale, person.timezone), _colour(),
                          report=report))
