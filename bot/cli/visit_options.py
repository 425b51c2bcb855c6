"""What the visit subcommands share: the REPORT argument, and whether to colour the console."""

from __future__ import annotations

import sys
from pathlib import Path

import click

report_argument = click.argument("report", type=click.Path(path_type=Path, dir_okay=False))


def colour() -> bool:
    return sys.stdout.isatty()
