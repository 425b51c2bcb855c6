"""`followup demo`: the whole flow on SQLite and the console, with a scripted buyer and
factory, so a newcomer sees what the bot does without tokens or network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bot.app import App, build_app
from bot.config import Config, Storage
from bot.console import ConsoleAdapter, Echo
from bot.console_session import ConsoleSession
from handlers.commands import ApproveInstruction, PostVisit
from handlers.model import Role
from handlers.reports.reader import read_report
from handlers.views import load_view
from messages import buttons as b
from messages.pdf import notice_pdf
from messages.render import render_notice

EXAMPLE_REPORT = Path(__file__).resolve().parent.parent / "examples" / "visit-PO-2026-0142" / "report.yaml"


@dataclass
class ScriptClock:
    """The demo's time: the evening after the visit, a few minutes per step."""

    moment: datetime = datetime(2026, 11, 24, 11, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, minutes: int) -> None:
        self.moment += timedelta(minutes=minutes)


async def run_demo(config: Config, directory: Path, out: Path, echo: Echo, colour: bool) -> App:
    directory.mkdir(parents=True, exist_ok=True)
    config = config.model_copy(update={"storage": Storage(url=f"sqlite:///{directory / 'followup.sqlite3'}")})
    clock = ScriptClock()
    app = await build_app(config, clock, ConsoleAdapter(echo, colour))
    demo = _Script(app, ConsoleSession(app, echo, colour, out), clock, echo, colour)
    try:
        await demo.run(out)
    finally:
        await app.close()
    return app


class _Script:
    def __init__(self, app: App, session: ConsoleSession, clock: ScriptClock, echo: Echo, colour: bool):
        self.app, self.session, self.clock, self.echo, self.colour = app, session, clock, echo, colour
        self.buyer = session.person(Role.BUYER)
        self.inspector = session.person(Role.INSPECTOR)
        self.factory = session.person(Role.FACTORY)

    async def run(self, out: Path) -> None:
        visit_id = await self.post_visit()
        await self.decide(visit_id)
        notice_id = await self.send_notice(visit_id)
        await self.write_notice(notice_id, out)
        await self.acknowledge(notice_id)
        await self.ask_status()

    def step(self, title: str) -> None:
        line = f"\n═══ {title} " + "═" * max(0, 72 - len(title))
        self.echo(click.style(line, fg="magenta", bold=True) if self.colour else line)

    def narrate(self, text: str) -> None:
        self.echo(click.style(f"» {text}", italic=True) if self.colour else f"» {text}")

    async def post_visit(self) -> int:
        self.step("1. The inspector posts the visit report")
        self.narrate(f"{self.inspector.name} sends {EXAMPLE_REPORT.parent.name}/{EXAMPLE_REPORT.name} with 7 photos")
        with read_report(EXAMPLE_REPORT, self.app.settings.factories) as checked:
            if not checked.ok:
                raise RuntimeError("the example report does not pass its own checks: "
                                   + "; ".join(map(str, checked.problems)))
            for photo in checked.photos.values():
                self.app.media.put(photo.path, photo.sha256, photo.format)
            photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await self.session.act(self.inspector, PostVisit(checked.report, photos))
        return reply.params["visit_id"]

    async def tap(self, person, action: str, target: int, text: str | None = None, say: str = "") -> None:
        self.clock.advance(2)
        number = self.session.find_button(action, target)
        self.narrate(f"{person.name} taps [{number}] {action.replace('_', ' ')}{say}")
        await self.session.tap(person, number, text)

    async def decide(self, visit_id: int) -> None:
        self.step("2. The buyer decides each proposed instruction")
        ids = {i.source: i.id for i in await self._instructions(visit_id)}
        await self.tap(self.buyer, b.APPROVE, ids["findings.0"])
        await self.tap(self.buyer, b.APPROVE, ids["findings.0"], say=" again (a double tap)")
        note = "Correct the backstamp screen before the next firing; send a photo of the first corrected unit."
        await self.tap(self.buyer, b.EDIT, ids["findings.1"], note, say=f' and writes: "{note}"')
        await self.tap(self.buyer, b.REJECT, ids["findings.2"], "Within the tolerance of the approved sample; "
                       "we check colour again at the final inspection.", say=" with a reason")
        self.narrate(f"{self.factory.name} (factory) tries to approve an instruction too")
        await self.session.act(self.factory, ApproveInstruction(ids["materials.2"]))
        for source in ("materials.2", "packaging.checks.0", "packaging.checks.1", "packaging.checks.2"):
            await self.tap(self.buyer, b.APPROVE, ids[source])

    async def send_notice(self, visit_id: int) -> int:
        self.step("3. The buyer sends the corrective notice; the factory receives it")
        await self.tap(self.buyer, b.SEND_NOTICE, visit_id)
        async with self.app.store.unit_of_work() as uow:
            return (await uow.notices.for_visit(visit_id))[-1].id

    async def write_notice(self, notice_id: int, out: Path) -> None:
        async with self.app.store.unit_of_work() as uow:
            view = await load_view(uow, self.app.settings, "notice", {"notice_id": notice_id})
        out.mkdir(parents=True, exist_ok=True)
        for surface, suffix in (("html", "html"), ("text", "txt")):
            path = out / f"{view.notice.number}.{suffix}"
            path.write_text(render_notice(surface, view, self.app.media.find) + "\n", encoding="utf-8")
            self.narrate(f"notice written to {path}")
        pdf = out / f"{view.notice.number}.pdf"
        pdf.write_bytes(notice_pdf(view, self.app.media.find))
        self.narrate(f"notice written to {pdf}")

    async def acknowledge(self, notice_id: int) -> None:
        self.step("4. The factory acknowledges; the buyer is told")
        self.clock.advance(40)
        await self.tap(self.factory, b.ACKNOWLEDGE, notice_id)

    async def ask_status(self) -> None:
        self.step("5. Order status by message")
        for person, text in ((self.buyer, "status PO-2026-0142"), (self.factory, "PO-2026-0142 进度"),
                             (self.buyer, "status PO-2026-0124"), (self.buyer, "/orders")):
            self.narrate(f'{person.name} writes "{text}"')
            await self.session.say(person, text)

    async def _instructions(self, visit_id: int):
        async with self.app.store.unit_of_work() as uow:
            return await uow.instructions.for_visit(visit_id)
