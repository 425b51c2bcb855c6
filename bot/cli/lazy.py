"""A click group whose subcommands are imported only when one of them runs.

A command pays for its own imports and nobody else's: `followup visit check` must not load the
chat libraries, the store and the PDF that `visit post` needs, nor `followup --help` any of them.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# name: (module, attribute, the one line the group's --help shows for it)
Table = dict[str, tuple[str, str, str]]


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
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, line) for name, (_, _, line) in self.table.items()])
