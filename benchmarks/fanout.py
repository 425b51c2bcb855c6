"""The outbox under Telegram's flood limits, enforced by the fake Bot API:
`.venv/bin/python benchmarks/fanout.py [--quick]`.

1. Fan-out: 500 messages to 50 private chats (ten each, enqueued as ten broadcasts), delivered
   by the real dispatcher and python-telegram-bot. "Baseline" is what the limits themselves
   impose on those sends (a message a second per chat, thirty a second overall: the longest
   of the windows' waits, computed from what the fake received); the ratio is bot / baseline
   (target ≤ 1.10), with the messages lost or sent twice and the 429s the fake answered.
2. A 20-finding visit (40 photos) posted into a Telegram group (twenty messages a minute, each
   photo of an album counted): how long until every finding is in the group with its buttons
   (target: under a minute), and until the last photo is; beside the least the limits allow
   the layout of one message per finding, photos first, that a group got before.

`--quick` compresses every window of the fake and of the bot's pacing alike, the fan-out's
twofold (100 messages to 10 chats), the group's tenfold (a minute is six seconds): the rows say
so. Without it a run takes about three minutes. Prints Markdown rows: metric | bot | baseline | ratio | target.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines import POSTGRES_HELP, engine_label, store_url  # noqa: E402  (benchmarks/, the script's folder)

GROUP = -100_777
FINDINGS = 20


def limit_bound(sends: list[tuple[int, int]], windows: dict[str, tuple[int, float]]) -> float:
    """The least time from the first send to the last that the windows allow for `sends`
    ((chat, messages) each): per window and key, (ceil(n / allowed) - 1) windows of waiting."""
    counted: Counter[tuple[str, object]] = Counter()
    for chat, messages in sends:
        counted[("chat", chat)] += 1
        counted[("overall", None)] += messages
        if chat < 0:
            counted[("group", chat)] += messages
    bound = 0.0
    for (kind, _), n in counted.items():
        if kind in windows:
            allowed, seconds = windows[kind]
            bound = max(bound, (math.ceil(n / allowed) - 1) * seconds)
    return bound


class Arrivals:
    """When each send reached the fake, by chat: (time, method, messages it counts)."""

    SENDS = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup"}

    def __init__(self):
        self.seen: list[tuple[float, int, str, int]] = []

    def __call__(self, method: str, params: dict) -> None:
        if method.lower() in self.SENDS:
            media = params.get("media")
            self.seen.append((time.perf_counter(), params["chat_id"], method, len(media) if media else 1))


async def fake_and_bot(scale: float, url: str, buyer_chat: int):
    from bot.app import build_app, deliver_on_telegram
    from bot.config import EXAMPLE_CONFIG, Storage, load_config
    from bot.outbox.pacing import Pacer
    from bot.telegram.outbox_bot import outbox_bot
    from bot.telegram.settings import TelegramEnvironment
    from tests.fake_telegram import FakeTelegram, Limit
    from tests.fakes import FakeClock
    from tests.telegram_world import telegram_config

    fake = FakeTelegram()
    await fake.__aenter__()
    fake.flood_limits(Limit(1, 1.0), Limit(20, 60.0), Limit(30, 1.0), scale=scale)
    config = telegram_config(load_config(EXAMPLE_CONFIG).model_copy(
        update={"storage": Storage(url=url)}))
    config = config.model_copy(update={"telegram": config.telegram.model_copy(update={"buyer_chat_id": buyer_chat})})
    clock = FakeClock()
    app = await build_app(config, clock)
    # PTB's limiter too is compressed by `scale`, as in the bot (bot/running.py telegram_runtime).
    bot = outbox_bot(TelegramEnvironment(fake.token, fake.base_url, fake.base_file_url), scale)
    await bot.initialize()
    deliver_on_telegram(app, bot, Pacer(scale))
    return fake, app, bot, config, clock


async def fan_out(scale: float, chats: int, each: int, postgres: str | None = None) -> list[str]:
    from handlers.model import OutgoingMessage, Platform
    from tests.conftest import post_example

    async with store_url(postgres) as url:
        fake, app, bot, config, clock = await fake_and_bot(scale, url, 555_111)
        try:
            visit_id = await post_example(app, config, Platform.TELEGRAM)
            async with app.store.unit_of_work() as uow:  # the example's own messages are not timed
                for owed in await uow.outbox.pending():
                    await uow.outbox.mark_sent(owed.id, clock.now(), None)
                await uow.commit()
            destinations = [str(700_001 + i) for i in range(chats)]
            async with app.store.unit_of_work() as uow:
                for _ in range(each):
                    for chat in destinations:
                        await uow.outbox.add(OutgoingMessage(Platform.TELEGRAM, chat, "visit_summary",
                                                             {"visit_id": visit_id}, "en"))
                await uow.commit()
            arrivals = Arrivals()
            fake.observers.append(arrivals)
            start = time.perf_counter()
            while await app.dispatcher.deliver_pending():
                pass
            took = arrivals.seen[-1][0] - start
            async with app.store.unit_of_work() as uow:
                unsent = len(await uow.outbox.pending())
            per_chat = Counter(chat for _, chat, _, _ in arrivals.seen)
            per_message = len(arrivals.seen) // (chats * each) or 1
            lost = sum(max(0, each * per_message - per_chat[int(c)]) for c in destinations) + unsent
            twice = sum(max(0, per_chat[int(c)] - each * per_message) for c in destinations)
            bound = limit_bound([(chat, n) for _, chat, _, n in arrivals.seen],
                                {"chat": (1, 1 / scale), "overall": (30, 1 / scale)})
        finally:
            await bot.shutdown()
            await app.close()
            await fake.__aexit__(None, None, None)
    label = f"fan-out {chats * each} messages to {chats} chats, {engine_label(postgres)}"
    label += f", windows ÷{scale:g} (quick)" if scale != 1 else ""
    return [
        row(label + ": time to deliver", f"{took:.2f} s", f"{bound:.2f} s", took / bound if bound else math.nan,
            "≤ 1.10×"),
        row(label + ": lost / sent twice / 429s", f"{lost} / {twice} / {fake.flood.refused}", "0 / 0 / 0",
            None, "0 / 0"),
    ]


async def group_landing(scale: float, postgres: str | None = None) -> list[str]:
    """The 20-finding visit into a group: when the last finding (with its buttons) and the last
    photo land, from the start of delivery; beside the limits' own minimum for the layout of
    one message per finding (its photos, then its text), as the group got it before."""
    import shutil

    import yaml

    from handlers.commands import PostVisit
    from handlers.intake.reports import read_report
    from handlers.model import Platform, Role
    from tests.conftest import EXAMPLE_VISIT, actor, many_findings, write_report

    with tempfile.TemporaryDirectory() as folder:
        visit = Path(folder) / "visit"
        visit.mkdir()
        for photo in EXAMPLE_VISIT.glob("*.jpg"):
            shutil.copy(photo, visit)
        data = many_findings(yaml.safe_load((EXAMPLE_VISIT / "report.yaml").read_text(encoding="utf-8")), FINDINGS)
        report = write_report(visit, data)
        async with store_url(postgres) as url:
            fake, app, bot, config, clock = await fake_and_bot(scale, url, GROUP)
            try:
                with read_report(report, [f.id for f in config.factories]) as checked:
                    for photo in checked.photos.values():
                        app.media.put(photo.path, photo.sha256, photo.format)
                    photos = {name: photo.sha256 for name, photo in checked.photos.items()}
                    inspector = actor(config, Role.INSPECTOR, Platform.TELEGRAM)
                    await app.bus.handle(PostVisit(checked.report, photos), inspector)
                arrivals = Arrivals()
                fake.observers.append(arrivals)
                start = time.perf_counter()
                while await app.dispatcher.deliver_pending():
                    pass
                texts = [at for at, chat, method, _ in arrivals.seen if chat == GROUP and method == "sendMessage"]
                decided, photographed = texts[-1] - start, arrivals.seen[-1][0] - start
                summary = len(texts) - len([m for m in fake.transcript(GROUP) if m.method == "sendMessage"
                                            and any(label.startswith("Approve F") for label in m.buttons)])
                counted = sum(n for _, chat, _, n in arrivals.seen if chat == GROUP)
            finally:
                await bot.shutdown()
                await app.close()
                await fake.__aexit__(None, None, None)
    windows = {"chat": (1, 1 / scale), "group": (20, 60 / scale)}
    one_each = [(GROUP, 1)] * summary + [(GROUP, 2), (GROUP, 1)] * FINDINGS  # album of two, then the text
    before = limit_bound(one_each, windows)
    label = f"{FINDINGS} findings, {2 * FINDINGS} photos into a group, {engine_label(postgres)}"
    label += f", windows ÷{scale:g} (quick)" if scale != 1 else ""
    minute = 60 / scale
    return [
        row(label + ": every finding decidable", f"{decided:.1f} s", f"{before:.0f} s one per finding",
            decided / before, f"< {minute:g} s"),
        row(label + f": last photo ({counted} messages counted, {fake.flood.refused} refused)",
            f"{photographed:.1f} s", f"{before:.0f} s", photographed / before, "photos follow"),
    ]


def row(metric: str, bot: str, baseline: str, ratio: float | None, target: str) -> str:
    shown = "" if ratio is None else f"{ratio:.2f}×"
    return f"| {metric} | {bot} | {baseline} | {shown} | {target} |"


async def run(quick: bool, postgres: str | None) -> list[str]:
    if quick:  # the fan-out compressed only twofold: a tenfold one would ask for 300 messages a second
        return await fan_out(2.0, 10, 10, postgres) + await group_landing(10.0, postgres)
    return await fan_out(1.0, 50, 10, postgres) + await group_landing(1.0, postgres)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="compressed windows, 100 messages")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help=POSTGRES_HELP)
    args = parser.parse_args(argv)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["PTB_TIMEDELTA"] = "1"
    logging.basicConfig(level=logging.ERROR)
    print("| metric | bot | baseline | ratio | target |")
    print("|---|---|---|---|---|")
    for line in asyncio.run(run(args.quick, args.postgres)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
