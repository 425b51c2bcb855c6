"""The demo's script: a scripted inspector, buyer and factory up to the corrective notice,
within minutes, and the stage every section plays on (the clock, the narration, taps, the
chase loop), which the follow-up over days (bot/console/demo_loop.py) plays on too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.app import App
from bot.config import EXAMPLE_CONFIG
from bot.console.adapter import Echo
from bot.console.session import ConsoleSession
from handlers.chasing import Chased, chase
from handlers.commands import ApproveInstruction, PostVisit
from handlers.intake.reports import read_report
from handlers.model import Role
from handlers.model.message_kinds import MessageKind
from handlers.views import load_view
from messages import buttons as b
from messages.i18n import ENGLISH, Language
from messages.pdf import notice_pdf
from messages.render import notice_file

# Beside the example configuration, found from bot/config.py wherever this module lives.
EXAMPLE_REPORT = EXAMPLE_CONFIG.parent / "visit-PO-2026-0142" / "report.yaml"
LOOP_TICK = timedelta(minutes=30)  # the real loop runs every minute; half-hours find the same moments


@dataclass
class ScriptClock:
    """The demo's time: the evening after the visit, a few minutes per step, then days."""

    moment: datetime = datetime(2026, 11, 24, 11, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, minutes: int) -> None:
        self.moment += timedelta(minutes=minutes)


class Script:
    def __init__(self, app: App, session: ConsoleSession, clock: ScriptClock, echo: Echo, colour: bool):
        self.app, self.session, self.clock, self.echo, self.colour = app, session, clock, echo, colour
        self.buyer = session.person(Role.BUYER)
        self.inspector = session.person(Role.INSPECTOR)
        self.factory = session.person(Role.FACTORY)
        self.factory_zone = app.settings.factories[self.factory.factory].timezone
        self.sections = 0
        self.clock_shown: datetime | None = None

    async def up_to_the_notice(self, out: Path) -> tuple[int, int]:
        visit_id = await self.post_visit()
        await self.decide(visit_id)
        notice_id = await self.send_notice(visit_id)
        await self.write_notice(notice_id, out)
        return visit_id, notice_id

    def step(self, title: str) -> None:
        self.sections += 1
        title = f"{self.sections}. {title}"
        line = f"\n═══ {title} " + "═" * max(0, 72 - len(title))
        self.echo(click.style(line, fg="magenta", bold=True) if self.colour else line)

    def narrate(self, text: str) -> None:
        self.echo(click.style(f"» {text}", italic=True) if self.colour else f"» {text}")

    def show_clock(self) -> None:
        """The time as each side lives it: the buyer in Berlin, the factory in Ningbo."""
        if self.clock_shown == self.clock.moment:
            return
        self.clock_shown = self.clock.moment
        buyer, factory = (self.local(zone) for zone in (self.buyer.timezone, self.factory_zone))
        line = f"🕒 {buyer} for {self.buyer.name} (buyer) · {factory} at the factory"
        self.echo(click.style(line, fg="green", bold=True) if self.colour else line)

    def local(self, zone: str, moment: datetime | None = None) -> str:
        local = (moment or self.clock.moment).astimezone(ZoneInfo(zone))
        return f"{local:%a} {local.day} {local:%b %H:%M} {Language(ENGLISH, zone).zone_name(local)}"

    def next_local(self, zone: str, at: time, after: datetime | None = None) -> datetime:
        """The next moment, after `after` (default: now), when it is `at` o'clock in `zone`."""
        after = after or self.clock.moment
        local = ZoneInfo(zone)
        day = after.astimezone(local).date()
        moment = datetime.combine(day, at, tzinfo=local)
        return moment if moment > after else datetime.combine(day + timedelta(days=1), at, tzinfo=local)

    async def run_until(self, until: datetime) -> Chased:
        """The bot's chase loop up to `until`, a pass each half hour and one at `until`;
        what a pass sends is delivered at once, under the time it went."""
        done = Chased()
        tick = self.clock.moment.replace(minute=0, second=0, microsecond=0)
        while tick <= until:
            if tick > self.clock.moment:
                done += await self.chase_at(tick)
            tick += LOOP_TICK
        if until > self.clock.moment:
            done += await self.chase_at(until)
        self.show_clock()
        return done

    async def chase_at(self, moment: datetime) -> Chased:
        self.clock.moment = moment
        chased = await chase(self.app.store, self.clock, self.app.settings)
        if chased != Chased():
            self.show_clock()
            await self.app.dispatcher.deliver_pending()
        return chased

    async def post_visit(self) -> int:
        self.step("The inspector posts the visit report")
        self.narrate(f"{self.inspector.name} sends {EXAMPLE_REPORT.parent.name}/{EXAMPLE_REPORT.name} with 7 photos")
        with read_report(EXAMPLE_REPORT, self.app.settings.factories,
                         overrun_pct=self.app.settings.thresholds.overrun_pct) as checked:
            if not checked.ok:
                raise RuntimeError("the example report does not pass its own checks: "
                                   + "; ".join(map(str, checked.problems)))
            for photo in checked.photos.values():
                self.app.media.put(photo.path, photo.sha256, photo.format)
            photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await self.session.act(self.inspector, PostVisit(checked.report, photos))
        return reply.params["visit_id"]

    async def tap(self, person, action: str, target: int, text: str | None = None, say: str = "") -> None:
        number = self.pressing(person, action, target, say)
        await self.session.tap(person, number, text)

    async def tap_with_photo(self, person, action: str, target: int, photo: Path) -> None:
        """A button that asks for photos, answered with the file at `photo`."""
        number = self.pressing(person, action, target, f" and sends {photo.name}")
        await self.session.report_photo(person, number, photo)

    def pressing(self, person, action: str, target: int, say: str) -> int:
        """The on-screen number of the button `person` presses two minutes on, told as they press it."""
        self.clock.advance(2)
        number = self.session.find_button(action, target)
        if number is None:
            raise RuntimeError(f"the demo expected a {action} button for {target} on screen")
        self.narrate(f"{person.name} taps [{number}] {action.replace('_', ' ')}{say}")
        return number

    async def decide(self, visit_id: int) -> None:
        """The usual case in one tap (Approve all), then what stays possible until the notice
        is sent: a reworded note, a rejection; and what is refused."""
        self.step("The buyer approves all proposed instructions, then changes two")
        ids = await self.instruction_ids(visit_id)
        await self.tap(self.buyer, b.APPROVE_ALL, visit_id)
        await self.tap(self.buyer, b.APPROVE_ALL, visit_id, say=" again (a double tap)")
        note = "Correct the backstamp screen before the next firing; send a photo of the first corrected unit."
        await self.tap(self.buyer, b.EDIT, ids["findings.1"], note, say=f' and writes: "{note}"')
        await self.tap(self.buyer, b.REJECT, ids["findings.2"], "Within the tolerance of the approved sample; "
                       "we check colour again at the final inspection.", say=" with a reason")
        self.narrate(f"{self.factory.name} (factory) tries to approve an instruction too")
        await self.session.act(self.factory, ApproveInstruction(ids["materials.2"]))

    async def send_notice(self, visit_id: int) -> int:
        self.step("The buyer sends the corrective notice; the factory receives it")
        await self.tap(self.buyer, b.SEND_NOTICE, visit_id)
        # Held back: the buyer's new note for F2 is in English only; they give its Chinese, then send.
        ids = await self.instruction_ids(visit_id)
        chinese = "下一窑烧成前更正底标丝网版；请发送第一件更正后产品的照片。"
        await self.tap(self.buyer, b.ADD_CHINESE, ids["findings.1"], chinese, say=f" and writes: {chinese}")
        await self.tap(self.buyer, b.SEND_NOTICE, visit_id, say=" again")
        async with self.app.store.unit_of_work() as uow:
            return (await uow.notices.for_visit(visit_id))[-1].id

    async def write_notice(self, notice_id: int, out: Path) -> None:
        async with self.app.store.unit_of_work() as uow:
            view = await load_view(uow, self.app.settings, MessageKind.NOTICE, {"notice_id": notice_id})
        out.mkdir(parents=True, exist_ok=True)
        link = self.app.documents.link(view)
        for surface, suffix in (("html", "html"), ("text", "txt")):
            path = out / f"{view.notice.number}.{suffix}"
            path.write_text(notice_file(surface, view, self.app.media, link) + "\n", encoding="utf-8")
            self.narrate(f"notice written to {path}")
        pdf = out / f"{view.notice.number}.pdf"
        pdf.write_bytes(notice_pdf(view, self.app.media, link))
        self.narrate(f"notice written to {pdf}")

    async def ask_status(self) -> None:
        self.step("Order status by message")
        for person, text in ((self.buyer, "status PO-2026-0142"), (self.factory, "PO-2026-0142 进度"),
                             (self.buyer, "status PO-2026-0124"), (self.buyer, "/orders")):
            self.narrate(f'{person.name} writes "{text}"')
            await self.session.say(person, text)

    def count_taps(self) -> None:
        """The taps each person made in the whole loop, as the console session counted them."""
        self.step("The taps each person made")
        for person in (self.inspector, self.buyer, self.factory):
            pressed = self.session.taps.of(person)
            listed = f": {', '.join(pressed)}" if pressed else " (the report is sent as a file)"
            self.narrate(f"{person.name} ({person.role}): {len(pressed)} tap{'' if len(pressed) == 1 else 's'}{listed}")

    async def instruction_ids(self, visit_id: int) -> dict[str, int]:
        """Instruction ids by what they answer ("findings.0", "packaging.checks.1", …)."""
        async with self.app.store.unit_of_work() as uow:
            return {i.source: i.id for i in await uow.instructions.for_visit(visit_id)}
