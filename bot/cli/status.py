"""`followup status PO-REF` and `followup orders`: the chat's status answers in a terminal,
or as JSON for scripts, seen as one configured person sees them (a factory contact: its own
factory's orders only)."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from pathlib import Path

import click

from bot.cli.common import command_clock, load_or_exit
from bot.cli.options import config_option
from bot.config import Config
from bot.reader import Reader, reading
from handlers import refusals
from handlers.model import Person, Platform, Role
from handlers.model.verdicts import Status
from handlers.queries.status import (
    NOT_VISITED,
    PAGE_SIZE,
    Filters,
    NotVisited,
    Page,
    UnknownOrder,
    order_status,
    portfolio_page,
)
from handlers.refusals import NOT_YOURS, Refusal
from handlers.sight import may_see_factory
from messages.environment import render
from messages.i18n import Language
from messages.status_json import not_visited_json, portfolio_json, status_json

as_option = click.option("--as", "person_name", default=None,
                         help="Whose view: a configured person's name (default: the first buyer).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@click.command()
@click.argument("reference")
@config_option
@json_option
@as_option
def status(reference: str, config_file: Path | None, as_json: bool, person_name: str | None) -> None:
    """The status of order REFERENCE (PO-2026-0142, po2026 0142…); exit 1 if there is none."""
    config = load_or_exit(config_file)
    person = viewer(config, person_name)
    language = Language(person.locale, person.timezone)
    found = asyncio.run(_ask(config, lambda reader, now: _status(reader, person, reference, now)))
    if isinstance(found, UnknownOrder):
        click.echo(render("text", "chat/unknown_order.j2", language, u=found), err=True)
        sys.exit(1)
    if isinstance(found, NotVisited):
        if as_json:
            click.echo(json.dumps(not_visited_json(found), ensure_ascii=False, indent=2))
        else:
            click.echo(render("console", "chat/not_visited.j2", language, _colour(), s=found))
    elif as_json:
        click.echo(json.dumps(status_json(found), ensure_ascii=False, indent=2))
    else:
        click.echo(render("console", "chat/status.j2", language, _colour(), s=found))


@click.command("list")
@click.argument("text", required=False)
@config_option
@json_option
@click.option("--status", "wanted", type=click.Choice([*(s.value for s in Status), NOT_VISITED]), default=None,
              help="Only orders with this status.")
@click.option("--factory", "factory_id", default=None, help="Only this factory's orders (its id).")
@click.option("--page", "page_number", type=click.IntRange(min=1), default=None,
              help="Only this page of 20 (the chat's /orders N).")
@as_option
def listing(text: str | None, config_file: Path | None, as_json: bool, wanted: str | None, factory_id: str | None,
            page_number: int | None, person_name: str | None) -> None:
    """Every order you may see, most urgent first; TEXT keeps those whose reference, product
    or factory contains it. With --page, one page of 20 as the chat shows it. Ranked, filtered
    and paged by the store from each order's stored verdict, without reading reports."""
    config = load_or_exit(config_file)
    person = viewer(config, person_name)
    if factory_id and person.role is not Role.FACTORY and not any(f.id.casefold() == factory_id.casefold()
                                                                    for f in config.factories):
        known = ", ".join(f.id for f in config.factories)
        raise click.BadParameter(f"no factory {factory_id!r}; configured: {known}", param_hint="--factory")
    filters = Filters(text, wanted, factory_id)
    size = None if page_number is None else PAGE_SIZE

    async def ask(reader, now):
        if factory_id and not may_see_factory(person, factory_id):  # listed empty, as a factory without orders
            await _refused(reader, person, "orders", f"factory:{factory_id}", now)
        return await portfolio_page(reader.store, reader.settings, person, now, page_number or 1, size, filters)

    page = asyncio.run(_ask(config, ask))
    if as_json:
        click.echo(json.dumps(portfolio_json(page.entries),
                              ensure_ascii=False, indent=2))
    else:
        paging = {} if page_number is None else {"page": page, "next_command": _next_page(page, text, wanted,
                                                                                          factory_id, person_name)}
        click.echo(render("console", "chat/portfolio.j2", Language(person.locale, person.timezone), _colour(),
                          entries=page.entries, filtered=bool(filters), **paging))


def _next_page(page: Page, text: str | None, wanted: str | None, factory_id: str | None,
               person_name: str | None) -> str | None:
    """The command line that lists the next page alike; None on the last page."""
    if page.number >= page.pages:
        return None
    options = {"--status": wanted, "--factory": factory_id, "--as": person_name}
    words = ["followup", "orders", *([text] if text else []),
             *(part for option, value in options.items() if value for part in (option, value)),
             "--page", str(page.number + 1)]
    return shlex.join(words)


def viewer(config: Config, name: str | None) -> Person:
    """The configured person called `name`, else the first buyer."""
    if name is None:
        chosen = next((p for p in config.people if p.role is Role.BUYER), None)
        if chosen is None:
            raise click.UsageError("no buyer is configured; name someone with --as")
        return chosen
    chosen = next((p for p in config.people if p.name.casefold() == name.casefold()), None)
    if chosen is None:
        names = ", ".join(p.name for p in config.people) or "nobody is configured"
        raise click.BadParameter(f"no person named {name!r}; choose one of: {names}", param_hint="--as")
    return chosen


async def _status(reader: Reader, person: Person, reference: str, now):
    found = await order_status(reader.store, reader.settings, person, reference, now)
    if isinstance(found, UnknownOrder) and found.hidden:  # told it is unknown, as any unknown order
        await _refused(reader, person, "status", f"order:{reference}", now)
    return found


async def _refused(reader: Reader, person: Person, attempted: str, target: str, now) -> None:
    """A view asked of another factory's orders, audited as the chat audits it (bot.chat.answers)."""
    refusal = Refusal(person.identity, Platform.CONSOLE, None, attempted, NOT_YOURS, target)
    await refusals.audit(reader.store, refusal, now)


async def _ask(config: Config, query):
    """Runs `query(reader, now)` on the configured store."""
    clock = command_clock()
    async with reading(config) as reader:
        return await query(reader, clock.now())


def _colour() -> bool:
    return sys.stdout.isatty()
