"""How long each `followup` command takes in a fresh process, beside `python -c "import telegram"`:
`.venv/bin/python benchmarks/cli_start_up.py [--quick]`.

Every command runs against the example configuration in a temporary folder (its SQLite database
made once there, so the store's commands read an empty store, not the migrations), interleaved
with the baseline, as median and p99 over fresh processes. The budget is 300 ms for the
commands that need no store; the rest print their figure beside it. Timing lives here, never in
the tests (tests/test_cli_start_up.py holds the imported modules instead).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rows import HEADER, PYTHON, ROOT, mb, ms, ratio, repetitions, row, run_once  # noqa: E402

FOLLOWUP = str(Path(PYTHON).with_name("followup"))
REPORT = ROOT / "examples" / "visit-PO-2026-0142" / "report.yaml"
BUDGET = "< 300 ms"
# (what the row says, the arguments, the exit codes that mean it ran as meant, the target)
COMMANDS = [
    ("`followup --help`", ["--help"], (0,), BUDGET),
    ("`followup aql 500`", ["aql", "500"], (0,), BUDGET),
    ("`followup visit check`", ["visit", "check", str(REPORT)], (0,), BUDGET),
    ("`followup visit schema`", ["visit", "schema"], (0,), BUDGET),
    ("`followup visit analyze`", ["visit", "analyze", str(REPORT)], (0,), ""),
    ("`followup notice kinds`", ["notice", "kinds"], (0,), ""),
    ("`followup orders` (empty store)", ["orders"], (0,), ""),
    ("`followup notices` (empty store)", ["notices"], (0,), ""),
    ("`followup outbox` (empty store)", ["outbox"], (0,), ""),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each instead of 15")
    parser.add_argument("-n", type=int, default=None, help="runs of each command")
    args = parser.parse_args(argv)
    repeat = args.n or repetitions(args.quick, 15)
    folder = Path(tempfile.mkdtemp(prefix="followup-bench-cli-"))
    try:
        run_once([FOLLOWUP, "orders"], cwd=folder)  # the database made and migrated once
        baseline = partial(run_once, [PYTHON, "-c", "import telegram"], cwd=folder)
        print(HEADER)
        for label, arguments, codes, target in COMMANDS:
            command = partial(run_once, [FOLLOWUP, *arguments], cwd=folder, exit_codes=codes)
            bot, base = [], []
            for _ in range(repeat):
                bot.append(command())
                base.append(baseline())
            times, base_times = [r.ms for r in bot], [r.ms for r in base]
            print(row(f"{label}: wall, peak RSS {mb([r.max_rss_mb for r in bot])}", ms(times),
                      f"`import telegram` {ms(base_times)}", ratio(times, base_times), target))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
