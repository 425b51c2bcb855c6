"""How the benchmark scripts report timings.

`row` is the convention benchmarks/run_all.py collects: one Markdown table row per metric,
`| metric | bot | baseline | ratio | target |`, printed by a script's `main(argv) -> int`.
`line` is the older one-line form the scripts not yet converted print.
"""

from __future__ import annotations

import statistics


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: with 20 runs the p99 is the slowest, never interpolated."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def p95(values: list[float]) -> float:
    return percentile(values, 0.95)


def p99(values: list[float]) -> float:
    return percentile(values, 0.99)


def timings(values_ms: list[float]) -> str:
    """Median and p99 of millisecond figures, with the number of runs."""
    return f"median {statistics.median(values_ms):,.1f} ms, p99 {p99(values_ms):,.1f} ms (n={len(values_ms)})"


def row(metric: str, bot: str, baseline: str = "", ratio: str = "", target: str = "") -> str:
    """One table row; `|` inside a cell is escaped so the table keeps its columns."""
    cells = [cell.replace("|", "\\|") for cell in (metric, bot, baseline, ratio, target)]
    return "| " + " | ".join(cells) + " |"


def line(name: str, values: list[float], budget_ms: float, width: int = 14) -> str:
    median = statistics.median(values)
    verdict = "within" if median < budget_ms else "OVER"
    return (f"{name:<{width}} n={len(values):<3} median {median:9.1f} ms   p95 {p95(values):9.1f} ms"
            f"   ({verdict} {budget_ms:g} ms)")
