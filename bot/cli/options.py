"""The options every command shares, defined apart from what they lead to: a command declares
`--config` without importing the configuration's schema (pydantic), which `visit post` loads
only once its report's check has started beside it (bot/cli/intake_aside.py)."""

from __future__ import annotations

from pathlib import Path

import click

config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="followup.toml (default: $FOLLOWUP_CONFIG, ./followup.toml, then the bundled example).",
)
