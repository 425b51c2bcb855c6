"""`followup visit check|analyze|post|form|schema`: the inspector's report, from file or form to chat."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from bot.app import build_app, build_console_app
from bot.cli.common import command_clock, config_option, exit_on_errors, load_or_exit
from bot.cli.visit_report import report
from handlers.clock import Clock
from bot.config import Config
from bot.intake import intake
from bot.web.form_links import FormLinks
from bot.web.links import BadWebSecret, LinkSigner
from bot.web.shared_key import link_signer
from handlers import rights
from handlers.analysis.analyze import analyze as analyse_report
from handlers.commands import Actor, OpenVisitForm, PostVisit
from handlers.results import Reply
from handlers.model import Platform
from handlers.intake.reports import read_report
from handlers.model.report import VisitReport
from handlers.translatable import N_, Nn_, Text
from messages.analysis_json import analysis_json
from messages.environment import render
from messages.i18n import Language
from messages.replies import reply_text

_CHECKED = N_("%(name)s: OK — order %(order)s, %(findings)s, %(photos)s checked")
_FINDINGS = Nn_("%(num)s finding", "%(num)s findings")
_PHOTOS = Nn_("%(num)s photo", "%(num)s photos")
report_argument = click.argument("report", type=click.Path(path_type=Path, dir_okay=False))


@click.group()
def visit() -> None:
    """Visit reports: check, analyse, post, the JSON Schema they follow, and the buyer's PDF."""


visit.add_command(report)


@visit.command()
@report_argument
@config_option
def check(report: Path, config_file: Path | None) -> None:
    """Validate REPORT (.yaml, .json or a .zip bundle with photos); exit 1 listing every problem."""
    config = load_or_exit(config_file)
    with read_report(report, [f.id for f in config.factories], overrun_pct=config.analysis.overrun_pct) as checked:
        exit_on_errors(checked)
        summary = checked.report
        findings, photos = len(summary.findings), len(checked.photos)
        click.echo(str(Text(_CHECKED, name=checked.name, order=summary.order.reference,
                            findings=Text.counted(_FINDINGS, findings, num=findings),
                            photos=Text.counted(_PHOTOS, photos, num=photos))))


@visit.command()
@report_argument
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def analyze(report: Path, config_file: Path | None, as_json: bool) -> None:
    """Progress gap, projected completion, packaging rule, AQL results and the buyer's options."""
    config = load_or_exit(config_file)
    with read_report(report, [f.id for f in config.factories], overrun_pct=config.analysis.overrun_pct) as checked:
        exit_on_errors(checked, err=True)  # stdout carries only the analysis (one JSON object)
    parsed = checked.report
    factory = config.factory(parsed.order.factory)
    analysis = analyse_report(parsed, factory, config.analysis)
    if as_json:
        click.echo(json.dumps(analysis_json(parsed, analysis), ensure_ascii=False, indent=2))
    else:
        language = Language("en")
        click.echo(render("console", "chat/visit_summary.j2", language, _colour(),  # in full: nothing folded
                          report=parsed, analysis=analysis, factory=factory, folds=None))


@visit.command()
@report_argument
@config_option
@click.option("--as", "actor_name", default=None, help="Post as this configured inspector or admin.")
def post(report: Path, config_file: Path | None, actor_name: str | None) -> None:
    """Store the visit and send the buyer its findings on every configured platform."""
    config = load_or_exit(config_file)
    asyncio.run(_post(config, command_clock(), report, actor_name))


async def _post(config: Config, clock: Clock, report: Path, actor_name: str | None) -> None:
    actor = _poster(config, actor_name)
    app = await build_console_app(config, clock, click.echo, _colour())
    try:
        checked = await app.cpu.run(intake, report, [f.id for f in config.factories], app.media,
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


def _poster(config: Config, name: str | None) -> Actor:
    allowed = [p for p in config.people if rights.may(p.role, PostVisit)]
    chosen = next((p for p in allowed if name is None or p.name == name), None)
    if chosen is None:
        names = ", ".join(p.name for p in allowed) or "none configured"
        raise click.UsageError(f"no inspector or admin named {name!r}; choose one of: {names}")
    return Actor(chosen, Platform.CONSOLE)


@visit.command()
@click.argument("reference")
@config_option
@click.option("--as", "actor_name", default=None, help="Open it as this configured inspector (the default: the "
              "first one); the visit is posted as them.")
def form(reference: str, config_file: Path | None, actor_name: str | None) -> None:
    """Print the signed link to the visit form for order REFERENCE, pre-filled from the order."""
    config = load_or_exit(config_file)
    if not config.web.enabled:
        raise click.ClickException("the web server is off: set [web] public_url in the configuration")
    actor = _poster(config, actor_name)  # who will post it: an inspector or admin
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


@visit.command()
def schema() -> None:
    """Print the JSON Schema of visit reports (kept as docs/visit-report.schema.json)."""
    click.echo(json.dumps(VisitReport.model_json_schema(), ensure_ascii=False, indent=2))


def _colour() -> bool:
    return sys.stdout.isatty()
