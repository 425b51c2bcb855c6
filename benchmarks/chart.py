"""How long the progress chart takes to render: `.venv/bin/python benchmarks/chart.py [-n 30]`.

Cold is the first rendering in a fresh process (matplotlib imported, the font registered),
measured in --cold separate processes; warm is every later rendering in one process, in
English and Chinese. Prints median and p95 in milliseconds against the 300 ms budget.
Timing lives here, never in the tests, where a busy machine would make them flaky.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import yaml

from figures import line

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "examples" / "visit-PO-2026-0142" / "report.yaml"
BUDGET_MS = 300


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="warm renderings per language")
    parser.add_argument("--cold", type=int, default=5, help="fresh processes for the cold figure")
    parser.add_argument("--locale", default="en")
    parser.add_argument("--first-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    chart = example_chart()
    if args.first_only:
        print(timed_ms(chart, args.locale))
        return
    print(line("cold (en)", [cold_once("en") for _ in range(args.cold)], BUDGET_MS))
    print(line("cold (zh)", [cold_once("zh_Hans_CN") for _ in range(args.cold)], BUDGET_MS))
    timed_ms(chart, "en")  # warm-up: import and font registration are the cold figure's
    for locale in ("en", "zh_Hans_CN"):
        print(line(f"warm ({locale[:2]})", [timed_ms(chart, locale) for _ in range(args.n)], BUDGET_MS))


if __name__ == "__main__":
    main()
