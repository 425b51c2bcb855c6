"""`followup orders`: the portfolio (`followup orders [TEXT]`, see bot/cli/status.py) and
`followup orders import FILE`, which loads the buyer's order list."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from bot.cli.common import command_clock, exit_refused, load_or_exit
from bot.cli.options import config_option
from bot.cli.status import listing, viewer
from bot.config import Config
from handlers.commands import Actor, ImportOrders
from handlers.intake.orders import read_order_list
from handlers.model import Platform
from messages.i18n import Language
from messages.replies import reply_text


class _ListUnlessNamed(click.Group):
    """`followup orders …` lists orders unless its first word names a subcommand, so
    `followup orders 0160 --json` keeps working beside `followup orders import FILE`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_ListUnlessNamed)
def orders() -> None:
    """Every order you may see, most urgent first (`followup orders list --help`), or import
    the buyer's order list (`followup orders import FILE`)."""


orders.add_command(listing, "list")


@orders.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@config_option
@click.option("--dry-run", is_flag=True, help="Check the file and count what would change; store nothing.")
@click.option("--as", "person_name", default=None, help="Import as this configured buyer or admin.")
def import_(file: Path, config_file: Path | None, dry_run: bool, person_name: str | None) -> None:
    """Create or update orders from FILE (.csv with a header row, or a .json array). Every problem
    is listed as FILE:row N: field: message (CSV) or FILE: [i].field: message (JSON); with any,
    nothing is stored and the exit code is 1."""
    config = load_or_exit(config_file)
    person = viewer(config, person_name)  # whether they may import is the bus's to say, and audit
    checked = read_order_list(file, [f.id for f in config.factories])
    separator = ":" if file.suffix.lower() == ".csv" else ": "
    for problem in checked.problems:
        click.echo(f"{file.name}{separator}{problem}", err=True)
    if not checked.ok:
        exit_refused(file.name, len(checked.problems))
    reply = asyncio.run(_import(config, ImportOrders(checked.lines, dry_run), Actor(person, Platform.CONSOLE)))
    click.echo(reply_text(reply, Language(person.locale, person.timezone)))
    if not reply.ok:
        sys.exit(1)


async def _import(config: Config, command: ImportOrders, actor: Actor):
    from bot.app import build_app  # the bus: only an import writes through it, `orders` reads (bot/reader.py)

    app = await build_app(config, command_clock())
    try:
        return await app.bus.handle(command, actor)
    finally:
        await app.close()
