"""How long the progress chart takes to render: `.venv/bin/python benchmarks/chart.py [-n 30] [--quick]`.

Cold is the first rendering in a fresh process (Pillow imported, the font loaded, the
catalog read), measured in --cold separate processes; the running bot's first is the first
rendering in a worker of its CPU pool, started and warmed as the bot does at start (Pillow
preloaded by its fork server), one fresh pool each time; warm is every later rendering in one
process, in English and Chinese. Prints Markdown rows (median and p99) against the 300 ms budget.
Timing lives here, never in the tests, where a busy machine would make them flaky.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rows import HEADER, ms, repetitions, row  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "examples" / "visit-PO-2026-0142" / "report.yaml"
TARGET = "< 300 ms"


def example_chart():
    from bot.config import EXAMPLE_CONFIG, load_config
    from handlers.analysis.progress import reports_chart
    from handlers.model.report import VisitReport

    config = load_config(EXAMPLE_CONFIG)
    report = VisitReport.model_validate(yaml.safe_load(REPORT.read_text(encoding="utf-8")))
    return reports_chart([report], config.factory(report.order.factory), config.analysis)


def timed_ms(chart, locale: str) -> float:
    from messages.chart import render_chart
    from messages.i18n import Language

    start = time.perf_counter()
    render_chart(chart, Language(locale))
    return (time.perf_counter() - start) * 1000


def cold_once(locale: str) -> float:
    """The first rendering in a fresh interpreter, as the bot's first status answer pays it."""
    result = subprocess.run(
        [sys.executable, __file__, "--first-only", "--locale", locale], capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip())


async def first_in_the_bot(chart) -> float:
    """The first chart a fresh, warmed CPU pool draws, as the running bot's first status answer."""
    from bot.cpu import CpuPool
    from messages.chart import render_chart
    from messages.i18n import Language

    pool = CpuPool()
    try:
        await pool.warm()
        start = time.perf_counter()
        await pool.run(render_chart, chart, Language("en"))
        return (time.perf_counter() - start) * 1000
    finally:
        pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 cold runs and 5 warm instead of 5 and 30")
    parser.add_argument("-n", type=int, default=None, help="warm renderings per language")
    parser.add_argument("--cold", type=int, default=None, help="fresh processes for the cold figure")
    parser.add_argument("--locale", default="en")
    parser.add_argument("--first-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    chart = example_chart()
    if args.first_only:
        print(timed_ms(chart, args.locale))
        return 0
    cold = args.cold or repetitions(args.quick, 5)
    print(HEADER)
    print(row("progress chart, first in a fresh process (en)", ms([cold_once("en") for _ in range(cold)]), "", "",
              TARGET))
    print(row("progress chart, first in a fresh process (zh)", ms([cold_once("zh_Hans_CN") for _ in range(cold)]),
              "", "", TARGET))
    print(row("progress chart, first in the running bot (a warmed worker)",
              ms([asyncio.run(first_in_the_bot(chart)) for _ in range(cold)]), "", "", TARGET))
    timed_ms(chart, "en")  # warm-up: import and font loading are the cold figure's
    for locale in ("en", "zh_Hans_CN"):
        warm = [timed_ms(chart, locale) for _ in range(args.n or repetitions(args.quick, 30, 5))]
        print(row(f"progress chart, warm ({locale[:2]})", ms(warm), "", "", TARGET))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
