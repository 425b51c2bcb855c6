"""`followup visit post REPORT [--as NAME]`: store the visit and send the buyer its findings.

The report's photos are checked, hashed and kept (two threads, handlers/intake/side_by_side.py)
before the app is built, not beside it: beside it, the photo threads' own Python (the report's
YAML, each photo's header and EXIF) and the building of the app took the GIL from each other,
and the photos, mostly the kernel copying them, left the second core no room for it; one after
the other used some 45 ms less CPU and was no slower (benchmarks/visit_post.py, `chrt -f 10`).
A refused report now exits before the store is opened, let alone made.
"""

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
    # Here, not in the CPU pool: nothing else waits on this process, and starting the pool's
    # fork server (its modules preloaded) would cost more than the photos.
    checked = intake(report, [f.id for f in config.factories], MediaStore(media_folder(config.storage)),
                     overrun_pct=config.analysis.overrun_pct)
    exit_on_errors(checked, err=True)
    asyncio.run(_post(config, command_clock(), checked, actor))


async def _post(config: Config, clock: Clock, checked: CheckedReport, actor: Actor) -> None:
    app = await build_console_app(config, clock, click.echo, colour(), unfolded=True)
    try:
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await app.bus.handle(PostVisit(checked.report, photos), actor)
        await app.dispatcher.deliver_pending()
        click.echo(reply_text(reply, Language(actor.person.locale, actor.person.timezone)))
        if not reply.ok:
            sys.exit(1)
    finally:
        await app.close()
