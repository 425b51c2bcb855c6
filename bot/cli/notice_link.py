"""`followup notice link NUMBER [--recipient R] [--revoke]`: the signed link to a notice's page."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.app import build_app
from bot.cli.common import command_clock, load_or_exit, operator
from bot.cli.options import config_option
from bot.cli.notice_lookup import find_notice, web_signer
from bot.cli.notices import OPERATOR
from bot.web.links import RECIPIENT, notice_url
from handlers.commands import RevokeNoticeLinks
from messages.replies import reply_text


@click.command()
@click.argument("number")
@config_option
@click.option("--recipient", default=None, help="Who the link is for (letters, digits, _ and -; default: the "
              "notice's factory id). Revoking ends this recipient's links only.")
@click.option("--revoke", is_flag=True, help="Revoke the recipient's links to the notice issued until now; those "
              "the bot sends later open the page.")
def link(number: str, config_file: Path | None, recipient: str | None, revoke: bool) -> None:
    """Print the signed link to notice NUMBER's page (its current version), or revoke its links."""
    config = load_or_exit(config_file)
    if not config.web.enabled:
        raise click.ClickException("the web server is off: set [web] public_url in the configuration")
    if recipient is not None and not RECIPIENT.match(recipient):
        raise click.BadParameter("letters, digits, _ and - only, at most 40", param_hint="--recipient")
    click.echo(asyncio.run(_link(config, number, recipient, revoke)))


async def _link(config, number: str, recipient: str | None, revoke: bool) -> str:
    clock = command_clock()
    app = await build_app(config, clock)
    try:
        async with app.store.unit_of_work() as uow:
            found = await find_notice(uow, config, number)
        recipient = recipient or found.factory_id
        if revoke:
            reply = await app.bus.handle(RevokeNoticeLinks(found.id, recipient), operator())
            return reply_text(reply, OPERATOR)
        token = (await web_signer(app)).mint(found.id, found.version, recipient, clock.now(), config.web.link_days)
        return notice_url(config.web.public_url, token)
    finally:
        await app.close()
