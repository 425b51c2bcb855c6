"""16 concurrent writers on one SQLite store: `.venv/bin/python benchmarks/writers.py [--quick]`.

On the 10,000-order data set (benchmarks/dataset.py), 16 processes write at once for 60 s
(--quick: 10 s), as several bots and CLI commands sharing the database would: each has its own
store, as `followup` opens it, and alternates the buyer's approvals of proposed instructions
with factory contacts' acknowledgements of sent notices (until its notices run out), each
through the command bus: rights checked, state changed, audit events and outbox messages
written, one transaction each. Each write is timed from the command to its commit.

The baseline is the same 16 processes writing bare: one `BEGIN IMMEDIATE`, an UPDATE of an
instruction and an INSERT of an audit event, COMMIT, with the store's pragmas; the floor that
SQLite's one writer at a time puts under any store. The two phases alternate (bot, bare, bot, ...)
so a busy machine weighs on both.

Target: no write fails with "database is locked"; the p99 of a write is printed beside the
bare one. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dataset
from figures import p99, row

WRITERS, SECONDS, QUICK_SECONDS = 16, 60, 10
ROUNDS, QUICK_ROUNDS = 2, 1
READY = "ready"


def run_phase(database: Path, mode: str, writers: int, seconds: float, phase: int) -> list[dict]:
    """`writers` processes writing in `mode` ("bot" or "bare") for `seconds`, from when the last
    of them is ready (each has imported what it needs and opened the store)."""
    command = [sys.executable, __file__, "--worker", mode, "--database", str(database), "--writers", str(writers),
               "--seconds", str(seconds), "--phase", str(phase)]
    processes = [subprocess.Popen([*command, "--index", str(i)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True) for i in range(writers)]
    for process in processes:
        if process.stdout.readline().strip() != READY:
            raise RuntimeError(f"a {mode} writer did not start")
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    found = []
    for process in processes:
        out, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"a {mode} writer failed with exit code {process.returncode}")
        found.append(json.loads(out.strip().splitlines()[-1]))
    return found


def ready_and_wait() -> float:
    """Tell the parent this writer is ready; returns when it says go."""
    print(READY, flush=True)
    sys.stdin.readline()
    return time.monotonic()


async def bot_writer(database: Path, index: int, writers: int, seconds: float, phase: int) -> dict:
    from handlers.bus import MessageBus
    from handlers.commands import AcknowledgeNotice, Actor, ApproveInstruction
    from handlers.context import Settings
    from handlers.model import Platform, Role
    from storage.sqlite import SqliteStore
    from tests.fakes import FakeClock

    config = dataset.config_for(database)
    people = {p.name: p for p in config.people}
    buyer = Actor(next(p for p in config.people if p.role is Role.BUYER), Platform.CONSOLE)
    store = await SqliteStore.open(database)
    settings = Settings(factories={f.id: f for f in config.factories}, thresholds=config.analysis,
                        routing=_routing(config), people=config.people)
    bus = MessageBus(store, FakeClock(dataset.NOW), settings)
    # Each writer of each phase has its own visits and notices: none finds another's work done.
    share, mine = writers * ROUNDS, phase * writers + index
    with sqlite3.connect(database) as db:
        notices = [(notice_id, factory) for notice_id, factory in db.execute(
            "SELECT id, factory_id FROM notices WHERE state = 'sent' ORDER BY id") if notice_id % share == mine]
    proposed = (i for n in range(mine, dataset.VISITED, share) if n % 3
                for i in range(n * dataset.FINDINGS_PER_VISIT + 1, (n + 1) * dataset.FINDINGS_PER_VISIT + 1))
    commands = _alternate(((ApproveInstruction(i), buyer) for i in proposed),
                          ((AcknowledgeNotice(n), Actor(people[dataset.contact_name(f)], Platform.CONSOLE))
                           for n, f in notices))
    latencies, locked, refused = [], 0, 0
    end = ready_and_wait() + seconds
    try:
        for command, actor in commands:
            if time.monotonic() >= end:
                break
            began = time.perf_counter()
            try:
                reply = await bus.handle(command, actor)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                locked += 1
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            refused += not reply.ok
    finally:
        await store.close()
    return {"latencies": latencies, "locked": locked, "refused": refused}


def _routing(config):
    from bot.app import routing_for

    return routing_for(config, console_active=False)


def _alternate(first, second):
    """One of each in turn while both last, then the rest of whichever is left."""
    for pair in zip(first, second):
        yield from pair
    yield from first
    yield from second


def bare_writer(database: Path, index: int, writers: int, seconds: float, phase: int) -> dict:
    from storage.connection import PRAGMAS

    conn = sqlite3.connect(database, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    latencies, locked, n = [], 0, index
    end = ready_and_wait() + seconds
    while time.monotonic() < end:
        began = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE instructions SET note = ? WHERE id = ?", (f"bare {phase}", n % 96_000 + 1))
            conn.execute("INSERT INTO audit_events (actor, platform, at, entity, entity_id, action) VALUES"
                         " ('bench', 'console', '2026-11-26T09:00:00.000000+00:00', 'instruction', ?, 'bare')",
                         (str(n),))
            conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            locked += 1
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            continue
        latencies.append((time.perf_counter() - began) * 1000)
        n += writers
    conn.close()
    return {"latencies": latencies, "locked": locked, "refused": 0}


def summed(results: list[list[dict]], seconds: float) -> tuple[list[float], int, int, float]:
    """All phases' writes: latencies, "database is locked" failures, refusals, writes per second."""
    latencies = [ms for phase in results for writer in phase for ms in writer["latencies"]]
    locked = sum(writer["locked"] for phase in results for writer in phase)
    refused = sum(writer["refused"] for phase in results for writer in phase)
    return latencies, locked, refused, len(latencies) / (seconds * len(results))


def report(bot: list[list[dict]], bare: list[list[dict]], writers: int, seconds: float) -> list[str]:
    bot_ms, bot_locked, refused, bot_rate = summed(bot, seconds)
    bare_ms, bare_locked, _, bare_rate = summed(bare, seconds)
    label = f"{writers} writers × {seconds:g} s × {len(bot)} rounds"
    return [
        row(f"{label}: writes (approvals, acknowledgements)", f"{len(bot_ms):,}, {bot_rate:,.0f}/s"
            + (f", {refused} refused" if refused else ""), f"{len(bare_ms):,}, {bare_rate:,.0f}/s",
            f"{bot_rate / bare_rate:.2f}×" if bare_rate else ""),
        row(f"{label}: \"database is locked\"", str(bot_locked), str(bare_locked), target="0"),
        row(f"{label}: write latency median", f"{statistics.median(bot_ms):,.1f} ms",
            f"{statistics.median(bare_ms):,.1f} ms", f"{statistics.median(bot_ms) / statistics.median(bare_ms):.1f}×"),
        row(f"{label}: write latency p99", f"{p99(bot_ms):,.1f} ms", f"{p99(bare_ms):,.1f} ms",
            f"{p99(bot_ms) / p99(bare_ms):.1f}×", "well under the 60 s busy timeout"),
        row(f"{label}: slowest write", f"{max(bot_ms):,.0f} ms", f"{max(bare_ms):,.0f} ms"),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="writers.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS} s per phase, {QUICK_ROUNDS} round")
    parser.add_argument("--seconds", type=float, help="seconds each phase writes")
    parser.add_argument("--writers", type=int, default=WRITERS)
    parser.add_argument("--worker", choices=("bot", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--phase", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "bot":
        print(json.dumps(asyncio.run(bot_writer(args.database, args.index, args.writers, args.seconds, args.phase))))
        return 0
    if args.worker == "bare":
        print(json.dumps(bare_writer(args.database, args.index, args.writers, args.seconds, args.phase)))
        return 0
    seconds = args.seconds or (QUICK_SECONDS if args.quick else SECONDS)
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        asyncio.run(dataset.build(database, judge=False))
        bot, bare = [], []
        for phase in range(rounds):
            bot.append(run_phase(database, "bot", args.writers, seconds, phase))
            bare.append(run_phase(database, "bare", args.writers, seconds, phase))
    for line in report(bot, bare, args.writers, seconds):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
