"""People acting on the console platform: tapping numbered buttons and typing messages.

Used by the scripted demo and by the interactive `followup console`; like any adapter it
turns what a person does into a command for the bus and prints the answer.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.actions import command_for
from bot.answers import answer, chart_of
from bot.app import App
from bot.console import Echo
from bot.evidence import report_photo
from handlers.catalog import N_
from handlers.commands import Actor, Command
from handlers.model import Person, Platform, Role
from handlers.results import Reply
from messages.i18n import Language
from messages.replies import reply_text

CHART_WRITTEN = N_("Progress chart: %(path)s")
NO_SUCH_FILE = N_("Cannot read %(path)s; give the path of a photo file.")


class ConsoleSession:
    def __init__(self, app: App, echo: Echo, colour: bool, charts: Path):
        self.app = app
        self.echo = echo
        self.colour = colour
        self.charts = charts  # where a status answer's progress chart is written

    def person(self, role: Role) -> Person:
        return next(p for p in self.app.config.people if p.role is role)

    def find_button(self, action: str, target: int) -> int | None:
        """The newest on-screen number of a button, as a person would pick it."""
        numbers = [n for n, b in self.app.console.buttons.items() if b.action == action and b.target == target]
        return numbers[-1] if numbers else None

    async def tap(self, person: Person, number: int, text: str | None = None) -> Reply | None:
        button = self.app.console.buttons.get(number)
        if button is None:
            self.echo(f"  (no button [{number}] on screen)")
            return None
        return await self.act(person, command_for(button.action, button.target, text))

    async def report_photo(self, person: Person, number: int, path: Path) -> Reply | None:
        """A "done, with photos" button answered with a photo file: checked, stored and
        reported as on the chat platforms (a second photo adds to the report)."""
        button = self.app.console.buttons.get(number)
        if button is None:
            self.echo(f"  (no button [{number}] on screen)")
            return None
        try:
            content = path.read_bytes()
        except OSError:
            self.echo(self._answer(person, _language(person).gettext(NO_SUCH_FILE) % {"path": path}))
            return None
        reply = await report_photo(self.app, Actor(person, Platform.CONSOLE), content, path.name,
                                   instruction_id=button.target)
        return await self._answered(person, reply)

    async def act(self, person: Person, command: Command) -> Reply:
        return await self._answered(person, await self.app.bus.handle(command, Actor(person, Platform.CONSOLE)))

    async def _answered(self, person: Person, reply: Reply) -> Reply:
        self.echo(self._answer(person, reply_text(reply, _language(person))))
        await self.app.dispatcher.deliver_pending()
        return reply

    async def say(self, person: Person, text: str) -> bool:
        """Answers a typed message; False when it is not something the bot understands."""
        found = await answer(self.app, "console", person, text, self.colour)
        if found is None:
            return False
        self.echo(found.text)
        if found.status is not None:
            chart = await chart_of(self.app, found)
            self.charts.mkdir(parents=True, exist_ok=True)
            path = self.charts / f"{Path(chart.filename).stem}.{person.locale}.png"  # one per language
            path.write_bytes(chart.png)
            self.echo(self._answer(person, _language(person).gettext(CHART_WRITTEN) % {"path": path}))
        self.echo("")
        return True

    def _answer(self, person: Person, text: str) -> str:
        line = f"  ↳ bot to {person.name}: {text}"
        return click.style(line, dim=True) if self.colour else line


def _language(person: Person) -> Language:
    return Language(person.locale, person.timezone)
