"""`followup visit check|analyze|post|form|schema|report`: the inspector's report, from file or form to chat.

Each subcommand lives in its own module, imported when it runs: checking a report on the
inspector's laptop must not wait for the chat libraries, the store and the PDF that posting needs.
"""

from __future__ import annotations

import click

from bot.cli.lazy import LazyGroup, Table

VISIT_COMMANDS: Table = {
    "check": ("bot.cli.visit_check", "check", "Validate REPORT; exit 1 listing every problem."),
    "analyze": ("bot.cli.visit_analyze", "analyze", "Progress gap, projected completion, AQL results, options."),
    "post": ("bot.cli.visit_post", "post", "Store the visit and send the buyer its findings."),
    "form": ("bot.cli.visit_form", "form", "The signed link to an order's visit form."),
    "schema": ("bot.cli.visit_schema", "schema", "The JSON Schema of visit reports."),
    "report": ("bot.cli.visit_report", "report", "The buyer's visit report as an A4 PDF."),
}


@click.group(cls=LazyGroup, table=VISIT_COMMANDS)
def visit() -> None:
    """Visit reports: check, analyse, post, the JSON Schema they follow, and the buyer's PDF."""
