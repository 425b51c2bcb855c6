"""`followup visit post REPORT [--as NAME]`: store the visit and send the buyer its findings."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from bot.app import build_console_app
from bot.cli.common import command_clock, config_option, exit_on_errors, load_or_exit
from bot.cli.poster import poster
from bot.cli.visit_options import colour, report_argument
from bot.config import Config
from bot.intake import intake
from handlers.clock import Clock
from handlers.commands import PostVisit
from messages.i18n import Language
from messages.replies import reply_text


@click.command()
@report_argument
@config_option
@click.option("--as", "actor_name", default=None, help="Post as this configured inspector or admin.")
def post(report: Path, config_file: Path | None, actor_name: str | None) -> None:
    """Store the visit and send the buyer its findings on every configured platform."""
    config = load_or_exit(config_file)
    asyncio.run(_post(config, command_clock(), report, actor_name))


async def _post(config: Config, clock: Clock, report: Path, actor_name: str | None) -> None:
    actor = poster(config, actor_name)
    app = await build_console_app(config, clock, click.echo, colour(), unfolded=True)
    try:
        # A thread, not the CPU pool: nothing else waits on this loop, and starting the pool's
        # fork server (its modules preloaded) would cost more than the photos.
        checked = await asyncio.to_thread(intake, report, [f.id for f in config.factories], app.media,
                                          overrun_pct=config.analysis.overrun_pct)
        exit_on_errors(checked, err=True)
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await app.bus.handle(PostVisit(checked.report, photos), actor)
        await app.dispatcher.deliver_pending()
        click.echo(reply_text(reply, Language(actor.person.locale, actor.person.timezone)))
        if not reply.ok:
            sys.exit(1)
    finally:
        await app.close()
