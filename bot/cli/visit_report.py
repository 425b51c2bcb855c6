"""`followup visit report PO-REF [--visit DATE] --out FILE.pdf`: the buyer's visit report PDF,
as the chat's "Visit report (PDF)" button sends it, in the reader's language (`--as`).

Every problem (an unknown order or date, a file that cannot be written, a reader who is a
factory contact) is said naming it, with exit code 1, and nothing is written: the PDF goes
to a file beside `--out` first and takes its name only once whole.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, datetime
from pathlib import Path

import click

from bot.cli.common import load_or_exit
from bot.cli.options import config_option
from bot.cli.status import _ask, as_option, viewer
from bot.reader import Reader
from handlers import refusals, rights
from handlers.commands import SendVisitReport
from handlers.model import Person, Platform
from handlers.queries.visit_record import NoSuchVisit, SeveralOrders, find_visit, visit_record
from handlers.refusals import Refusal
from messages.i18n import Language
from messages.report_pdf import visit_report_pdf


@click.command("report")
@click.argument("reference")
@config_option
@click.option("--visit", "visit_day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The visit of this date (YYYY-MM-DD); default: the order's latest.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="PDF file to write.")
@as_option
def report(reference: str, config_file: Path | None, visit_day: datetime | None, out: Path,
           person_name: str | None) -> None:
    """Write the visit report of order REFERENCE as an A4 PDF: order and visit, status,
    progress with the chart, schedule, materials, packaging, the AQL table, every finding with
    its photos and decision, and the notices sent with their answers."""
    config = load_or_exit(config_file)
    person = viewer(config, person_name)
    _check_writable(out)
    day = visit_day.date() if visit_day else None
    content = asyncio.run(_ask(config, lambda reader, now: _render(reader, person, reference, day, now)))
    part = out.with_name(f".{out.name}.part")
    try:
        part.write_bytes(content)
        part.replace(out)
    except OSError as exc:
        part.unlink(missing_ok=True)
        _fail(f"cannot write --out {out}: {exc.strerror or exc}")
    click.echo(f"{out}: visit report of {reference} ({len(content):,} bytes)")


async def _render(reader: Reader, person: Person, reference: str, day: date | None, now: datetime) -> bytes:
    if not rights.may(person.role, SendVisitReport):
        refusal = Refusal(person.identity, Platform.CONSOLE, None, "visit report", "not_allowed", f"order:{reference}")
        await refusals.audit(reader.store, refusal, now)
        _fail(f"{person.name} may not read visit reports: they are the buyer's record (buyers, inspectors and "
              "admins); nothing was written")
    async with reader.store.unit_of_work() as uow:
        visit = await find_visit(uow, reference, day)
        if isinstance(visit, NoSuchVisit):
            dates = ", ".join(d.isoformat() for d in visit.dates)
            _fail(f"order {visit.reference} has no visit on {visit.asked.isoformat()} (--visit); its visits: {dates}; "
                  "nothing was written")
        if isinstance(visit, SeveralOrders):
            _fail(f"{visit.asked!r} matches several orders: {', '.join(visit.references)}; "
                  "give one exactly as written; nothing was written")
        if visit is None:
            _fail(f"no visit of order {reference!r} is stored; nothing was written")
        record = await visit_record(uow, reader.settings, visit, now)
    return visit_report_pdf(record, Language(person.locale, person.timezone), reader.media)


def _check_writable(out: Path) -> None:
    """Before any work: the folder exists and takes a file (click refuses a folder as `out`)."""
    folder = out.parent
    if not folder.is_dir():
        _fail(f"cannot write --out {out}: the folder {folder} does not exist; nothing was written")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        _fail(f"cannot write --out {out}: permission denied; nothing was written")


def _fail(message: str) -> None:
    click.echo(f"followup visit report: {message}", err=True)
    sys.exit(1)
