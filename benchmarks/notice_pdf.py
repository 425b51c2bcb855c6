"""How long a notice's PDF takes, as the running bot makes it: `.venv/bin/python benchmarks/notice_pdf.py [--quick]`.

The issue's heavy notice: 20 instructions with one camera photo each (4000×3000 JPEGs of
2–4 MB, made here in a temporary folder), posted, approved and sent on SQLite with the console
platform. Timed: the first PDF of the notice in fresh workers (forked from the fork server the bot warms at start),
with no photo's thumbnail kept and with them made ahead as the bot makes them when it accepts
the photos (the first delivery after posting), the PDF in the bot's warm CPU
pool (`NoticeDocuments` renders it in a worker, as every delivery asks for it; each run renders
afresh), and `notice_pdf` called in this process, warm. Median and p99 over the runs, against
the issue's 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from big_visit import write_visit  # noqa: E402
from rows import HEADER, ms, repetitions, row  # noqa: E402

TARGET = "< 300 ms"


async def sent_notice(folder: Path):
    """The app and the view of the notice sent for a 20-finding visit, one photo each."""
    from bot.app import build_console_app
    from bot.cli.poster import poster
    from bot.config import EXAMPLE_CONFIG, Storage, load_config
    from bot.intake import intake
    from handlers.clock import SystemClock
    from handlers.commands import ApproveAllInstructions, PostVisit, SendNotice
    from handlers.views import load_notice_version

    config = load_config(EXAMPLE_CONFIG).model_copy(
        update={"storage": Storage(url=f"sqlite:///{folder / 'followup.sqlite3'}")})
    app = await build_console_app(config, SystemClock(), lambda text: None)
    await app.cpu.warm()  # as `followup run` does at start: its fork server serves every worker after
    visit = folder / "visit"
    visit.mkdir()
    report = write_visit(visit, findings=20, photos_each=1)
    checked = await asyncio.to_thread(intake, report, [f.id for f in config.factories], app.media)
    buyer = next(p for p in config.people if p.role.value == "buyer")
    from handlers.commands import Actor
    from handlers.model import Platform

    as_buyer = Actor(buyer, Platform.CONSOLE)
    posted = await app.bus.handle(PostVisit(checked.report, {n: p.sha256 for n, p in checked.photos.items()}),
                                  poster(config, None))
    visit_id = posted.params["visit_id"]
    await app.bus.handle(ApproveAllInstructions(visit_id), as_buyer)
    sent = await app.bus.handle(SendNotice(visit_id, english_only_confirmed=True), as_buyer)
    async with app.store.unit_of_work() as uow:
        view = await load_notice_version(uow, app.settings, sent.params["notice_id"], None)
    return app, view


async def cold(app, view, thumbnails: bool) -> float:
    """The first PDF in new workers: with no thumbnail kept (storage.media keeps them there), or
    with them made ahead, as the bot does when it accepts the photos (NoticeDocuments.prepare_photos)."""
    shutil.rmtree(app.media.root.parent / "thumbnails", ignore_errors=True)
    if thumbnails:
        from messages.photos import keep_thumbnails

        keep_thumbnails(app.media, sorted(set(view.visit.photos.values())))
    app.cpu.close()
    await app.cpu.warm()
    start = time.perf_counter()
    await app.documents._render(view)
    return (time.perf_counter() - start) * 1000


async def measure(repeat: int, cold_repeat: int) -> None:
    from messages.pdf import notice_pdf

    with tempfile.TemporaryDirectory(prefix="followup-bench-pdf-") as name:
        app, view = await sent_notice(Path(name))
        try:
            first = [await cold(app, view, thumbnails=False) for _ in range(cold_repeat)]
            ahead = [await cold(app, view, thumbnails=True) for _ in range(cold_repeat)]
            in_pool, in_process = [], []
            for _ in range(repeat + 1):  # the first of each is the warm-up, not counted
                start = time.perf_counter()
                await app.documents._render(view)
                in_pool.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                notice_pdf(view, app.media, None)
                in_process.append((time.perf_counter() - start) * 1000)
        finally:
            await app.close()
    print(HEADER)
    print(row("first notice PDF in fresh workers, no thumbnail kept", ms(first), "", "", TARGET))
    print(row("first notice PDF in fresh workers, thumbnails made when the photos were accepted", ms(ahead), "", "",
              TARGET))
    print(row("notice PDF in the running bot's CPU pool (20 instructions, 20 photos of 2–4 MB)", ms(in_pool[1:]),
              "", "", TARGET))
    print(row("notice PDF in one process, warm", ms(in_process[1:]), "", "", TARGET))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 renderings instead of 15")
    args = parser.parse_args(argv)
    asyncio.run(measure(repetitions(args.quick, 15), repetitions(args.quick, 5)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
