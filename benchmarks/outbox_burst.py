"""What the outbox's own code costs per decision, apart from the Bot API client:
`.venv/bin/python benchmarks/outbox_burst.py [--runs N] [--quick]`.

benchmarks/telegram_burst.py measures the whole bot (taps, their answers, the outbox's
edits through python-telegram-bot and httpx) in a process of its own, on a loaded machine a
few milliseconds per approval with a wide spread. Here one process posts the 100-finding
visit, the buyer's 104 approvals are committed through the bus, and the dispatcher delivers
what they queued through a stand-in for PTB's Bot that answers at once: the CPU (every thread)
per approval is the outbox's own (claims, views, rendering, bookkeeping), and the counts say
how many units of work it took. The event loop's share is counted apart, to the nanosecond
(os.times counts in ticks of 10 ms): it is what the taps of a burst wait for. Medians over
the runs. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from side_by_side import HEADER, ROOT, post_visit, visit_report
from telegram_taps import FINDINGS, telegram_config

sys.path.insert(0, str(ROOT))


class InstantBot:
    """The calls TelegramAdapter makes, answered at once without a server."""

    token = "123:stand-in"

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.calls: dict[str, int] = {}

    def _called(self, method: str) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1

    async def send_message(self, chat_id, text, **_):
        self._called("sendMessage")
        return SimpleNamespace(chat_id=chat_id, message_id=next(self.ids))

    async def do_api_request(self, endpoint, api_kwargs=None, **_):
        """The edits, which the adapter makes for Telegram's raw answer."""
        self._called(endpoint)
        return True


class Counted:
    """Counts the units of work opened through the store while the block runs (short ones
    apart). The store itself is measured, not a stand-in for it: what is kept per store (the
    buttons' tokens, bot/chat/tokens.py) is then found as `followup run` finds it, where a
    stand-in made every edit mint its buttons' tokens again, in a transaction of its own."""

    def __init__(self, store) -> None:
        self.store = store
        self.opened = {False: 0, True: 0}

    def __enter__(self) -> Counted:
        real = self.store.unit_of_work

        def counted(short: bool = False):
            self.opened[short] += 1
            return real(short=short)

        self.store.unit_of_work = counted
        return self

    def __exit__(self, *_) -> None:
        del self.store.unit_of_work


class Trips:
    """Counts the jobs handed to aiosqlite's thread while the block runs: each is a wake-up of
    that thread and a callback back to the loop, on top of the statement itself."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> None:
        from aiosqlite import Connection

        self._real = real = Connection._execute  # noqa: SLF001

        async def counted(conn, *args, **kwargs):
            self.count += 1
            return await real(conn, *args, **kwargs)

        Connection._execute = counted  # noqa: SLF001

    def __exit__(self, *_) -> None:
        from aiosqlite import Connection

        Connection._execute = self._real  # noqa: SLF001


async def burst(folder: Path) -> dict[str, float]:
    from bot.app import build_app, deliver_on_telegram
    from bot.config import load_config
    from handlers.clock import SystemClock
    from handlers.commands import Actor, ApproveInstruction
    from handlers.model import Platform, Role

    config = load_config(telegram_config(folder))
    app = await build_app(config, SystemClock())
    try:
        bot = InstantBot()
        deliver_on_telegram(app, bot)
        await app.dispatcher.deliver_pending()
        assert bot.calls["sendMessage"] >= FINDINGS, bot.calls
        async with app.store.unit_of_work() as uow:
            ids = [row["id"] for row in await uow._tx.all("SELECT id FROM instructions ORDER BY id")]  # noqa: SLF001
        buyer = Actor(next(p for p in config.people if p.role is Role.BUYER), Platform.TELEGRAM)
        for instruction_id in ids:
            assert (await app.bus.handle(ApproveInstruction(instruction_id), buyer)).ok
        before, counted, trips = dict(bot.calls), Counted(app.store), Trips()
        used, on_loop = os.times(), time.thread_time()
        with counted, trips:
            delivered = await app.dispatcher.deliver_pending()
        on_loop = (time.thread_time() - on_loop) * 1000
        used = [(after - before) * 1000 for before, after in zip(used[:2], os.times()[:2])]
        assert delivered == len(ids), (delivered, len(ids))
    finally:
        await app.close()
    edits = bot.calls.get("editMessageText", 0) - before.get("editMessageText", 0)
    return {"CPU per approval, outbox alone (ms)": sum(used) / len(ids),
            "of which in the kernel (ms)": used[1] / len(ids),
            "of which on the event loop's thread (ms)": on_loop / len(ids),
            "units of work per approval": counted.opened[False] / len(ids),
            "short units of work per approval": counted.opened[True] / len(ids),
            "trips to the store's thread per approval": trips.count / len(ids),
            "finding edits per approval": edits / len(ids)}


async def measure(runs: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        posted = Path(name) / "posted"
        posted.mkdir()
        post_visit(telegram_config(posted), visit_report(posted, FINDINGS), "telegram")
        results = []
        for n in range(runs):
            folder = Path(name) / f"run-{n}"
            shutil.copytree(posted, folder)
            results.append(await burst(folder))
    print("\n".join(HEADER))
    for metric in results[0]:
        values = [r[metric] for r in results]
        print(f"| {metric} | {statistics.median(values):,.2f} (runs: {', '.join(f'{v:,.2f}' for v in values)}) |"
              "  |  |  |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="two runs (benchmarks/run_all.py --quick)")
    options = parser.parse_args(argv)
    asyncio.run(measure(2 if options.quick else options.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
