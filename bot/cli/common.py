"""What the CLI commands share: the --config option and how problems are printed."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.config import Config, ConfigError, config_path, load_config
from handlers.clock import Clock, SystemClock
from handlers.model import Person, Platform, Role
from handlers.intake.problems import Level, Problem
from handlers.translatable import Nn_, Text

if TYPE_CHECKING:  # the report's reading (YAML, bundles, photos) and the bus's commands are imported
    # by the commands that use them: `visit check` and `orders` need neither
    from handlers.commands import Actor
    from handlers.intake.reports import CheckedReport

_REFUSED = Nn_("%(name)s: refused, %(count)s problem; nothing was stored.",
               "%(name)s: refused, %(count)s problems; nothing was stored.")

def command_clock() -> Clock:
    """The one clock a command judges "now" by (overdue, past deadline, days left): the
    system's, unless a test hands in its own: CliRunner().invoke(main, …, obj={"clock": …})."""
    context = click.get_current_context(silent=True)
    return ((context.obj if context else None) or {}).get("clock") or SystemClock()


def operator() -> Actor:
    """Whoever runs the command, as the admin the audit trail names by their login."""
    from handlers.commands import Actor

    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        login = "unknown"
    return Actor(Person(name=f"operator {login}", role=Role.ADMIN), Platform.CONSOLE)


def load_or_exit(config_file: Path | None) -> Config:
    """The configuration, or exit 2 with every problem listed."""
    try:
        return load_config(config_path(config_file))
    except ConfigError as exc:
        click.echo(exc.headline, err=True)
        echo_problems(exc.problems, err=True)
        sys.exit(2)


def echo_problems(problems: list[Problem], err: bool = False) -> None:
    for problem in problems:
        if problem.level is Level.WARNING:
            click.echo(f"{problem.path}: warning: {problem.message}", err=err)
        else:
            click.echo(str(problem), err=err)


def exit_on_errors(checked: CheckedReport, err: bool = False) -> None:
    """Print a report's problems; exit 1 if any is an error."""
    echo_problems(checked.problems, err=err)
    if not checked.ok:
        exit_refused(checked.name, sum(1 for p in checked.problems if p.level == "error"))


def exit_refused(name: str, count: int) -> None:
    """The last line of a file refused for `count` problems (listed above it), then exit 1."""
    click.echo(str(Text.counted(_REFUSED, count, name=name, count=count)), err=True)
    sys.exit(1)
