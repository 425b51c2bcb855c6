"""People acting on the console platform: tapping numbered buttons and typing messages.

Used by the scripted demo and by the interactive `followup console`; like any adapter it
turns what a person does into a command for the bus and prints the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from bot.app import App
from bot.chat.answers import answer, chart_of
from bot.chat.evidence import report_photo
from bot.chat.taps import Button, Given, tap
from bot.chat.visit_form import offer_form, visit_asked
from bot.console.adapter import Echo
from bot.console.tally import Tally
from handlers import rights
from handlers.catalog import N_
from handlers.commands import Actor, Command, SendVisitReport
from handlers.model import Person, Platform, Role
from handlers.model.message_kinds import MessageKind
from handlers.results import Reply
from handlers.views import load_view
from messages.buttons import Button as Shown
from messages.i18n import Language
from messages.render import render_view
from messages.replies import reply_text

CHART_WRITTEN = N_("Progress chart: %(path)s")
NO_SUCH_FILE = N_("Cannot read %(path)s; give the path of a photo file.")
NO_DETAILS = N_("No visit of %(reference)s for you to read.")

Ask = Callable[[str, int], Awaitable[Given | None]]  # (action, target) -> the words, or None: taken care of


class ConsoleSession:
    def __init__(self, app: App, echo: Echo, colour: bool, charts: Path):
        self.app = app
        self.echo = echo
        self.colour = colour
        self.charts = charts  # where a status answer's progress chart is written
        self.taps = Tally()  # every button pressed here, by whom
        app.console.files = charts  # and a visit report the console is sent

    def person(self, role: Role) -> Person:
        return next(p for p in self.app.config.people if p.role is role)

    def find_button(self, action: str, target: int) -> int | None:
        """The newest on-screen number of a button, as a person would pick it."""
        numbers = [n for n, b in self.app.console.buttons.items() if b.action == action and b.target == target]
        return numbers[-1] if numbers else None

    async def tap(self, person: Person, number: int, text: str | None = None, ask: Ask | None = None) -> Reply | None:
        """`person` taps button [`number`], through the same path as a chat tap. Words the
        button needs are `text`, given with the tap (the scripted demo), or what `ask` gets
        once the tap is allowed (the interactive console)."""
        button = self.app.console.buttons.get(number)
        surface = ConsoleTap(self, person, number, ask or _nothing_asked)
        reply = await tap(self.app.bus, surface, str(number), words=text)
        if button is not None:  # a number that names no button is no press
            self.taps.press(person, button.label, refused=reply is not None and not reply.ok)
        return reply

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
        self.taps.press(person, button.label, refused=not reply.ok)
        return await self.answered(person, reply)

    async def act(self, person: Person, command: Command) -> Reply:
        return await self.answered(person, await self.app.bus.handle(command, Actor(person, Platform.CONSOLE)))

    async def answered(self, person: Person, reply: Reply) -> Reply:
        """Prints the bot's answer to `person`, then delivers what their action sent."""
        self.echo(self._answer(person, reply_text(reply, _language(person))))
        await self.app.dispatcher.deliver_pending()
        return reply

    async def say(self, person: Person, text: str) -> bool:
        """Answers a typed message; False when it is not something the bot understands."""
        if (reference := visit_asked(text)) is not None:
            offered = await offer_form(self.app, person, Platform.CONSOLE, reference)
            self.echo(self._answer(person, offered.text if offered.url is None else f"{offered.text} {offered.url}"))
            return True
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

    async def details(self, person: Person, reference: str) -> None:
        """The order's latest findings summary in full, what the console's summary leaves out
        (it names this command) included; for those who may have the visit's report, the
        same answer whether the order is unknown or not theirs."""
        language = _language(person)
        view = None
        if rights.may(person.role, SendVisitReport):
            async with self.app.store.unit_of_work() as uow:
                visits = await uow.visits.for_order(reference)
                if visits:  # newest first
                    payload = {"visit_id": visits[0].id}
                    view = await load_view(uow, self.app.settings, MessageKind.VISIT_SUMMARY, payload)
        if view is None:
            self.echo(self._answer(person, language.gettext(NO_DETAILS) % {"reference": reference}))
        else:
            self.echo(render_view("console", view, language, self.colour, unfolded=True).text)
        self.echo("")

    def _answer(self, person: Person, text: str) -> str:
        line = f"  ↳ bot to {person.name}: {text}"
        return click.style(line, dim=True) if self.colour else line


class ConsoleTap:
    """One tap of a numbered button (bot.chat.taps.TapSurface): the person is whoever the
    console plays, so never a stranger."""

    platform = Platform.CONSOLE

    def __init__(self, session: ConsoleSession, person: Person, number: int, ask: Ask):
        self.session = session
        self.person = person
        self.number = number
        self.asked = ask

    async def tapped_by(self) -> Person:
        return self.person

    async def button(self, token: str) -> Button | None:
        button = self.session.app.console.buttons.get(int(token))
        return None if button is None else (button.action, button.target)

    async def stranger(self) -> None:
        """Never called: `tapped_by` is always someone."""

    async def stale(self, person: Person) -> None:
        self.session.echo(f"  (no button [{self.number}] on screen)")

    async def ask(self, person: Person, action: str, target: int) -> Given | None:
        return await self.asked(action, target)

    async def answer(self, person: Person, action: str, target: int, reply: Reply) -> None:
        await self.session.answered(person, reply)

    def language(self, person: Person) -> Language:
        return _language(person)

    async def show(self, person: Person, buttons: tuple[Shown, ...]) -> None:
        """A printed message cannot change: the menu's buttons are printed, numbered anew."""
        if buttons:
            self.session.echo(self.session.app.console.keyboard(buttons))


async def _nothing_asked(action: str, target: int) -> Given:
    """A scripted tap gives its words with it, or has none."""
    return Given(None)


def _language(person: Person) -> Language:
    return Language(person.locale, person.timezone)
