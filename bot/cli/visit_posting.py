"""What `followup visit post` needs once its report is being checked (bot/cli/visit_post.py
imports it beside the check): the app built, the visit posted when its photos are kept, the
buyer's messages printed on the console."""

from __future__ import annotations

import asyncio
import sys

import click

from bot.app import build_console_app
from bot.cli.intake_aside import IntakeAside
from bot.cli.poster import poster
from bot.cli.visit_options import colour
from bot.config import Config
from handlers.clock import Clock
from handlers.commands import Actor, PostVisit
from handlers.intake.reports import CheckedReport
from messages.i18n import CHINESE, Language, load_locales
from messages.replies import reply_text

__all__ = ["post", "poster"]


def post(config: Config, clock: Clock, aside: IntakeAside, actor: Actor) -> None:
    """Posts the report `aside` checked and passed, as `actor`."""
    asyncio.run(post_kept(config, clock, aside, actor))


async def post_kept(config: Config, clock: Clock, aside: IntakeAside, actor: Actor) -> None:
    """The app built, then the photos kept (by the child, while the locales load), then the
    visit posted and the buyer's messages printed."""
    app = await build_console_app(config, clock, click.echo, colour(), unfolded=True)
    try:
        aside.keep(app.media)  # after the store's first commits, not beside them (bot/cli/intake_aside.py)
        _meanwhile(config, aside.checked())
        checked = await aside.kept()
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await app.bus.handle(PostVisit(checked.report, photos), actor)
        await app.dispatcher.deliver_pending()
        click.echo(reply_text(reply, Language(actor.person.locale, actor.person.timezone)))
        if not reply.ok:
            sys.exit(1)
    finally:
        await app.close()


def _meanwhile(config: Config, checked: CheckedReport) -> None:
    """What posting and printing the visit make on first use, made while the child copies the
    photos (some 30 ms the command would wait): the people's CLDR data and catalogs (the
    factory's Chinese preview too), and the report's serializer (pydantic builds a model when
    it is first used; the child built its own to validate the report)."""
    load_locales(tuple({person.locale for person in config.people} | {CHINESE}))
    type(checked.report).model_rebuild()
