"""What the bot-beside-its-bare-framework benchmarks share (telegram_taps.py, slack_actions.py):
a fresh database with a visit posted, the example config pointed at a fake, the processes
under test started and stopped, and the Markdown rows they print.

The bot runs as `followup run` in a process of its own; the visit is posted by another
process first, through the bus as the inspector would, so the bot starts with its messages
owed and nothing of the poster in its memory.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import signal
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROXIES = {"http_proxy", "https_proxy", "all_proxy"}
PEOPLE = ("Anna Schmidt", "Chen Jing", "Li Wei")  # buyer, inspector, factory, as the example config names them
READY_TIMEOUT = 120.0
STALL_TIMEOUT = 60.0  # seconds a delivery may go without a new message before it is called stuck


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without proxies (the fakes are on 127.0.0.1), plus `variables`."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXIES}
    env.update(variables)
    return env


def followup_run(config: Path, env: dict[str, str], folder: Path) -> subprocess.Popen:
    followup = Path(sys.executable).parent / "followup"
    return subprocess.Popen([str(followup), "run", "--config", str(config)], env=env, cwd=folder,
                            stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def delivered(count: Callable[[], int], wanted: int, what: str, process: subprocess.Popen,
                    stalled_after: float = STALL_TIMEOUT) -> None:
    """Until `count()` reaches `wanted`, however long that takes while it keeps growing. The bot
    delivers at the platform's pace: a message a second in a Telegram chat, so the 100-finding
    visit's 108 messages take ~110 s on a quiet machine and more on a loaded one, where a fixed
    READY_TIMEOUT of 120 s ran out. Fails, naming `what` and how far it got, when the count
    has not grown for `stalled_after` seconds or the process under test has ended."""
    loop = asyncio.get_running_loop()
    seen, moved = count(), loop.time()
    while seen < wanted:
        if process.poll() is not None:
            raise RuntimeError(f"{what}: {seen} of {wanted} when the process under test ended"
                               f" (exit code {process.returncode})")
        if loop.time() - moved > stalled_after:
            raise TimeoutError(f"{what}: {seen} of {wanted}, and none more for {stalled_after:g} s")
        await asyncio.sleep(0.1)
        if (now := count()) > seen:
            seen, moved = now, loop.time()


def cpu_ms(pid: int, thread: int | None = None) -> float:
    """CPU time `pid` has used (user and system, every thread; or only `thread`'s, e.g. `pid`
    itself, the main thread): on a machine shared with other work, what a request costs holds
    better than how long it waits."""
    stat = Path(f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def visit_report(folder: Path, findings: int) -> Path:
    """The example visit with its findings repeated to `findings` (each with its instruction,
    so `findings` + 4 instructions), photos left out so that its messages land quickly."""
    data = yaml.safe_load((ROOT / "examples" / "visit-PO-2026-0142" / "report.yaml").read_text("utf-8"))
    example = data["findings"]
    data["findings"] = [copy.deepcopy(example[i % len(example)]) for i in range(findings)]
    for item in data["findings"] + data["materials"] + data["packaging"]["checks"]:
        item.pop("photos", None)
    for finding in data["findings"]:
        finding["in_sample"] = False  # so that the sample's defects do not add up past its size
    path = folder / "report.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def config_file(folder: Path, section: str, factory: str, people: tuple[str, str, str]) -> Path:
    """The example config with this run's database, the platform's `section` lines (its
    [telegram] or [slack] settings), `factory` under the example's factory and each of
    `people` (ids for buyer, inspector, factory) under its person."""
    text = (ROOT / "examples" / "followup.toml").read_text("utf-8")
    text = text.replace('url = "sqlite:///followup.sqlite3"', f'url = "sqlite:///{folder / "followup.sqlite3"}"')
    header = section.split("\n", 1)[0] + "\n"
    text = text.replace(header, section, 1)
    text = text.replace('id = "NB-EVERGREEN"\n', f'id = "NB-EVERGREEN"\n{factory}\n', 1)
    for name, line in zip(PEOPLE, people):
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\n{line}\n', 1)
    path = folder / "followup.toml"
    path.write_text(text, encoding="utf-8")
    return path


def post_visit(config: Path, report: Path, platform: str) -> None:
    """The inspector's visit, stored with its messages owed, before the bot starts."""
    subprocess.run([sys.executable, __file__, str(config), str(report), platform], cwd=ROOT, check=True)


def _post(config_path: Path, report: Path, platform: str) -> None:
    sys.path.insert(0, str(ROOT))
    from bot.app import build_app
    from bot.config import load_config
    from handlers.clock import SystemClock
    from handlers.commands import Actor, PostVisit
    from handlers.intake.reports import read_report
    from handlers.model import Platform, Role

    async def main() -> None:
        config = load_config(config_path)
        app = await build_app(config, SystemClock())
        try:
            with read_report(report, [f.id for f in config.factories]) as checked:
                assert checked.ok, checked.problems
                inspector = next(p for p in config.people if p.role is Role.INSPECTOR)
                reply = await app.bus.handle(PostVisit(checked.report, {}), Actor(inspector, Platform(platform)))
                assert reply.ok, reply
        finally:
            await app.close()

    asyncio.run(main())


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def row(metric: str, bot: float, bare: float, unit: str, target: str) -> str:
    return f"| {metric} | {bot:,.1f} {unit} | {bare:,.1f} {unit} | {bot / bare:.2f}× | {target} |"


@dataclass
class Run:
    """What one process did under the load, per phase (a rate offered, a number of clients):
    latencies (ms), throughput (per second), and its CPU ms per request, all threads."""

    latencies: dict[object, list[float]] = field(default_factory=dict)
    rates: dict[object, float] = field(default_factory=dict)
    cpu: dict[object, float] = field(default_factory=dict)


def rate(runs: list[Run], phase: object) -> float:
    """The median of the runs' throughputs."""
    return statistics.median(r.rates[phase] for r in runs)


def tail(runs: list[Run], phase: object) -> float:
    """The p99 of every request of the runs: one slow run shows."""
    return p99([latency for r in runs for latency in r.latencies[phase]])


def cpu(runs: list[Run], phase: object) -> float:
    """The median of the runs' CPU per request."""
    return statistics.median(r.cpu[phase] for r in runs)


HEADER = ["| metric | bot | bare | ratio | target |", "|---|---|---|---|---|"]


async def interleaved(pairs: int, bare, bot, *args) -> tuple[list, list]:
    """`pairs` runs of each, alternating which goes first, so that a machine slowing down or
    speeding up during the benchmark weighs on both alike; returns (bots, bares)."""
    bots, bares = [], []
    for pair in range(pairs):
        for measure in (bare, bot) if pair % 2 == 0 else (bot, bare):
            (bares if measure is bare else bots).append(await measure(*args))
    return bots, bares


def command_line(doc: str, bare_flag: str, serve_bare, measure, argv: list[str]) -> int:
    """`script [--quick]` runs `measure(quick)` (benchmarks/run_all.py calls it as `main(argv)`);
    `script BARE_FLAG` is the bare framework's process."""
    if argv[:1] == [bare_flag]:
        serve_bare()
        return 0
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one pair, shorter phases (under ~40 s)")
    asyncio.run(measure(parser.parse_args(argv).quick))
    return 0

if __name__ == "__main__":
    _post(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
