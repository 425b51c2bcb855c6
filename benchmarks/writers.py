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

`--postgres ADMIN_URL` runs the same on PostgreSQL: the data set is built in SQLite and moved
with `followup db copy` into a throw-away database (benchmarks/engines.py), the bot's writers
open it as replicas do, and the bare writers run the same UPDATE and INSERT in one
transaction each. The rows name the engine.
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
from engines import POSTGRES_HELP, engine_label, store_url
from figures import p99, row

WRITERS, SECONDS, QUICK_SECONDS = 16, 60, 10
ROUNDS, QUICK_ROUNDS = 2, 1
READY = "ready"


def run_phase(database: Path, url: str, mode: str, writers: int, seconds: float, phase: int) -> list[dict]:
    """`writers` processes writing in `mode` ("bot" or "bare") for `seconds`, from when the last
    of them is ready (each has imported what it needs and opened the store at `url`; the data
    set was built at `database`)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--database", str(database),
               "--url", url, "--writers", str(writers), "--seconds", str(seconds), "--phase", str(phase)]
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


async def bot_writer(database: Path, url: str, index: int, writers: int, seconds: float, phase: int) -> dict:
    import asyncpg

    from handlers.bus import MessageBus
    from handlers.commands import AcknowledgeNotice, Actor, ApproveInstruction
    from handlers.context import Settings
    from handlers.model import NoticeState, Platform, Role
    from storage.sqlite import open_store
    from tests.fakes import FakeClock

    config = dataset.config_for(database)
    people = {p.name: p for p in config.people}
    buyer = Actor(next(p for p in config.people if p.role is Role.BUYER), Platform.CONSOLE)
    store = await open_store(url)
    settings = Settings(factories={f.id: f for f in config.factories}, thresholds=config.analysis,
                        routing=_routing(config), people=config.people)
    bus = MessageBus(store, FakeClock(dataset.NOW), settings)
    # Each writer of each phase has its own visits and notices: none finds another's work done.
    share, mine = writers * ROUNDS, phase * writers + index
    async with store.unit_of_work() as uow:
        notices = [(n.id, n.factory_id) for n in await uow.notices.every()
                   if n.state is NoticeState.SENT and n.id % share == mine]
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
            except asyncpg.DeadlockDetectedError:
                locked += 1  # counted with "locked": a write that failed for the concurrency
                continue
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
    from bot.settings import routing_for

    return routing_for(config, console_active=False)


def _alternate(first, second):
    """One of each in turn while both last, then the rest of whichever is left."""
    for pair in zip(first, second):
        yield from pair
    yield from first
    yield from second


async def bare_pg_writer(url: str, index: int, writers: int, seconds: float, phase: int) -> dict:
    """bare_writer's transaction on PostgreSQL: the UPDATE and the INSERT, committed."""
    import asyncpg

    conn = await asyncpg.connect(url)
    latencies, n = [], index
    end = ready_and_wait() + seconds
    while time.monotonic() < end:
        began = time.perf_counter()
        async with conn.transaction():
            await conn.execute("UPDATE instructions SET note = $1 WHERE id = $2", f"bare {phase}", n % 96_000 + 1)
            await conn.execute("INSERT INTO audit_events (actor, platform, at, entity, entity_id, action) VALUES"
                               " ('bench', 'console', '2026-11-26T09:00:00.000000+00:00', 'instruction', $1, 'bare')",
                               str(n))
        latencies.append((time.perf_counter() - began) * 1000)
        n += writers
    await conn.close()
    return {"latencies": latencies, "locked": 0, "refused": 0}


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


def report(bot: list[list[dict]], bare: list[list[dict]], writers: int, seconds: float,
           engine: str = "SQLite") -> list[str]:
    bot_ms, bot_locked, refused, bot_rate = summed(bot, seconds)
    bare_ms, bare_locked, _, bare_rate = summed(bare, seconds)
    label = f"{writers} writers × {seconds:g} s × {len(bot)} rounds, {engine}"
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
    parser.add_argument("--postgres", metavar="ADMIN_URL", help=POSTGRES_HELP)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--phase", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    work = (args.index, args.writers, args.seconds, args.phase)
    if args.worker == "bot":
        print(json.dumps(asyncio.run(bot_writer(args.database, args.url, *work))))
        return 0
    if args.worker == "bare":
        on_postgres = not args.url.startswith("sqlite:")
        found = asyncio.run(bare_pg_writer(args.url, *work)) if on_postgres else bare_writer(args.database, *work)
        print(json.dumps(found))
        return 0
    seconds = args.seconds or (QUICK_SECONDS if args.quick else SECONDS)
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        asyncio.run(dataset.build(database, judge=False))
        bot, bare = asyncio.run(phases(database, args.postgres, args.writers, seconds, rounds))
    for line in report(bot, bare, args.writers, seconds, engine_label(args.postgres)):
        print(line, flush=True)
    return 0


async def phases(database: Path, postgres: str | None, writers: int, seconds: float,
                 rounds: int) -> tuple[list[list[dict]], list[list[dict]]]:
    """The bot's and the bare writers' phases, in turn, on the data set at `database` or, with
    `postgres`, on its copy in a throw-away PostgreSQL database."""
    if not postgres:
        return alternating(database, f"sqlite:///{database}", writers, seconds, rounds)
    async with store_url(postgres) as url:
        copied = subprocess.run([str(Path(sys.executable).parent / "followup"), "db", "copy", "--from",
                                 f"sqlite:///{database}", "--to", url, "--files-to", "."], capture_output=True, text=True)
        if copied.returncode != 0:
            raise RuntimeError(f"followup db copy failed: {copied.stderr[-2000:]}")
        return alternating(database, url, writers, seconds, rounds)


def alternating(database: Path, url: str, writers: int, seconds: float,
                rounds: int) -> tuple[list[list[dict]], list[list[dict]]]:
    bot, bare = [], []
    for phase in range(rounds):
        bot.append(run_phase(database, url, "bot", writers, seconds, phase))
        bare.append(run_phase(database, url, "bare", writers, seconds, phase))
    return bot, bare


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
