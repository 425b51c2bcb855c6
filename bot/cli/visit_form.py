"""`followup visit form PO-REF [--as NAME]`: the signed link an inspector opens to fill in a visit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.app import build_app
from bot.cli.common import command_clock, load_or_exit
from bot.cli.options import config_option
from bot.cli.poster import poster
from bot.config import Config
from bot.web.form_links import FormLinks
from bot.web.links import BadWebSecret, LinkSigner
from bot.web.shared_key import link_signer
from handlers.clock import Clock
from handlers.commands import Actor, OpenVisitForm
from handlers.results import Reply
from messages.i18n import Language
from messages.replies import reply_text


@click.command()
@click.argument("reference")
@config_option
@click.option("--as", "actor_name", default=None, help="Open it as this configured inspector (the default: the "
              "first one); the visit is posted as them.")
def form(reference: str, config_file: Path | None, actor_name: str | None) -> None:
    """Print the signed link to the visit form for order REFERENCE, pre-filled from the order."""
    config = load_or_exit(config_file)
    if not config.web.enabled:
        raise click.ClickException("the web server is off: set [web] public_url in the configuration")
    actor = poster(config, actor_name)  # who will post it: an inspector or admin
    clock = command_clock()
    try:
        reply, signer = asyncio.run(_open_form(config, clock, actor, reference))
    except BadWebSecret as bad:
        raise click.ClickException(str(bad)) from bad
    if not reply.ok:
        raise click.ClickException(reply_text(reply, Language(actor.person.locale, actor.person.timezone)))
    click.echo(FormLinks(signer, config.web.public_url, clock).for_draft(reply.params["draft_id"]))


async def _open_form(config: Config, clock: Clock, actor: Actor, reference: str) -> tuple[Reply, LinkSigner]:
    """The draft opened, and the key the running bot signs its link with."""
    app = await build_app(config, clock)
    try:
        signer = await link_signer(app.store, clock)
        return await app.bus.handle(OpenVisitForm(reference), actor), signer
    finally:
        await app.close()
