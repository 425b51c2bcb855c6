"""How fast taps are answered on Telegram, the bot beside bare python-telegram-bot:
`.venv/bin/python benchmarks/telegram_taps.py [--quick]`.

Each run starts a fresh fake Bot API (tests/fake_telegram.py), a fresh database and a fresh
process: the real `followup run`, or a bare PTB application that answers every callback query
and does nothing else. The bot first delivers a 100-finding visit (104 instructions, photos
left out); then, for both, the same load: every instruction's Approve tapped at once (first
approvals, as fast as the process takes them), then repeat taps offered open loop at a fixed
rate. A tap's latency runs from its update entering the fake's queue to the fake carrying out
its answerCallbackQuery. The first approvals' CPU is also counted for the event loop's thread
alone, and as a share of the burst's wall time: near 100 % the burst is bound by the loop's
CPU, well under it by what the loop waits for (a COMMIT's fsync in the store's thread). Bare
and bot runs are interleaved (three pairs; one with --quick), and the figures are medians over
the pairs: throughput, and p99 latency over every tap of a kind.

Prints Markdown table rows: metric | bot | bare | ratio | target. Timing lives here, never in
the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from side_by_side import (
    HEADER, READY_TIMEOUT, ROOT, Run, command_line, config_file, cpu, cpu_ms, delivered, environment, followup_run,
    interleaved, post_visit, rate, row, stop, tail, visit_report,
)

sys.path.insert(0, str(ROOT))
FINDINGS = 100
BUYER_CHAT, BUYER_ID, INSPECTOR_ID, FACTORY_CHAT, FACTORY_ID = 555111, 111, 222, -100222, 333
LOOP, BUSY = "first, event loop", "first, event loop busy"  # Run.cpu keys: ms per approval, % of the burst


@dataclass(frozen=True)
class Load:
    """Repeat-tap phases: (name, taps offered per second, seconds)."""

    phases: tuple[tuple[str, float, float], ...]

    @classmethod
    def of(cls, quick: bool) -> Load:
        scale = 0.4 if quick else 1.0
        return cls((("repeat 500/s", 500, 3 * scale), ("repeat 200/s", 200, 4 * scale),
                    ("repeat 50/s", 50, 6 * scale)))


class Timed:
    """The fake's taps, timed: enqueued at `tap`, answered when the fake carries out the answer."""

    def __init__(self, fake) -> None:
        self.fake = fake
        self.sent: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self._all_answered = asyncio.Event()
        self._waiting_for = 0
        fake.observers.append(self._observe)

    def _observe(self, method: str, params: dict) -> None:
        if method == "answerCallbackQuery":
            self.answered[str(params["callback_query_id"])] = time.perf_counter()
            if len(self.answered) >= self._waiting_for:
                self._all_answered.set()

    async def tap(self, user, message_id: int, data: str) -> str:
        update = await self.fake.tap(BUYER_CHAT, user, message_id, data, forged=True)
        query_id = update["callback_query"]["id"]
        self.sent[query_id] = time.perf_counter()
        return query_id

    async def answers(self, query_ids: list[str], timeout: float = 300.0) -> tuple[list[float], float]:
        """Latencies (ms) of `query_ids` once all are answered, and taps per second from the first
        sent to the last answered."""
        self._waiting_for = len(self.answered) + sum(1 for q in query_ids if q not in self.answered)
        self._all_answered.clear()
        if not all(q in self.answered for q in query_ids):
            await asyncio.wait_for(self._all_answered.wait(), timeout)
        latencies = [(self.answered[q] - self.sent[q]) * 1000 for q in query_ids]
        span = max(self.answered[q] for q in query_ids) - min(self.sent[q] for q in query_ids)
        return latencies, len(query_ids) / span


async def load(timed: Timed, pid: int, user, buttons: list[tuple[int, str]], plan: Load, run: Run) -> None:
    """First approvals all at once, then each repeat phase open loop at its rate."""
    used, loop_used = cpu_ms(pid), cpu_ms(pid, thread=pid)
    ids = [await timed.tap(user, message_id, data) for message_id, data in buttons]
    run.latencies["first"], run.rates["first"] = await timed.answers(ids)
    run.cpu["first"], used = (cpu_ms(pid) - used) / len(ids), cpu_ms(pid)
    loop_used = cpu_ms(pid, thread=pid) - loop_used
    run.cpu[LOOP], run.cpu[BUSY] = loop_used / len(ids), 100 * loop_used * run.rates["first"] / len(ids) / 1000
    for name, offered, seconds in plan.phases:
        ids, start = [], time.perf_counter()
        for i in range(int(offered * seconds)):
            delay = start + i / offered - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            message_id, data = buttons[i % len(buttons)]
            ids.append(await timed.tap(user, message_id, data))
        run.latencies[name], run.rates[name] = await timed.answers(ids)
        run.cpu[name], used = (cpu_ms(pid) - used) / len(ids), cpu_ms(pid)


def telegram_environment(fake) -> dict[str, str]:
    return environment(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
                       TELEGRAM_FILE_BASE_URL=fake.base_file_url, PTB_TIMEDELTA="1")


async def polling(fake) -> None:
    """Until the process under test asks the fake for updates: it is ready to take taps."""
    started = asyncio.Event()
    fake.observers.append(lambda method, params: started.set() if method == "getUpdates" else None)
    await asyncio.wait_for(started.wait(), READY_TIMEOUT)


# --- the bare framework


async def bare_run(plan: Load) -> Run:
    from tests.fake_telegram import FakeTelegram

    run = Run()
    async with FakeTelegram() as fake:
        timed = Timed(fake)
        user = fake.user(BUYER_ID, "Anna", "en")
        message = await fake_message_with_button(fake)
        process = subprocess.Popen([sys.executable, __file__, "--bare-ptb"], env=telegram_environment(fake), cwd=ROOT)
        try:
            await polling(fake)
            await load(timed, process.pid, user, [(message, f"b{i}") for i in range(FINDINGS + 4)], plan, run)
        finally:
            await asyncio.to_thread(stop, process)
    return run


async def fake_message_with_button(fake) -> int:
    """A bot message with one button in the buyer's chat, sent through the fake's own API."""
    import aiohttp

    markup = '{"inline_keyboard": [[{"text": "Approve", "callback_data": "b0"}]]}'
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.base_url}{fake.token}/sendMessage",
                                data={"chat_id": str(BUYER_CHAT), "text": "F1", "reply_markup": markup}) as response:
            return (await response.json())["result"]["message_id"]


def serve_bare_ptb() -> None:
    """The bare framework: PTB polling, every callback query answered, nothing else."""
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler

    async def answer(update, context) -> None:
        await update.callback_query.answer()

    async def main() -> None:
        application = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
                       .base_url(os.environ["TELEGRAM_API_BASE_URL"])
                       .base_file_url(os.environ["TELEGRAM_FILE_BASE_URL"]).build())
        application.add_handler(CallbackQueryHandler(answer))
        stopping = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stopping.set)
        async with application:
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=30)
            await stopping.wait()
            await application.updater.stop()
            await application.stop()

    asyncio.run(main())


# --- the bot


def telegram_config(folder: Path) -> Path:
    """The example config with the fake's chat and user ids and this run's database."""
    return config_file(folder, f"[telegram]\nbuyer_chat_id = {BUYER_CHAT}\n", f"telegram_chat_id = {FACTORY_CHAT}",
                       tuple(f"telegram_user_id = {user}" for user in (BUYER_ID, INSPECTOR_ID, FACTORY_ID)))


def approve_buttons(fake) -> list[tuple[int, str]]:
    return [(m.message_id, data) for m in fake.transcript(BUYER_CHAT)
            for label, data in m.buttons.items() if label.startswith("Approve") and "all" not in label]


@contextlib.asynccontextmanager
async def bot_ready():
    """`followup run` on a fresh fake, the 100-finding visit delivered to the buyer's chat:
    yields the fake, its timed taps, the buyer and the bot's process."""
    from tests.fake_telegram import FakeTelegram

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = telegram_config(folder)
        await asyncio.to_thread(post_visit, config, visit_report(folder, FINDINGS), "telegram")
        async with FakeTelegram() as fake:
            timed = Timed(fake)
            user = fake.user(BUYER_ID, "Anna", "en")
            process = followup_run(config, telegram_environment(fake), folder)
            try:
                await polling(fake)
                await delivered(lambda: len(approve_buttons(fake)), FINDINGS + 4, "Approve buttons in the buyer's chat",
                                process)
                await asyncio.sleep(1.0)  # the last deliveries' bookkeeping done
                yield fake, timed, user, process
            finally:
                await asyncio.to_thread(stop, process)


async def bot_run(plan: Load) -> Run:
    run = Run()
    async with bot_ready() as (fake, timed, user, process):
        await load(timed, process.pid, user, approve_buttons(fake), plan, run)
    return run


# --- the table


def table(bots: list[Run], bares: list[Run]) -> list[str]:
    def median(runs: list[Run], phase: str) -> float:
        return statistics.median(latency for r in runs for latency in r.latencies[phase])

    return [
        *HEADER,
        row("Telegram, 104 first approvals at once: throughput", rate(bots, "first"), rate(bares, "first"),
            "taps/s", "≥ 0.6×"),
        row("Telegram, 104 first approvals at once: p99", tail(bots, "first"), tail(bares, "first"), "ms", ""),
        row("Telegram, repeat taps offered at 500/s: throughput", rate(bots, "repeat 500/s"),
            rate(bares, "repeat 500/s"), "taps/s", "≥ 0.6× and ≥ 500/s"),
        row("Telegram, repeat taps at 500/s: p99", tail(bots, "repeat 500/s"), tail(bares, "repeat 500/s"),
            "ms", ""),
        row("Telegram, tap median at 200/s", median(bots, "repeat 200/s"), median(bares, "repeat 200/s"), "ms", ""),
        row("Telegram, tap p99 at 200/s", tail(bots, "repeat 200/s"), tail(bares, "repeat 200/s"), "ms",
            "< 50 ms, ≤ 2×"),
        row("Telegram, tap median at 50/s", median(bots, "repeat 50/s"), median(bares, "repeat 50/s"), "ms", ""),
        row("Telegram, tap p99 at 50/s", tail(bots, "repeat 50/s"), tail(bares, "repeat 50/s"), "ms", "≤ 2×"),
        row("Telegram, CPU per first approval", cpu(bots, "first"), cpu(bares, "first"), "ms", ""),
        row("Telegram, of which the event loop's thread", cpu(bots, LOOP), cpu(bares, LOOP), "ms", ""),
        row("Telegram, 104 first approvals: event loop busy", cpu(bots, BUSY), cpu(bares, BUSY), "% of the burst", ""),
        row("Telegram, CPU per repeat tap (at 500/s)", cpu(bots, "repeat 500/s"), cpu(bares, "repeat 500/s"), "ms",
            ""),
    ]


async def measure(quick: bool) -> None:
    bots, bares = await interleaved(1 if quick else 3, bare_run, bot_run, Load.of(quick))
    print("\n".join(table(bots, bares)))


def main(argv: list[str]) -> int:
    return command_line(__doc__, "--bare-ptb", serve_bare_ptb, measure, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
