"""Status, portfolio and factory summary at 10,000 orders: `.venv/bin/python benchmarks/portfolio.py [--quick]`.

Builds the data set of benchmarks/dataset.py (10,000 orders at 200 factories, 8,000 visited,
96,000 instructions, 2,667 notices) in a temporary SQLite store, then answers, as the chat
answers them and rendered, round after round (interleaved, so a busy machine slows all alike):
the status of one order, the first `/orders` page of the buyer (every factory) and of a factory
contact (its ~50 orders), and the buyer's factory summary (`/factories`, every order summed up).
Then the buyer's first page again with every order late: the ranking's worst case.

Prints table rows (benchmarks/run_all.py): wall median and p99, and the median CPU time of the
process per answer, which a machine shared with other work disturbs less. Timing lives here,
never in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import dataset
from figures import row, timings

ROUNDS, QUICK_ROUNDS = 50, 10


async def measure(rounds: int, asks: dict[str, object]) -> dict[str, tuple[list[float], list[float]]]:
    """Each ask once per round, in turn: wall and CPU milliseconds per ask."""
    found: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in asks}
    for _ in range(rounds):
        for name, ask in asks.items():
            wall, cpu = time.perf_counter(), time.process_time()
            await ask()
            found[name][0].append((time.perf_counter() - wall) * 1000)
            found[name][1].append((time.process_time() - cpu) * 1000)
    return found


def figures(walls: list[float], cpus: list[float]) -> str:
    return f"{timings(walls)}; CPU median {statistics.median(cpus):,.1f} ms"


async def run(rounds: int) -> list[str]:
    from bot.app import build_app
    from bot.chat.answers import answer
    from handlers.model import Role
    from tests.fakes import FakeClock

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        config, built = await dataset.build(database)
        rows.append(row(f"data set: {built.orders:,} orders, {built.instructions:,} instructions, "
                        f"{built.notices:,} notices", f"written in {built.filled_s:.1f} s"))
        rows.append(row(f"judging {built.visits:,} visits (after an upgrade or a threshold change)",
                        f"{built.judged_s:.1f} s"))
        app = await build_app(config, FakeClock(dataset.NOW))
        try:
            buyer = next(p for p in config.people if p.role is Role.BUYER)
            contact = next(p for p in config.people if p.factory == dataset.factory_id(7))
            one = dataset.reference(4242)
            asks = {
                f"status {one} (buyer)": lambda: answer(app, "telegram", buyer, f"status {one}"),
                "first /orders page (buyer, 10,000 orders)": lambda: answer(app, "telegram", buyer, "/orders"),
                "first /orders page (factory contact)": lambda: answer(app, "telegram", contact, "/orders"),
                "factory summary /factories (buyer)": lambda: answer(app, "telegram", buyer, "/factories"),
            }
            # The targets alone: whether a figure meets one is read off the figure, never written here.
            targets = ["p99 < 50 ms", "p99 < 50 ms", "p99 < 50 ms", "< 100 ms"]
            for _ in range(2):  # warm-up: templates compiled, caches filled
                await measure(1, asks)
            for (name, (walls, cpus)), target in zip((await measure(rounds, asks)).items(), targets, strict=True):
                rows.append(row(name, figures(walls, cpus), target=target))
            # Worst case for the ranking: no status group to stop at, every order counted and sorted.
            with sqlite3.connect(database) as db:
                late = db.execute("UPDATE visits SET status = 'late' WHERE newest = 1").rowcount
            worst = {"page": lambda: answer(app, "telegram", buyer, "/orders")}
            await measure(1, worst)
            walls, cpus = (await measure(rounds, worst))["page"]
            rows.append(row(f"first /orders page, all {late:,} late (buyer)", figures(walls, cpus),
                            target="p99 < 50 ms"))
        finally:
            await app.close()
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="portfolio.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds instead of {ROUNDS}")
    parser.add_argument("-n", type=int, help="rounds (each answer once per round)")
    args = parser.parse_args(argv)
    for line in asyncio.run(run(args.n or (QUICK_ROUNDS if args.quick else ROUNDS))):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
