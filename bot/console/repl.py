"""`followup console`: the console platform, interactive. You play each person in turn."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.chat.actions import ASKS_FOR_PHOTOS, ASKS_FOR_TEXT
from bot.app import build_console_app
from bot.chat.taps import Given
from bot.config import Config
from bot.console.session import ConsoleSession
from bot.cli.common import command_clock
from handlers.commands import PostVisit
from handlers.model import Role
from handlers.intake.reports import read_report

USAGE = """\
  as buyer | as inspector | as factory    who you are now
  post PATH                               post a visit report (.yaml, .json or .zip)
  N                                       tap button [N]; Edit and Dispute ask for text,
                                          "done, with photos" for a photo file's path
  status PO-…  ·  PO-… 进度  ·  orders      ask about orders
  details PO-…                            the order's findings summary in full
  visit PO-…                              the link to the order's visit form (web server on)
  help  ·  quit"""


async def run_console(config: Config, colour: bool, charts: Path) -> None:
    app = await build_console_app(config, command_clock(), click.echo, colour)
    session = ConsoleSession(app, click.echo, colour, charts)
    click.echo(f"Follow-up console on {config.storage.url}. Type help for commands.")
    role = Role.BUYER
    try:
        await app.dispatcher.deliver_pending()
        while True:
            person = session.person(role)
            try:
                line = (await asyncio.to_thread(input, f"{person.name} ({role.value})> ")).strip()
            except EOFError:
                break
            if line in ("quit", "exit"):
                break
            role = await _handle(session, role, line)
    finally:
        await app.close()


async def _handle(session: ConsoleSession, role: Role, line: str) -> Role:
    person = session.person(role)
    if line.startswith("as "):
        try:
            return Role(line[3:].strip())
        except ValueError:
            click.echo("  choose buyer, inspector or factory")
            return role
    if line.startswith("post "):
        await _post(session, Path(line[5:].strip()))
    elif line.startswith("details "):
        await session.details(person, line[8:].strip())
    elif line.isdigit():
        await _tap(session, person, int(line))
    elif line == "help":
        click.echo(USAGE)
    elif not line or not await session.say(person, line):
        click.echo("  (not understood; type help)")
    return role


async def _tap(session: ConsoleSession, person, number: int) -> None:
    """Asks for the words or the photo file only once the tap is allowed."""
    async def ask(action: str, target: int) -> Given | None:
        if action in ASKS_FOR_PHOTOS:
            path = await asyncio.to_thread(input, "  photo file: ")
            await session.report_photo(person, number, Path(path.strip()).expanduser())
            return None
        return Given(await asyncio.to_thread(input, f"  {ASKS_FOR_TEXT[action]}: "))

    await session.tap(person, number, ask=ask)


async def _post(session: ConsoleSession, path: Path) -> None:
    app = session.app
    with read_report(path, app.settings.factories, overrun_pct=app.settings.thresholds.overrun_pct) as checked:
        for problem in checked.problems:
            click.echo(f"  {problem}")
        if not checked.ok:
            click.echo("  refused; nothing was stored")
            return
        for photo in checked.photos.values():
            app.media.put(photo.path, photo.sha256, photo.format)
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
    await session.act(session.person(Role.INSPECTOR), PostVisit(checked.report, photos))
