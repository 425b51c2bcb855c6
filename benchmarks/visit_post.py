"""How long `followup visit post` and `visit check` take on the issue's heavy visit, beside
`python -c "import telegram"`: `.venv/bin/python benchmarks/visit_post.py [--quick]`.

The visit (20 findings, 40 camera photos of 2–4 MB and the example's 3 others) is made once in a
temporary folder; each post runs in a fresh process on a fresh SQLite database (the example
configuration: the console platform prints the buyer's messages), interleaved with the baseline.
Median and p99 of the wall time, and the median peak RSS. `visit post` checks and keeps the
photos in a child process (bot/cli/intake_aside.py): its CPU time is counted with the command's
(wait4 reports a process's time with that of the children it waited for).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from big_visit import write_visit_apart  # noqa: E402
from rows import HEADER, PYTHON, mb, ms, ratio, repetitions, row, run_once  # noqa: E402

FOLLOWUP = str(Path(PYTHON).with_name("followup"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each instead of 10")
    args = parser.parse_args(argv)
    repeat = repetitions(args.quick, 10)
    folder = Path(tempfile.mkdtemp(prefix="followup-bench-post-"))
    try:
        visit = folder / "visit"
        visit.mkdir()
        report = write_visit_apart(visit)
        posts, checks, baseline = [], [], []
        for n in range(repeat):
            store = folder / f"store-{n}"
            store.mkdir()
            posts.append(run_once([FOLLOWUP, "visit", "post", str(report)], cwd=store))
            checks.append(run_once([FOLLOWUP, "visit", "check", str(report)], cwd=store))
            baseline.append(run_once([PYTHON, "-c", "import telegram"], cwd=store))
            shutil.rmtree(store)
        base = [r.ms for r in baseline]
        print(HEADER)
        for label, runs in (("`visit post`", posts), ("`visit check`", checks)):
            times = [r.ms for r in runs]
            metric = f"{label}, 20 findings / 43 photos (40 of 2–4 MB): wall, peak RSS {mb([r.max_rss_mb for r in runs])}"
            print(row(metric, ms(times), f"`import telegram` {ms(base)}", ratio(times, base), "< 500 ms"))
            cpu, base_cpu = [r.cpu_ms for r in runs], [r.cpu_ms for r in baseline]
            print(row(f"{label}: CPU (user + system)", ms(cpu), f"`import telegram` {ms(base_cpu)}", ratio(cpu, base_cpu)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
