"""The bench runner finds the benchmarks, runs each alone, collects their table rows into
RESULTS.md and keeps the hand-written Before / after section. Scripts written here stand in for
the real benchmarks, which take minutes; nothing is timed."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 6, 18, 30, tzinfo=UTC)

GOOD = '''"""Taps: how fast the bot answers them."""
def main(argv):
    print("| metric | bot | baseline | ratio | target |")
    print("|---|---|---|---|---|")
    print("| tap p99 | 9 ms | 5 ms | 1.8x | <= 2x |")
    print("| quick run | " + ("yes" if "--quick" in argv else "no") + " | | | |")
    print("a line of prose is not a row")
    return 0
'''
FAILING = '''"""Breaks half way."""
def main(argv):
    print("| first figure | 1 ms | | | |", flush=True)
    raise RuntimeError("the fake server did not start")
'''
HANGING = '''"""Never ends."""
import time
def main(argv):
    time.sleep(600)
    return 0
'''
OLD_STYLE = '''def main():
    print("prints lines the old way")
'''


@pytest.fixture
def run_all(monkeypatch: pytest.MonkeyPatch):
    """benchmarks/ is a folder of scripts, not a package: the runner is loaded from its file."""
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "run_all", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "taps.py").write_text(GOOD)
    (tmp_path / "broken.py").write_text(FAILING)
    (tmp_path / "old_style.py").write_text(OLD_STYLE)
    (tmp_path / "helpers.py").write_text("def line(name, values):\n    return name\n")
    return tmp_path


def test_a_quick_run_writes_each_benchmarks_rows_and_says_which_failed(run_all, folder: Path) -> None:
    code = run_all.main(["--quick"], now=NOW, folder=folder)

    results = (folder / "RESULTS.md").read_text()
    assert code == 1  # one benchmark failed; the others still ran
    assert "- date: 2026-12-06 18:30 UTC" in results
    assert "cores" in results and "Python 3." in results
    assert "## taps: Taps: how fast the bot answers them\n" in results
    assert "| tap p99 | 9 ms | 5 ms | 1.8x | <= 2x |" in results
    assert "| quick run | yes |  |  |  |" in results
    assert "prose" not in results
    assert "| first figure | 1 ms |  |  |  |" in results
    assert "**No complete figures: exit code 1.**" in results
    assert "Not run (no `main(argv)`): `helpers.py`, `old_style.py`." in results
    assert results.index("## broken") < results.index("## taps")


def test_the_hand_written_before_and_after_survives_a_new_run(run_all, folder: Path) -> None:
    run_all.main(["--only", "taps", "--out", str(folder / "RESULTS.md")], now=NOW, folder=folder)
    written = (folder / "RESULTS.md").read_text()
    mine = "## Before / after\n\n| metric | before | after |\n|---|---|---|\n| summary | 700 ms | 60 ms |\n"
    start, end = written.index(run_all.BEFORE_AFTER), written.index(run_all.BEFORE_AFTER_END)
    (folder / "RESULTS.md").write_text(written[:start] + run_all.BEFORE_AFTER + "\n" + mine + written[end:])

    assert run_all.main(["--out", str(folder / "RESULTS.md")], now=NOW, folder=folder) == 1

    again = (folder / "RESULTS.md").read_text()
    assert mine in again
    assert again.count(run_all.BEFORE_AFTER) == 1 and "## broken" in again


def test_a_hung_benchmark_is_stopped_and_the_next_one_runs(run_all, folder: Path) -> None:
    (folder / "a_hang.py").write_text(HANGING)

    code = run_all.main(["--only", "a_hang", "taps", "--timeout", "3", "--out", str(folder / "R.md")], now=NOW,
                        folder=folder)

    results = (folder / "R.md").read_text()
    assert code == 1
    assert "**No complete figures: stopped after 3 s.**" in results
    assert "| tap p99 | 9 ms | 5 ms | 1.8x | <= 2x |" in results


def test_rows_keep_an_escaped_bar_and_ignore_headers_and_rules(run_all) -> None:
    assert run_all.parse_row(r"| a \| b | 1 ms |") == ("a | b", "1 ms", "", "", "")
    assert run_all.parse_row("| Metric | bot | baseline | ratio | target |") is None
    assert run_all.parse_row("|:---|---:|") is None
    assert run_all.parse_row("median 3 ms") is None


def test_every_real_benchmark_that_offers_main_is_found(run_all) -> None:
    found, skipped = run_all.discover(ROOT / "benchmarks")

    assert "portfolio" in {b.name for b in found}
    assert {"figures", "dataset"} <= set(skipped)
