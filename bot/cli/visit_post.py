"""`followup visit post REPORT [--as NAME]`: store the visit and send the buyer its findings.

The report's photos are read, hashed and kept in a thread while this one imports and opens the
app (bot/app.py, the store, the outbox, the templates): hashing releases the GIL, so the two
halves of the command's start share the cores rather than wait for each other. That is why
bot.app is imported in the command and not at the top of this module, as a command's own
modules are (bot/cli/lazy.py, `imported`: the collector paused, the imported objects frozen).
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import click

from bot.cli.common import command_clock, config_option, exit_on_errors, load_or_exit
from bot.cli.lazy import imported
from bot.cli.poster import poster
from bot.cli.visit_options import colour, report_argument
from bot.config import Config
from bot.files_folder import media_folder
from bot.intake import intake
from handlers.clock import Clock
from handlers.commands import Actor, PostVisit
from handlers.intake.reports import CheckedReport
from messages.i18n import Language
from messages.replies import reply_text
from storage.media import MediaStore


@click.command()
@report_argument
@config_option
@click.option("--as", "actor_name", default=None, help="Post as this configured inspector or admin.")
def post(report: Path, config_file: Path | None, actor_name: str | None) -> None:
    """Store the visit and send the buyer its findings on every configured platform."""
    config = load_or_exit(config_file)
    actor = poster(config, actor_name)
    # A thread, not the CPU pool: nothing else waits on this process, and starting the pool's
    # fork server (its modules preloaded) would cost more than the photos.
    with ThreadPoolExecutor(1, thread_name_prefix="intake") as pool:
        checking = pool.submit(intake, report, [f.id for f in config.factories],
                               MediaStore(media_folder(config.storage)), overrun_pct=config.analysis.overrun_pct)
        asyncio.run(_post(config, command_clock(), checking, actor))


async def _post(config: Config, clock: Clock, checking: Future[CheckedReport], actor: Actor) -> None:
    app = await imported("bot.app").build_console_app(config, clock, click.echo, colour(), unfolded=True)
    try:
        checked = await asyncio.wrap_future(checking)
        exit_on_errors(checked, err=True)
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await app.bus.handle(PostVisit(checked.report, photos), actor)
        await app.dispatcher.deliver_pending()
        click.echo(reply_text(reply, Language(actor.person.locale, actor.person.timezone)))
        if not reply.ok:
            sys.exit(1)
    finally:
        await app.close()
