"""How fast the buyer's taps are answered while an inspector's upload is checked:
`.venv/bin/python benchmarks/taps_during_upload.py [-n 30]`.

Runs the bot on the fake Bot API (real python-telegram-bot, real worker pool, SQLite in a temp
folder), posts a one-finding visit so the buyer has a button, then times N taps (from the tap
to its answer) three ways: with nothing else going on; while the inspector sends, again and
again, the hostile corpus's worst bundle (3,000 photo names for one 4-megapixel image: the
upload that froze the bot for minutes); and while the inspector sends a heavy honest bundle
(40 distinct 12-megapixel photos, each decoded in full). Prints median and p95 against the
issue's one second, and how long each upload took to be answered.
Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml
from PIL import Image

from figures import line

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BUDGET_MS = 1000
WORST = ROOT / "tests" / "hostile" / "reports" / "3000-photo-names-one-file.zip"


def heavy_bundle(report: dict, count: int = 40) -> bytes:
    """`count` distinct 4000×3000 JPEGs (gradients: small files, full decoding cost)."""
    from tests.hostile.build import dumped

    buffer = io.BytesIO()
    names = [f"photo-{i:02}.jpg" for i in range(count)]
    finding = {key: value for key, value in report["findings"][0].items() if key != "instruction"}
    report = {**report, "findings": [{**finding, "photos": names[i:i + 20]} for i in range(0, count, 20)]}
    gradient = Image.linear_gradient("L").resize((4000, 3000))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr("report.yaml", dumped(report))
        for i, name in enumerate(names):
            photo = io.BytesIO()
            Image.merge("RGB", (gradient, gradient.point(lambda v, i=i: (v + 6 * i) % 256), gradient)).save(
                photo, "JPEG", quality=70)
            bundle.writestr(name, photo.getvalue())
    return buffer.getvalue()


async def tap_latencies(world, button: tuple[int, str], taps: int) -> list[float]:
    """The buyer taps F1's Approve `taps` times; after the first it is a stale button, which
    the bot answers all the same."""
    from tests.telegram_world import BUYER_CHAT

    message_id, data = button
    latencies = []
    for _ in range(taps):
        answers = len(world.fake.callback_answers)
        start = time.perf_counter()
        await world.fake.tap(BUYER_CHAT, world.buyer, message_id, data, forged=True)
        await world.fake.wait_for(lambda: len(world.fake.callback_answers) > answers, timeout=600)
        latencies.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.05)
    return latencies


async def uploading(world, name: str, content: bytes, stop: asyncio.Event, took: list[float]) -> None:
    """The inspector sends `content` again and again, each time once the last was answered."""
    from tests.telegram_world import INSPECTOR_ID

    while not stop.is_set():
        before = len(world.chat(INSPECTOR_ID))
        start = time.perf_counter()
        await world.fake.send_document(INSPECTOR_ID, world.inspector, name, content)
        await world.fake.wait_for(lambda: len(world.chat(INSPECTOR_ID)) > before, timeout=900)
        took.append((time.perf_counter() - start) * 1000)


async def main(taps: int, scenarios: list[str]) -> None:
    from bot.config import EXAMPLE_CONFIG, Storage, load_config
    from tests.conftest import bundle_of, one_finding
    from tests.fakes import FakeClock
    from tests.hostile.build import base_report
    from tests.telegram_world import INSPECTOR_ID, running

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["PTB_TIMEDELTA"] = "1"
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(EXAMPLE_CONFIG).model_copy(
            update={"storage": Storage(url=f"sqlite:///{Path(folder) / 'followup.sqlite3'}")})
        visit = Path(folder) / "visit"
        visit.mkdir()
        for photo in (ROOT / "examples" / "visit-PO-2026-0142").glob("*.jpg"):
            (visit / photo.name).write_bytes(photo.read_bytes())
        made = {  # before the bot runs: making 40 big JPEGs would hold up its event loop
            "worst": lambda: ("during 3,000-names bundle", WORST.name, WORST.read_bytes()),
            "heavy": lambda: ("during 40 × 12 MP photos bundle", "heavy.zip", heavy_bundle(base_report())),
        }
        uploads = [made[chosen]() for chosen in scenarios]
        example = yaml.safe_load((ROOT / "examples" / "visit-PO-2026-0142" / "report.yaml").read_text("utf-8"))
        async with running(config, FakeClock()) as world:
            await world.app.cpu.warm()
            await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip",
                                           bundle_of(visit, one_finding(example)))
            await world.fake.wait_for(lambda: world.chat(INSPECTOR_ID), timeout=60)
            await world.settled()
            f1 = world.finding("F1")
            button = f1.message_id, next(data for label, data in f1.buttons.items() if "Approve" in label)
            print(line("taps idle", await tap_latencies(world, button, taps), BUDGET_MS, width=34))
            for label, name, content in uploads:
                stop, took = asyncio.Event(), []
                upload = asyncio.create_task(uploading(world, name, content, stop, took))
                await asyncio.sleep(0.5)
                latencies = await tap_latencies(world, button, taps)
                stop.set()
                await upload
                print(line(f"taps {label}", latencies, BUDGET_MS, width=34))
                print(line("  each upload answered in", took, float("inf"), width=34).split("   (")[0])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="taps per scenario")
    parser.add_argument("--upload", action="append", choices=["worst", "heavy"],
                        help="which uploads to tap during (default: both)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.n, arguments.upload or ["worst", "heavy"]))
