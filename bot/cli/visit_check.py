"""`followup visit check REPORT`: is the report fit to post? Reads the file and its photos, no store."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import exit_on_errors, load_or_exit
from bot.cli.options import config_option
from bot.cli.visit_options import report_argument
from handlers.intake.reports import read_report
from handlers.translatable import N_, Nn_, Text

_CHECKED = N_("%(name)s: OK — order %(order)s, %(findings)s, %(photos)s checked")
_FINDINGS = Nn_("%(num)s finding", "%(num)s findings")
_PHOTOS = Nn_("%(num)s photo", "%(num)s photos")


@click.command()
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
