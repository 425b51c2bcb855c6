"""`followup notices`: every notice and where it stands, for whoever runs the bot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from bot.cli.common import command_clock, load_or_exit
from bot.cli.options import config_option
from bot.reader import reading
from handlers.queries.notice_summary import NoticeSummary, summarise
from messages import wording
from messages.i18n import Language
from messages.people import who

# Operators read UTC: the bot's people are in several zones and the log is in UTC too.
OPERATOR = Language("en_GB", "UTC")


@click.command()
@config_option
@click.option("--open", "only_open", is_flag=True, help="Only notices not yet fully verified.")
@click.option("--factory", default=None, help="Only this factory's notices (its id).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def notices(config_file: Path | None, only_open: bool, factory: str | None, as_json: bool) -> None:
    """Every notice: sent, acknowledged by whom and when, reminders, overdue, done and verified."""
    config = load_or_exit(config_file)
    clock = command_clock()
    summaries = asyncio.run(_summaries(config, clock))
    now = clock.now()
    if factory is not None:
        summaries = [s for s in summaries if s.notice.factory_id.lower() == factory.lower()]
    if only_open:
        summaries = [s for s in summaries if _is_open(s)]
    if as_json:
        click.echo(json.dumps([s.as_json(now) for s in summaries], ensure_ascii=False, indent=2))
        return
    if not summaries:
        click.echo("No notices.")
    for summary in summaries:
        click.echo(_lines(summary, now))


async def _summaries(config, clock) -> list[NoticeSummary]:
    async with reading(config) as reader, reader.store.unit_of_work() as uow:
        return await summarise(uow, reader.settings, clock.now(), await uow.notices.every())


def _is_open(summary: NoticeSummary) -> bool:
    n = summary.notice
    return n.state.value in ("sent", "disputed") or summary.verified < summary.instructions


def _lines(s: NoticeSummary, now) -> str:
    n = s.notice
    state = wording.word(OPERATOR, "notice_state", n.state.value)
    head = click.style(f"{n.number} v{n.version}", bold=True) + f"  {n.order_reference}  {s.factory_name}"
    sent = f"sent {OPERATOR.moment(n.sent.at)} by {who(OPERATOR, n.sent.by)}"
    if n.answered is not None:
        answer = f"{state} {OPERATOR.moment(n.answered.at)} by {who(OPERATOR, n.answered.by)}"
    elif n.acknowledge_by is not None:
        late = " — PAST" if s.past_deadline(now) else ""
        answer = f"{state}, acknowledge by {OPERATOR.moment(n.acknowledge_by)}{late}"
    else:
        answer = state
    chased = f"reminders {s.reminders}" + (" · escalated to the buyer" if s.escalated else "")
    work = (f"instructions {s.instructions}: {s.overdue} overdue, {s.done} done awaiting verification,"
            f" {s.verified} verified, {s.reopened} reopened")
    lines = [head, f"  {sent} · {answer}", f"  {chased} · {work}"]
    if n.dispute_reason:
        lines.append(f"  dispute: {n.dispute_reason}")
    return "\n".join(lines)
