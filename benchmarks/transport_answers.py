"""What answering a tap costs the event loop's thread, by PTB request backend:
`.venv/bin/python benchmarks/transport_answers.py [--answers N] [--pairs P] [--in-flight K]`.

The fake Bot API (tests/fake_telegram.py) runs in a child process, so the thread measured is
the client's alone. A PTB Bot sends `answers` answerCallbackQuery calls, at most `in-flight` at
once (32, as the bot answers a burst of taps; 1, one tap at a time), first through PTB's default HTTPXRequest, then through
bot/telegram/transport.py's AiohttpRequest, alternated `pairs` times. Prints, per backend, the
loop thread's CPU per answer (thread_time) and the wall time per answer, medians over the
pairs. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WARM_UP = 100


async def serve(queries: int) -> None:
    """The child: a fake Bot API with `queries` open callback queries, "0" to "queries - 1",
    until its standard input closes."""
    from tests.fake_telegram import FakeTelegram

    async with FakeTelegram() as fake:
        fake._open_queries.update(str(number) for number in range(queries))  # noqa: SLF001 - taps without messages
        print(fake.token, fake.base_url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def answer_all(backend: str, token: str, base_url: str, ids: range, in_flight: int) -> tuple[float, float]:
    """CPU of this thread and wall time, each per answer, for answering `ids` through `backend`."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.telegram.transport import AiohttpRequest

    request = HTTPXRequest() if backend == "httpx" else AiohttpRequest()
    bot = Bot(token, base_url=base_url, request=request, get_updates_request=request)
    await request.initialize()
    gate = asyncio.Semaphore(in_flight)

    async def answer(query_id: int) -> None:
        async with gate:
            await bot.answer_callback_query(str(query_id), text="Approved")

    try:
        await asyncio.gather(*(answer(query_id) for query_id in ids[:WARM_UP]))
        measured = ids[WARM_UP:]
        cpu, wall = time.thread_time(), time.perf_counter()
        await asyncio.gather(*(answer(query_id) for query_id in measured))
        return (time.thread_time() - cpu) / len(measured), (time.perf_counter() - wall) / len(measured)
    finally:
        await request.shutdown()


async def measure(answers: int, pairs: int, in_flight: int) -> None:
    per_run = answers + WARM_UP
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(per_run * 2 * pairs)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        token, base_url = child.stdout.readline().split()
        figures: dict[str, list[tuple[float, float]]] = {"httpx": [], "aiohttp": []}
        start = 0
        for _ in range(pairs):
            for backend in figures:
                figures[backend].append(await answer_all(backend, token, base_url, range(start, start + per_run),
                                                          in_flight))
                start += per_run
    finally:
        child.stdin.close()
        child.wait(10)
    print(f"{in_flight} in flight, {answers} answers a run")
    print("| backend | loop CPU per answer (µs) | wall per answer (µs) | runs (CPU µs) |")
    print("| --- | --- | --- | --- |")
    for backend, runs in figures.items():
        cpu = statistics.median(run[0] for run in runs) * 1e6
        wall = statistics.median(run[1] for run in runs) * 1e6
        listed = " / ".join(f"{run[0] * 1e6:.0f}" for run in runs)
        print(f"| {backend} | {cpu:.0f} | {wall:.0f} | {listed} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
    else:
        asyncio.run(measure(args.answers, args.pairs, args.in_flight))


if __name__ == "__main__":
    main()
