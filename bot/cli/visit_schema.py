"""`followup visit schema`: the report's JSON Schema, from the model that validates reports."""

from __future__ import annotations

import json

import click

from handlers.model.report import VisitReport


@click.command()
def schema() -> None:
    """Print the JSON Schema of visit reports (kept as docs/visit-report.schema.json)."""
    click.echo(json.dumps(VisitReport.model_json_schema(), ensure_ascii=False, indent=2))
