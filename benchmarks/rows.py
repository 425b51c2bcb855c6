"""How the issue-17 benchmark scripts measure and report: commands run again and again in fresh
processes (hyperfine-like, interleaved with their baseline), and one Markdown table row per
figure: metric | bot | baseline | ratio | target.

Each script is a module with `main(argv) -> int` that prints its rows and takes `--quick`
(fewer repetitions), so the bench runner can import and call it, or run it as a script.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HEADER = "| metric | bot | baseline | ratio | target |\n|---|---|---|---|---|"


@dataclass(frozen=True)
class Run:
    ms: float
    max_rss_mb: float
    cpu_ms: float = 0.0  # user + system time of the process (and its waited-for children)


def run_once(command: Sequence[str], cwd: Path = ROOT, env: dict[str, str] | None = None,
             exit_codes: Sequence[int] = (0,)) -> Run:
    """One fresh process, timed from its start to its exit, with its peak RSS and CPU time (from
    wait4): on a shared machine the CPU time is the steadier figure."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = (time.perf_counter() - start) * 1000
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in exit_codes:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    return Run(elapsed, usage.ru_maxrss / 1024, (usage.ru_utime + usage.ru_stime) * 1000)


def interleaved(commands: dict[str, Callable[[], Run]], repeat: int) -> dict[str, list[Run]]:
    """Each of `commands` once per round, `repeat` rounds, so a busy moment hits them all alike."""
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(command())
    return runs


def p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def ms(values: Sequence[float]) -> str:
    """Median and p99 of timings in milliseconds, as a cell."""
    return f"{statistics.median(values):,.0f} ms (p99 {p99(values):,.0f})"


def mb(values: Sequence[float]) -> str:
    return f"{statistics.median(values):,.0f} MB"


def ratio(bot: Sequence[float], baseline: Sequence[float]) -> str:
    return f"{statistics.median(bot) / statistics.median(baseline):.2f}×" if baseline else ""


def row(metric: str, bot: str, baseline: str = "", ratio_cell: str = "", target: str = "") -> str:
    return f"| {metric} | {bot} | {baseline} | {ratio_cell} | {target} |"


def repetitions(quick: bool, full: int, fast: int = 3) -> int:
    return fast if quick else full
