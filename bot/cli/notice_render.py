"""`followup notice render NUMBER --out FILE`: a notice as the factory got it, as PDF, HTML or text."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.app import build_app
from bot.cli.common import command_clock, load_or_exit
from bot.cli.options import config_option
from bot.cli.notice_lookup import find_notice, web_signer
from bot.web.links import NoticeLinks
from handlers.views import load_notice_version
from messages.pdf import notice_pdf
from messages.render import notice_file


@click.command()
@click.argument("number")
@config_option
@click.option("--format", "form", type=click.Choice(["pdf", "html", "text"]), default="pdf", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="File to write.")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="An earlier version (default: the current one).")
def render(number: str, config_file: Path | None, form: str, out: Path, version: int | None) -> None:
    """Write notice NUMBER (e.g. CN-2026-0001, or its id) as PDF, HTML or text."""
    config = load_or_exit(config_file)
    content = asyncio.run(_render(config, number, form, version))
    if isinstance(content, bytes):
        out.write_bytes(content)
    else:
        out.write_text(content + "\n", encoding="utf-8")
    click.echo(f"{out}: notice {number} ({form})")


async def _render(config, number: str, form: str, version: int | None) -> bytes | str:
    app = await build_app(config, command_clock())
    try:
        if config.web.enabled:  # the file carries the version's link, as the PDF sent did
            signer = await web_signer(app)
            app.link_notices(NoticeLinks(signer, config.web.public_url, config.web.link_days, app.bus.clock))
        async with app.store.unit_of_work() as uow:
            found = await find_notice(uow, config, number)
            view = await load_notice_version(uow, app.settings, found.id, version)
            if view is None:
                raise click.BadParameter(f"notice {found.number} has no version {version}", param_hint="--version")
        if form == "pdf":
            return notice_pdf(view, app.media, app.documents.link(view))
        return notice_file(form, view, app.media, app.documents.link(view))
    finally:
        await app.close()
