"""The demo's follow-up, over five days of the demo clock: the factory stays silent, the bot
reminds it within its working hours and alerts the buyer; the factory then acknowledges,
gives completion dates and reports work done with photos, which the buyer verifies or sends
back; a due date passes without a done report."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.console.demo import EXAMPLE_REPORT, Script
from handlers.chasing import escalation_due
from handlers.model import Factory, Instruction, Notice
from handlers.views import label_of
from handlers.working_hours import next_working_moment
from messages import buttons as b

CORRECTED_PHOTO = "f2-backstamp-corrected.jpg"
REOPEN_REASON = ("This is the inspection photo of the wrong side mark, not a corrected carton. "
                 "Send a photo of a relabelled carton that reads PO-2026-0142.")


async def follow_up(demo: Script, visit_id: int, notice_id: int, directory: Path) -> None:
    ids = await demo.instruction_ids(visit_id)
    await no_answer(demo, notice_id)
    await alert_the_buyer(demo, notice_id)
    await answer(demo, notice_id, ids)
    await report_done(demo, notice_id, ids, directory)
    await overdue(demo, ids["findings.0"])


async def no_answer(demo: Script, notice_id: int) -> None:
    demo.step("The factory does not answer: a reminder in its working hours")
    notice, factory = await _notice(demo, notice_id)
    demo.narrate(f"{demo.factory.name} stays silent. The notice asks for an answer within "
                 f"{factory.acknowledge_within_hours} h: by {demo.local(factory.timezone, notice.acknowledge_by)}.")
    await demo.run_until(notice.acknowledge_by)
    morning = next_working_moment(notice.acknowledge_by, factory)
    demo.narrate(f"The deadline passes after the factory's working day ({factory.working_hours_start:%H:%M}–"
                 f"{factory.working_hours_end:%H:%M}): the reminder waits for "
                 f"{demo.local(factory.timezone, morning)}.")
    await demo.run_until(morning)


async def alert_the_buyer(demo: Script, notice_id: int) -> None:
    demo.step("Two days without an answer: the buyer is alerted and gives more time")
    notice, factory = await _notice(demo, notice_id)
    demo.narrate(f"The bot reminds the factory every {factory.remind_every_hours} h within its working hours "
                 f"and alerts the buyer {factory.escalate_after_hours} h after sending.")
    await demo.run_until(escalation_due(notice, factory))
    await demo.run_until(demo.clock.moment + timedelta(minutes=10))
    await demo.tap(demo.buyer, b.EXTEND, notice_id, say=" by 24 h")


async def answer(demo: Script, notice_id: int, ids: dict[str, int]) -> None:
    demo.step("The factory acknowledges and gives completion dates")
    _, factory = await _notice(demo, notice_id)
    await demo.run_until(next_working_moment(demo.clock.moment, factory) + timedelta(minutes=15))
    await demo.tap(demo.factory, b.ACKNOWLEDGE, notice_id, say=" on the deadline message")
    on_time, later = await _instructions(demo, ids["findings.0"], ids["materials.2"])
    await demo.tap(demo.factory, b.UPDATE_PROGRESS, notice_id)
    await _commit(demo, on_time, on_time.due, "its due date")
    pads = _day(later.due + timedelta(days=2))
    await _commit(demo, later, later.due + timedelta(days=3),
                  f"3 days after its due date: the approved silicone pads arrive on {pads}")
    await demo.run_until(demo.next_local(demo.buyer.timezone, time(8, 5)))
    await demo.tap(demo.buyer, b.ACCEPT_DATE, later.id)


async def report_done(demo: Script, notice_id: int, ids: dict[str, int], directory: Path) -> None:
    demo.step("Done, with photos: the buyer verifies one and reopens another")
    backstamp, marks = ids["findings.1"], ids["packaging.checks.1"]
    await demo.run_until(demo.next_local(demo.factory_zone, time(16, 30)))
    await demo.tap(demo.factory, b.UPDATE_PROGRESS, notice_id)
    await demo.tap_with_photo(demo.factory, b.REPORT_DONE, backstamp, corrected_backstamp(directory))
    await demo.run_until(demo.clock.moment + timedelta(minutes=10))
    await demo.tap(demo.buyer, b.VERIFY, backstamp)

    await demo.run_until(demo.next_local(demo.factory_zone, time(10, 0)))
    demo.narrate(f"{demo.factory.name} reports P2 done, with p2-side-mark.jpg: the photo from the inspection visit")
    await demo.tap(demo.factory, b.UPDATE_PROGRESS, notice_id)
    await demo.tap_with_photo(demo.factory, b.REPORT_DONE, marks, EXAMPLE_REPORT.parent / "p2-side-mark.jpg")
    await demo.run_until(demo.next_local(demo.buyer.timezone, time(8, 30)))
    await demo.tap(demo.buyer, b.REOPEN, marks, REOPEN_REASON, say=f' and writes why: "{REOPEN_REASON}"')


async def overdue(demo: Script, instruction_id: int) -> None:
    demo.step("A date passes without a done report: the overdue alert")
    (instruction,) = await _instructions(demo, instruction_id)
    past = datetime.combine(instruction.deadline + timedelta(days=1), time(0), tzinfo=ZoneInfo(demo.factory_zone))
    demo.narrate(f"{label_of(instruction.source)} is due {_day(instruction.deadline)} (the date the factory gave) "
                 "and nobody reports it done. The bot alerts the buyer once per order and factory day.")
    chased = await demo.run_until(demo.next_local(demo.buyer.timezone, time(9, 0), after=past))
    demo.narrate(f"The loop came round every half hour and sent {chased.overdue_alerts} overdue alert; another "
                 f"comes on the factory's next day if {label_of(instruction.source)} is still open.")


async def _commit(demo: Script, instruction: Instruction, day: date, why: str) -> None:
    text = f"{day.month}月{day.day}日"  # as a Chinese factory writes it
    await demo.tap(demo.factory, b.COMMIT_DATE, instruction.id, text,
                   say=f' for {label_of(instruction.source)} and writes "{text}": {why}')


async def _instructions(demo: Script, *instruction_ids: int) -> list[Instruction]:
    async with demo.app.store.unit_of_work() as uow:
        return [await uow.instructions.get(i) for i in instruction_ids]


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


async def _notice(demo: Script, notice_id: int) -> tuple[Notice, Factory]:
    async with demo.app.store.unit_of_work() as uow:
        notice = await uow.notices.get(notice_id)
    return notice, demo.app.settings.factories[notice.factory_id]


def corrected_backstamp(directory: Path) -> Path:
    """A photo of the corrected backstamp, drawn here into `directory`: the file the factory
    sends with its done report."""
    from PIL import Image, ImageDraw, ImageFont  # only the demo draws a photo

    image = Image.new("RGB", (480, 360), (204, 214, 198))
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 30, 390, 330), fill=(238, 234, 224), outline=(120, 130, 115), width=6)
    font = ImageFont.load_default(size=30)
    for y, line in ((130, "NORDHAUS"), (180, "MADE IN CHINA"), (230, "NH-MUG-350")):
        draw.text((240, y), line, fill=(40, 60, 110), font=font, anchor="mm")
    path = directory / CORRECTED_PHOTO
    image.save(path, "JPEG", quality=85)
    return path
