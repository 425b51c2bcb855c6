"""How the benchmark scripts report timings: median and p95 against a budget, one line each."""

from __future__ import annotations

import statistics


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(name: str, values: list[float], budget_ms: float, width: int = 14) -> str:
    median = statistics.median(values)
    verdict = "within" if median < budget_ms else "OVER"
    return (f"{name:<{width}} n={len(values):<3} median {median:9.1f} ms   p95 {p95(values):9.1f} ms"
            f"   ({verdict} {budget_ms:g} ms)")
