"""`followup notice kinds`: the instruction catalog, the reference reports are written against;
`followup notice render` a notice as a file; `followup notice link` its signed page link.

Each subcommand is imported when it runs: the catalog needs neither the store nor the PDF.
"""

from __future__ import annotations

import click

from bot.cli.lazy import LazyGroup, Table

NOTICE_COMMANDS: Table = {
    "render": ("bot.cli.notice_render", "render", "Write a notice as PDF, HTML or text."),
    "link": ("bot.cli.notice_link", "link", "The signed link to a notice's page, or revoke its links."),
    "kinds": ("bot.cli.notice_kinds", "kinds", "Every instruction kind, in English and Chinese."),
}


@click.group(cls=LazyGroup, table=NOTICE_COMMANDS)
def notice() -> None:
    """Corrective notices and the instructions they carry."""
