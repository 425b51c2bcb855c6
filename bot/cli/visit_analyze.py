"""`followup visit analyze REPORT [--json]`: what the buyer will be told about a report, before posting it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.common import exit_on_errors, load_or_exit
from bot.cli.options import config_option
from bot.cli.visit_options import colour, report_argument
from handlers.analysis.analyze import analyze as analyse_report
from handlers.intake.reports import read_report
from messages.analysis_json import analysis_json
from messages.environment import render
from messages.i18n import Language


@click.command()
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
        click.echo(render("console", "chat/visit_summary.j2", language, colour(),  # in full: nothing folded
                          report=parsed, analysis=analysis, factory=factory, folds=None))
