"""A click group whose subcommands are imported only when one of them runs.

A command pays for its own imports and nobody else's: `followup visit check` must not load the
chat libraries, the store and the PDF that `visit post` needs, nor `followup --help` any of them.
"""

from __future__ import annotations

import gc
import importlib
from types import ModuleType
from typing import Any

import click

# name: (module, attribute, the one line the group's --help shows for it)
Table = dict[str, tuple[str, str, str]]


def imported(module: str) -> ModuleType:
    """The module, imported with the garbage collector paused: importing a command's modules
    makes some hundred thousand objects that live as long as the process, and the collector,
    set off by every 700 of them, walked them all again and again (a tenth of `followup visit
    post`'s start). Nothing made while importing is garbage worth collecting, so it is frozen
    (gc.freeze) before the collector resumes: else the first collection after the pause walked
    all of it at once (17 ms of `visit post`)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return importlib.import_module(module)
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class LazyGroup(click.Group):
    """The subcommands of a table, each imported when it is asked for."""

    def __init__(self, *args: Any, table: Table, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table = table

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.table)

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.table:
            return None
        module, attribute, _ = self.table[cmd_name]
        return getattr(imported(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, line) for name, (_, _, line) in self.table.items()])
