"""Taps, writers and fan-out on PostgreSQL with 1 and 3 replicas, beside SQLite with 1:
`.venv/bin/python benchmarks/replicas.py [--quick]`.

Each run is tests/replica_cluster.py's: replicas forked from tests/bot_process.py (what
`followup run` serves), Telegram by webhook and Slack over HTTP behind a round-robin forwarder
on 127.0.0.1, the fake Bot API and fake Slack, a fresh database (a throw-away PostgreSQL
database on 127.0.0.1:5432, or a SQLite file), two visits posted (12 instructions, their
findings owed on Telegram and Slack). Once the findings are delivered, on Telegram:

- writers: every instruction's Approve tapped at once, each tap a write transaction;
- taps: repeat taps on those buttons (each refused, answered), a few in flight at a time,
  once the outbox has delivered what the writers owe. Started at once, the taps ran in two
  ways on PostgreSQL ×3: 5-7 ms of CPU a tap, or 11-14 ms when more of those deliveries fell
  into the phase;
- fan-out: both visits' Send notice at once, until the outbox has delivered everything they
  owe (the bilingual notices with their PDFs, to the factory on Telegram and Slack, and the
  decisions' updates to the buyer).

A tap's latency runs from its webhook POST to the fake carrying out its answerCallbackQuery.
The three set-ups run in turn, the order rotated each round (three rounds; one with --quick);
figures are medians over the rounds (p99 over every tap). CPU is the replicas' own, summed:
what a tap costs holds better than how long it waits on a machine shared with other work.

Prints Markdown table rows: metric | PostgreSQL | SQLite ×1 | ratio | target. Timing lives
here, never in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from side_by_side import ROOT, cpu_ms

sys.path.insert(0, str(ROOT))

from figures import p99, row  # noqa: E402
from storage.postgres import PostgresStore  # noqa: E402
from tests.replica_cluster import BUYER_CHAT, Cluster, running_cluster  # noqa: E402
from tests.store_engines import ADMIN_URL, blank_database  # noqa: E402

SETUPS = (("sqlite", 1), ("postgres", 1), ("postgres", 3))
IN_FLIGHT = 8  # repeat taps at once
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Run:
    """One set-up's figures in one round: per phase, latencies (ms), rate (per s), CPU per tap."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    fan_out_s: float = 0.0


class Taps:
    """Taps posted to the webhook (through the forwarder), timed to their answers."""

    def __init__(self, cluster: Cluster, session: aiohttp.ClientSession) -> None:
        self.cluster, self.session = cluster, session
        self.answered: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future] = {}
        cluster.telegram.observers.append(self._observe)

    def _observe(self, method: str, params: dict) -> None:
        if method == "answerCallbackQuery":
            query = str(params["callback_query_id"])
            self.answered[query] = time.perf_counter()
            if (waiter := self.waiters.pop(query, None)) is not None and not waiter.done():
                waiter.set_result(None)

    async def tap(self, message_id: int, token: str) -> float:
        """One tap, posted until a replica took it; its latency in ms."""
        fake = self.cluster.telegram
        update = await fake.tap(BUYER_CHAT, self.cluster.buyer, message_id, token, forged=True)
        query = update["callback_query"]["id"]
        self.waiters[query] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        headers = {SECRET_HEADER: fake.webhook.secret_token}
        async with self.session.post(fake.webhook.url, json=update, headers=headers) as answer:
            assert answer.status == 200, answer.status
        if query not in self.answered:
            await asyncio.wait_for(self.waiters[query], 120)
        return (self.answered[query] - started) * 1000


def buttons(cluster: Cluster, label: str) -> list[tuple[int, str]]:
    return [(m.message_id, token) for m in cluster.telegram.transcript(BUYER_CHAT)
            for text, token in m.buttons.items() if text.startswith(label) and "all" not in text]


async def phase(run: Run, name: str, cluster: Cluster, taps: list) -> None:
    """The taps (coroutine functions), IN_FLIGHT at a time; latencies, rate and CPU per tap."""
    gate = asyncio.Semaphore(IN_FLIGHT if name == "taps" else len(taps))

    async def one(tap):
        async with gate:
            return await tap()
    before = replicas_cpu(cluster)
    started = time.perf_counter()
    run.latencies[name] = list(await asyncio.gather(*(one(t) for t in taps)))
    run.rates[name] = len(taps) / (time.perf_counter() - started)
    run.cpu[name] = (replicas_cpu(cluster) - before) / len(taps)


def replicas_cpu(cluster: Cluster) -> float:
    return sum(cpu_ms(m.pid) for m in cluster.members if m.alive)


async def drained(cluster: Cluster, timeout: float = 300.0) -> None:
    deadline = time.perf_counter() + timeout
    while await cluster.unsent():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the outbox still owes {await cluster.unsent()} messages after {timeout:g} s")
        await asyncio.sleep(0.05)


async def measure_one(engine: str, size: int, repeats: int) -> Run:
    run = Run()
    with tempfile.TemporaryDirectory(prefix=f"bench-replicas-{engine}{size}-") as folder:
        if engine == "sqlite":
            await measure_cluster(run, Path(folder), f"sqlite:///{folder}/db/followup.sqlite3", size, repeats)
        else:
            async with blank_database(ADMIN_URL) as url:
                await (await PostgresStore.open(url)).close()
                await measure_cluster(run, Path(folder), url, size, repeats)
    return run


async def measure_cluster(run: Run, folder: Path, url: str, size: int, repeats: int) -> None:
    async with running_cluster(folder, url, size) as cluster, aiohttp.ClientSession() as session:
        await drained(cluster)  # the findings delivered: every Approve button is there
        taps = Taps(cluster, session)
        approve = buttons(cluster, "Approve")
        await phase(run, "writers", cluster, [lambda b=b: taps.tap(*b) for b in approve])
        await drained(cluster)  # the writers' deliveries done: the taps' CPU is the taps' own
        await phase(run, "taps", cluster, [lambda b=b: taps.tap(*b) for b in approve * repeats])
        await drained(cluster)
        send = buttons(cluster, "Send notice")
        started = time.perf_counter()
        await asyncio.gather(*(taps.tap(*b) for b in send))
        await drained(cluster)
        run.fan_out_s = time.perf_counter() - started


def median(runs: list[Run], figure) -> float:
    return statistics.median(figure(r) for r in runs)


def rows(results: dict[tuple[str, int], list[Run]]) -> list[str]:
    baseline = results[("sqlite", 1)]
    figures = (
        ("writers: decisions per second (12 approvals at once)", lambda rs: median(rs, lambda r: r.rates["writers"]),
         "{:,.1f}/s", True),
        ("writers: p99 latency to answerCallbackQuery", lambda rs: p99([v for r in rs for v in r.latencies["writers"]]),
         "{:,.0f} ms", False),
        ("taps: answered per second (repeat taps, 8 in flight)", lambda rs: median(rs, lambda r: r.rates["taps"]),
         "{:,.1f}/s", True),
        ("taps: median latency to answerCallbackQuery",
         lambda rs: statistics.median([v for r in rs for v in r.latencies["taps"]]), "{:,.0f} ms", False),
        ("taps: p99 latency to answerCallbackQuery", lambda rs: p99([v for r in rs for v in r.latencies["taps"]]),
         "{:,.0f} ms", False),
        ("taps: CPU per tap, all replicas", lambda rs: median(rs, lambda r: r.cpu["taps"]), "{:,.1f} ms", False),
        ("fan-out: 2 notices sent until the outbox is empty", lambda rs: median(rs, lambda r: r.fan_out_s),
         "{:,.2f} s", False),
    )
    lines = ["| metric | PostgreSQL | SQLite ×1 | ratio | target |", "|---|---|---|---|---|"]
    for name, figure, shape, higher_is_better in figures:
        ours_base = figure(baseline)
        for engine, size in SETUPS[1:]:
            ours = figure(results[(engine, size)])
            ratio = ours / ours_base if ours_base else float("nan")
            better = "higher is better" if higher_is_better else "lower is better"
            lines.append(row(f"{name}, PostgreSQL ×{size}", shape.format(ours), shape.format(ours_base),
                             f"{ratio:.2f}× ({better})"))
    return lines


async def measure(quick: bool) -> None:
    rounds, repeats = (1, 3) if quick else (3, 10)
    results: dict[tuple[str, int], list[Run]] = {setup: [] for setup in SETUPS}
    for turn in range(rounds):
        order = SETUPS[turn % len(SETUPS):] + SETUPS[:turn % len(SETUPS)]
        for engine, size in order:
            print(f"round {turn + 1}/{rounds}: {engine} ×{size}", file=sys.stderr, flush=True)
            results[(engine, size)].append(await measure_one(engine, size, repeats))
    for line in rows(results):
        print(line, flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, fewer repeat taps")
    asyncio.run(measure(parser.parse_args(argv).quick))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
