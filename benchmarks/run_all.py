"""Runs every benchmark and writes benchmarks/RESULTS.md: `.venv/bin/python benchmarks/run_all.py [--quick]`.

A benchmark is any benchmarks/*.py that defines `def main(argv) -> int` at module level; it
prints its figures as Markdown table rows, `| metric | bot | baseline | ratio | target |`
(benchmarks/figures.py `row`), and takes `--quick` for a shorter run. Each runs alone, in a
fresh interpreter (a benchmark's imports and memory must not be another's), one after
another (they measure: running two at once would measure each other). Scripts that do not
offer `main(argv)` yet are listed as skipped; one that fails or times out is reported as such
and the others still run.

RESULTS.md gets the machine (cores, CPU model, Python, the date from the clock, the load at
the start: the figures of a shared machine mean little without it), then one table per
benchmark, in name order. The section between the BEFORE/AFTER markers is kept by hand (what a
change did, with the figures before and after it) and carried over untouched from the
previous file.

    --quick          every benchmark's short run (6–8 minutes in all on a busy 2-core machine)
    --only NAME ...  these benchmarks only (file names without .py); RESULTS.md is then not
                     written unless --out is given
    --out FILE       where to write (default benchmarks/RESULTS.md)
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
HEADER = ("metric", "bot", "baseline", "ratio", "target")
BEFORE_AFTER = "<!-- BEFORE/AFTER: kept by hand; run_all.py carries it over -->"
BEFORE_AFTER_END = "<!-- END BEFORE/AFTER -->"
EMPTY_BEFORE_AFTER = "## Before / after\n\n(What a change did: the figures before and after it, by hand.)\n"
TIMEOUT_S, QUICK_TIMEOUT_S = 1800, 600
# Imports the benchmark from its folder and hands it the arguments: a script need not have an
# `if __name__ == "__main__"` block for the runner to call its main(argv).
LAUNCH = ("import importlib, sys; sys.path.insert(0, sys.argv[1]);"
          " sys.exit(importlib.import_module(sys.argv[2]).main(sys.argv[3:]))")


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str  # the first line of its docstring


@dataclass
class Outcome:
    benchmark: Benchmark
    rows: list[tuple[str, ...]] = field(default_factory=list)
    failure: str | None = None  # why it gave no complete figures
    seconds: float = 0.0


def discover(folder: Path) -> tuple[list[Benchmark], list[str]]:
    """The benchmarks in `folder`, by name, and the scripts skipped (no `main(argv)`), read
    without importing them: importing one would run its imports in the runner."""
    found, skipped = [], []
    for path in sorted(folder.glob("*.py")):
        if path.resolve() == Path(__file__).resolve():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(_takes_argv(node) for node in tree.body):
            doc = ast.get_docstring(tree) or path.stem
            # "What it measures: `how to run it`." names the benchmark by what it measures.
            found.append(Benchmark(path.stem, doc.strip().splitlines()[0].split(": `")[0].rstrip(".:")))
        else:
            skipped.append(path.stem)
    return found, skipped


def _takes_argv(node: ast.stmt) -> bool:
    return (isinstance(node, ast.FunctionDef) and node.name == "main"
            and len(node.args.posonlyargs) + len(node.args.args) == 1)


def parse_row(line: str) -> tuple[str, ...] | None:
    """A table row's five cells, or None for anything else (the header, the rule, prose)."""
    text = line.strip()
    if len(text) < 2 or not (text.startswith("|") and text.endswith("|")):
        return None
    cells = [cell.strip().replace("\\|", "|") for cell in _split(text[1:-1])]
    if not cells or cells[0].lower() == HEADER[0] or all(set(cell) <= set("-: ") for cell in cells):
        return None
    return tuple((cells + [""] * len(HEADER))[:len(HEADER)])


def _split(inner: str) -> list[str]:
    """Cells split on `|` but not on an escaped `\\|`."""
    cells, cell, escaped = [], "", False
    for char in inner:
        if char == "|" and not escaped:
            cells.append(cell)
            cell = ""
        else:
            cell += char
        escaped = char == "\\" and not escaped
    return cells + [cell]


def echo_rows(output, rows: list[tuple[str, ...]]) -> None:
    """Echoes a benchmark's output line by line and keeps the table rows it prints."""
    for line in output:
        print(line, end="", flush=True)
        if (row := parse_row(line)) is not None:
            rows.append(row)


def run(benchmark: Benchmark, folder: Path, quick: bool, timeout_s: float) -> Outcome:
    """One benchmark in its own interpreter, its output echoed as it comes, its rows kept;
    killed after `timeout_s` (a hung benchmark prints nothing to wake a reader).

    The output is read on a thread and the deadline kept by `Popen.wait(timeout)`, which polls
    with sleeps: a timer thread's timed wait never fires under libfaketime (the suite runs with
    the clock moved a year ahead), so a hung benchmark would hang the runner too."""
    outcome = Outcome(benchmark)
    command = [sys.executable, "-c", LAUNCH, str(folder), benchmark.name, *(["--quick"] if quick else [])]
    started = time.monotonic()
    stopped = False
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, encoding="utf-8") as process:
        reader = threading.Thread(target=echo_rows, args=(process.stdout, outcome.rows), daemon=True)
        reader.start()
        try:
            code = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stopped = True
            process.kill()
            code = process.wait()
        reader.join()
    outcome.seconds = time.monotonic() - started
    if stopped:
        outcome.failure = f"stopped after {timeout_s:g} s"
    elif code != 0:
        outcome.failure = f"exit code {code}"
    return outcome


def machine(now: datetime) -> list[str]:
    """What the figures were measured on, as Markdown list items."""
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    return [f"- date: {now.strftime('%Y-%m-%d %H:%M')} UTC",
            f"- CPU: {cpu_model()}, {os.cpu_count()} cores; load average at the start (1/5/15 min): {load}",
            f"- Python {platform.python_version()} on {platform.platform(terse=True)}"]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def render(outcomes: list[Outcome], skipped: list[str], facts: list[str], quick: bool, kept: str) -> str:
    """RESULTS.md: the machine, a table per benchmark, and the hand-kept section `kept`."""
    parts = ["# Benchmark results", "",
             f"Written by `benchmarks/run_all.py{' --quick' if quick else ''}`; every table below is replaced"
             " on each run, the Before / after section is kept by hand.", "", "## Machine", "", *facts, ""]
    for outcome in outcomes:
        parts += [f"## {outcome.benchmark.name}: {outcome.benchmark.title}", ""]
        if outcome.rows:
            parts += [_row(HEADER), _row(("---",) * len(HEADER)), *(_row(r) for r in outcome.rows)]
        if outcome.failure is not None or not outcome.rows:
            parts += ["", f"**No complete figures: {outcome.failure or 'it printed no rows'}.**"]
        parts += ["", f"({outcome.seconds:.0f} s)", ""]
    if skipped:
        parts += ["Not run (no `main(argv)`): " + ", ".join(f"`{name}.py`" for name in skipped) + ".", ""]
    parts += [BEFORE_AFTER, kept.strip("\n"), BEFORE_AFTER_END, ""]
    return "\n".join(parts)


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def kept_section(previous: str | None) -> str:
    """The hand-kept section of the previous RESULTS.md, or an empty one to fill in."""
    if previous is None or BEFORE_AFTER not in previous or BEFORE_AFTER_END not in previous:
        return EMPTY_BEFORE_AFTER
    return previous.split(BEFORE_AFTER, 1)[1].split(BEFORE_AFTER_END, 1)[0]


def main(argv: list[str], now: datetime | None = None, folder: Path = HERE) -> int:
    """Exit code 1 when any benchmark failed; `now` and `folder` are the tests' to set."""
    parser = argparse.ArgumentParser(prog="run_all.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", metavar="NAME")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--timeout", type=float, help="seconds per benchmark before it is stopped")
    args = parser.parse_args(argv)
    benchmarks, skipped = discover(folder)
    if args.only:
        unknown = sorted(set(args.only) - {b.name for b in benchmarks})
        if unknown:
            parser.error(f"no benchmark {', '.join(unknown)}; there are {', '.join(b.name for b in benchmarks)}")
        benchmarks = [b for b in benchmarks if b.name in args.only]
    facts = machine(now or datetime.now(UTC))
    print("\n".join(facts), flush=True)
    timeout_s = args.timeout or (QUICK_TIMEOUT_S if args.quick else TIMEOUT_S)
    outcomes = []
    for benchmark in benchmarks:
        print(f"\n## {benchmark.name}: {benchmark.title}", flush=True)
        outcomes.append(run(benchmark, folder, args.quick, timeout_s))
        if outcomes[-1].failure is not None:
            print(f"{benchmark.name}: {outcomes[-1].failure}", file=sys.stderr, flush=True)
    out = args.out or (None if args.only else folder / RESULTS.name)
    if out is not None:
        previous = out.read_text(encoding="utf-8") if out.exists() else None
        out.write_text(render(outcomes, skipped, facts, args.quick, kept_section(previous)), encoding="utf-8")
        print(f"\nwrote {out}", flush=True)
    return 1 if any(o.failure is not None for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
