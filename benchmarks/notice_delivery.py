"""What one delivery attempt of a notice costs, its PDF rendered each time or stored:
`.venv/bin/python benchmarks/notice_delivery.py [--quick] [-n 5] [--photos 1 5 10]`.

For each photo count, posts a one-finding visit whose finding has that many 12-megapixel
photos (a phone camera's), sends its notice and delivers it once (the PDF is rendered then,
in the CPU pool, and stored). Then times n delivery attempts of the same notice to the
factory's chat through the real dispatcher and python-telegram-bot against the fake Bot API,
two ways: "before", the PDF rendered on the event loop at every attempt, as delivery did
until issue 12 (the baseline column); "after", the stored PDF. Prints a table row per photo
count (benchmarks/run_all.py): median and p99 (wall time), the median CPU time of this process,
and the ratios of the medians. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from PIL import Image

from figures import row, timings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "visit-PO-2026-0142"
CAMERA = (4000, 3000)


def visit_with_photos(folder: Path, count: int) -> Path:
    """The example's first finding alone, with `count` distinct camera-sized photos."""
    from tests.conftest import one_finding, write_report

    report = one_finding(yaml.safe_load((EXAMPLE / "report.yaml").read_text(encoding="utf-8")))
    names = [f"photo-{i:02}.jpg" for i in range(count)]
    report["findings"][0]["photos"] = names
    with Image.open(EXAMPLE / "f1-glaze-crawl-1.jpg") as original:
        large = original.convert("RGB").resize(CAMERA)
    for i, name in enumerate(names):
        large.point(lambda v, i=i: min(255, v + i)).save(folder / name, "JPEG", quality=85)
    return write_report(folder, report)


class RenderEachTime:
    """Delivery before issue 12: the PDF rendered on the event loop at every attempt."""

    def __init__(self, media):
        self.media = media

    async def pdf(self, view) -> bytes:
        from messages.pdf import notice_pdf

        return notice_pdf(view, self.media)


async def attempts(app, notice_id: int, n: int) -> tuple[list[float], list[float]]:
    """Owes the factory chat the notice again, n times, and times each delivery: wall time,
    and this process's CPU time (steadier on a shared machine; the event loop's cost)."""
    from handlers.model import OutgoingMessage, Platform
    from messages.i18n import CHINESE
    from tests.telegram_world import FACTORY_CHAT

    took, cpu = [], []
    for _ in range(n):
        async with app.store.unit_of_work() as uow:
            await uow.outbox.add(OutgoingMessage(Platform.TELEGRAM, str(FACTORY_CHAT), "notice",
                                                 {"notice_id": notice_id, "version": 1}, CHINESE))
            await uow.commit()
        start, start_cpu = time.perf_counter(), time.process_time()
        assert await app.dispatcher.deliver_pending() == 1
        took.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return took, cpu


async def one_count(count: int, n: int) -> None:
    from telegram import Bot

    from bot.app import build_app
    from bot.config import EXAMPLE_CONFIG, Storage, load_config
    from bot.telegram.adapter import TelegramAdapter
    from handlers.commands import ApproveInstruction, PostVisit, SendNotice
    from handlers.model import Platform, Role
    from handlers.intake.reports import read_report
    from tests.conftest import actor, deliver_until_done
    from tests.fake_telegram import FakeTelegram
    from tests.fakes import FakeClock
    from tests.telegram_world import telegram_config

    with tempfile.TemporaryDirectory() as folder:
        config = telegram_config(load_config(EXAMPLE_CONFIG).model_copy(
            update={"storage": Storage(url=f"sqlite:///{Path(folder) / 'followup.sqlite3'}")}))
        visit = Path(folder) / "visit"
        visit.mkdir()
        report_path = visit_with_photos(visit, count)
        clock = FakeClock()
        async with FakeTelegram() as fake:
            app = await build_app(config, clock)
            bot = Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
            await bot.initialize()
            adapter = TelegramAdapter(bot, app.store, app.media, clock, app.documents)
            app.dispatcher.add_adapter(adapter)
            try:
                with read_report(report_path, [f.id for f in config.factories]) as checked:
                    assert checked.ok, checked.problems
                    for photo in checked.photos.values():
                        app.media.put(photo.path, photo.sha256, photo.format)
                    photos = {name: photo.sha256 for name, photo in checked.photos.items()}
                    posted = await app.bus.handle(PostVisit(checked.report, photos), actor(config, Role.INSPECTOR))
                buyer = actor(config, Role.BUYER, Platform.TELEGRAM)
                async with app.store.unit_of_work() as uow:
                    instructions = await uow.instructions.for_visit(posted.params["visit_id"])
                for instruction in instructions:
                    await app.bus.handle(ApproveInstruction(instruction.id), buyer)
                notice_id = (await app.bus.handle(SendNotice(posted.params["visit_id"]), buyer)).params["notice_id"]
                await app.cpu.warm()
                await deliver_until_done(app, clock)  # the first delivery renders and stores the PDF

                adapter.documents = RenderEachTime(app.media)
                before = await attempts(app, notice_id, n)
                adapter.documents = app.documents
                after = await attempts(app, notice_id, n)
            finally:
                await bot.shutdown()
                await app.close()
    after_cpu, before_cpu = statistics.median(after[1]), statistics.median(before[1])
    print(row(f"notice delivery, {count} photo{'s' if count > 1 else ''} (PDF stored since issue 12)",
              f"{timings(after[0])}; CPU {after_cpu:,.1f} ms", f"rendered at every attempt: {timings(before[0])};"
              f" CPU {before_cpu:,.1f} ms", f"{statistics.median(before[0]) / statistics.median(after[0]):,.0f}× faster"
              f" (CPU {before_cpu / after_cpu:,.0f}×)"), flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="notice_delivery.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 attempts, 1 and 5 photos")
    parser.add_argument("-n", type=int, help="delivery attempts per way and photo count (default 5)")
    parser.add_argument("--photos", type=int, nargs="+", help="photos on the notice (default 1 5 10)")
    args = parser.parse_args(argv)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["PTB_TIMEDELTA"] = "1"
    logging.basicConfig(level=logging.WARNING)
    for count in args.photos or ([1, 5] if args.quick else [1, 5, 10]):
        asyncio.run(one_count(count, args.n or (3 if args.quick else 5)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
