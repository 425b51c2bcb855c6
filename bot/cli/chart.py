"""`followup chart`: an order's progress chart as PNG, to look at what a status answer attaches."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.app import build_app
from bot.cli.common import command_clock, exit_on_errors, load_or_exit
from bot.cli.options import config_option
from bot.config import LOCALES, Config
from handlers.analysis.progress import ProgressChart, reports_chart
from handlers.intake.reports import read_report
from handlers.queries.status import order_chart
from handlers.translatable import Nn_, Text
from messages.chart import render_chart
from messages.i18n import Language

_WRITTEN = Nn_("%(out)s: progress chart of %(reference)s (%(count)s visit)",
               "%(out)s: progress chart of %(reference)s (%(count)s visits)")


@click.command()
@click.argument("reference", required=False)
@config_option
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Chart this report file instead of an order's stored visits.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="PNG file to write.")
@click.option("--locale", type=click.Choice(sorted(LOCALES)), default="en", show_default=True)
def chart(reference: str | None, config_file: Path | None, report: Path | None, out: Path, locale: str) -> None:
    """Write the progress chart of order REFERENCE (every stored visit), or of --report, as PNG."""
    if (reference is None) == (report is None):
        raise click.UsageError("give either an order REFERENCE or --report FILE")
    config = load_or_exit(config_file)
    figures = _from_report(config, report) if report else asyncio.run(_from_store(config, reference))
    out.write_bytes(render_chart(figures, Language(LOCALES[locale])))
    visits = len(figures.visits)
    click.echo(str(Text.counted(_WRITTEN, visits, out=out, reference=figures.reference, count=visits)))


async def _from_store(config: Config, reference: str) -> ProgressChart:
    app = await build_app(config, command_clock())
    try:
        figures = await order_chart(app.store, app.settings, reference)
    finally:
        await app.close()
    if figures is None:
        raise click.BadParameter(f"no visit of order {reference!r} in {config.storage.url}", param_hint="REFERENCE")
    return figures


def _from_report(config: Config, path: Path) -> ProgressChart:
    with read_report(path, [f.id for f in config.factories], overrun_pct=config.analysis.overrun_pct) as checked:
        exit_on_errors(checked, err=True)
    parsed = checked.report
    return reports_chart([parsed], config.factory(parsed.order.factory), config.analysis)
