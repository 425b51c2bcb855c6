"""`followup notice kinds`: the instruction catalog, the reference reports are written against;
`followup notice render` a notice as a file; `followup notice link` its signed page link."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from bot.app import build_app
from bot.cli.common import command_clock, config_option, load_or_exit, operator
from bot.cli.notices import OPERATOR
from bot.web.links import RECIPIENT, BadWebSecret, NoticeLinks, notice_url
from bot.web.shared_key import link_signer
from handlers.commands import RevokeNoticeLinks
from handlers.catalog import KINDS
from handlers.views import load_notice_version
from messages.i18n import CHINESE, ENGLISH, Language
from messages.pdf import notice_pdf
from messages.render import render_notice
from messages.replies import reply_text


@click.group()
def notice() -> None:
    """Corrective notices and the instructions they carry."""


@notice.command()
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
        if config.web.enabled and form == "pdf":  # the PDF carries the version's link, as the one sent did
            signer = await _signer(app)
            app.link_notices(NoticeLinks(signer, config.web.public_url, config.web.link_days, app.bus.clock))
        async with app.store.unit_of_work() as uow:
            found = await _find(uow, config, number)
            view = await load_notice_version(uow, app.settings, found.id, version)
            if view is None:
                raise click.BadParameter(f"notice {found.number} has no version {version}", param_hint="--version")
        if form == "pdf":
            return notice_pdf(view, app.media.find, app.documents.link(view))
        return render_notice(form, view, app.media.find)
    finally:
        await app.close()


async def _find(uow, config, number: str):
    """The notice numbered NUMBER (or with that id), else a usage error naming the database."""
    found = await uow.notices.by_number(number)
    if found is None and number.isdigit():
        found = await uow.notices.get(int(number))
    if found is None:
        raise click.BadParameter(f"no notice {number!r} in {config.storage.url}", param_hint="NUMBER")
    return found


@notice.command()
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


async def _signer(app):
    """The key the running bot signs with: FOLLOWUP_WEB_SECRET, else the store's."""
    try:
        return await link_signer(app.store, app.bus.clock)
    except BadWebSecret as bad:
        raise click.ClickException(str(bad)) from bad


async def _link(config, number: str, recipient: str | None, revoke: bool) -> str:
    clock = command_clock()
    app = await build_app(config, clock)
    try:
        async with app.store.unit_of_work() as uow:
            found = await _find(uow, config, number)
        recipient = recipient or found.factory_id
        if revoke:
            reply = await app.bus.handle(RevokeNoticeLinks(found.id, recipient), operator())
            return reply_text(reply, OPERATOR)
        token = (await _signer(app)).mint(found.id, found.version, recipient, clock.now(), config.web.link_days)
        return notice_url(config.web.public_url, token)
    finally:
        await app.close()


@notice.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def kinds(as_json: bool) -> None:
    """Every instruction kind: key, parameters, English and Chinese wording."""
    english, chinese = Language(ENGLISH), Language(CHINESE)
    entries = [
        {
            "key": kind.key,
            "params": {
                p.name: {"type": p.type.value, "description": p.description, "chinese_in_params_zh": p.describes}
                for p in kind.params
            },
            "en": _wording(english, kind),
            "zh": _wording(chinese, kind),
        }
        for kind in KINDS
    ]
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for entry in entries:
        click.echo(click.style(entry["key"], bold=True))
        for name, param in entry["params"].items():
            zh = "; Chinese version in params_zh" if param["chinese_in_params_zh"] else ""
            click.echo(f"  {name} ({param['type']}{zh}): {param['description']}")
        click.echo(f"  EN  {entry['en']}\n  中文 {entry['zh']}\n")


def _wording(language: Language, kind) -> str:
    """The wording with its {placeholders}; the plural form where the kind has one."""
    return language.ngettext(kind.wording, kind.plural, 2) if kind.plural else language.gettext(kind.wording)
