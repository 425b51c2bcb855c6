"""`followup aql LOT_SIZE`: the ISO 2859-1 plan an inspector draws a sample by."""

from __future__ import annotations

import json

import click

from handlers.analysis.aql import LEVELS, AqlError, sampling_plan


@click.command()
@click.argument("lot_size", type=click.IntRange(min=1))
@click.option("--level", type=click.Choice(LEVELS), default="II", show_default=True,
              help="Inspection level.")
@click.option("--aql", "aqls", multiple=True, default=("0", "2.5", "4.0"), show_default=True,
              help="AQL value; repeat for several (0: zero tolerance).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def aql(lot_size: int, level: str, aqls: tuple[str, ...], as_json: bool) -> None:
    """Code letter, sample size and Ac/Re for LOT_SIZE, following the table's arrows."""
    try:
        plans = [sampling_plan(lot_size, value, level) for value in aqls]
    except AqlError as exc:
        raise click.BadParameter(str(exc)) from None
    if as_json:
        click.echo(json.dumps([_as_dict(p) for p in plans], indent=2))
        return
    click.echo(f"Lot {lot_size:,}, level {level}: code letter {plans[0].code_letter}")
    for plan in plans:
        moved = f" (arrow to {plan.plan_letter})" if plan.plan_letter != plan.code_letter else ""
        line = f"  AQL {plan.aql}: sample {plan.sample_size:,}{moved}, accept {plan.accept}, reject {plan.reject}"
        if plan.hundred_percent:
            line += f" — sample ≥ lot: inspect all {lot_size:,} units"
        click.echo(line)


def _as_dict(plan) -> dict:
    return {
        "lot_size": plan.lot_size,
        "level": plan.level,
        "aql": str(plan.aql),
        "code_letter": plan.code_letter,
        "plan_letter": plan.plan_letter,
        "sample_size": plan.sample_size,
        "accept": plan.accept,
        "reject": plan.reject,
        "hundred_percent": plan.hundred_percent,
    }
