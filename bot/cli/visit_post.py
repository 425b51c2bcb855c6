"""`followup visit post REPORT [--as NAME]`: store the visit and send the buyer its findings.

The report is checked, and its photos kept, in a child process (bot/cli/intake_aside.py) while
this one loads the configuration, imports what posting needs (bot/cli/visit_posting.py: the
bus, the store, the console) and builds the app: the two share the machine's cores. So that the
child starts as early as it can, this module imports only click and the child's start: not
the configuration's schema (pydantic), which the child imports too meanwhile, nor the store
(aiosqlite, asyncio). A refused report still exits before the store is opened, let alone made.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.intake_aside import IntakeAside
from bot.cli.lazy import imported
from bot.cli.options import config_option
from bot.cli.visit_options import report_argument


@click.command()
@report_argument
@config_option
@click.option("--as", "actor_name", default=None, help="Post as this configured inspector or admin.")
def post(report: Path, config_file: Path | None, actor_name: str | None) -> None:
    """Store the visit and send the buyer its findings on every configured platform."""
    # Here, not in the CPU pool: nothing else waits on this process, and starting the pool's
    # fork server (its modules preloaded) would cost more than the photos.
    with IntakeAside(report) as aside:
        common = imported("bot.cli.common")
        config = common.load_or_exit(config_file)
        aside.check([f.id for f in config.factories], config.analysis.overrun_pct)
        posting = imported("bot.cli.visit_posting")
        actor = posting.poster(config, actor_name)
        common.exit_on_errors(aside.checked(), err=True)
        posting.post(config, common.command_clock(), aside, actor)
