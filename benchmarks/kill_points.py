"""Kill points, for the record: runs N crash cases (tests/crash_world.py) and prints the kills,
the calls they followed, and every repeated send, against the run without kills.

    .venv/bin/python benchmarks/kill_points.py [-n 40] [--first-seed 1] [--kills 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crash_world import Forks, Outcome, broken_promises, repeats, run_case, run_cases  # noqa: E402


async def main(seeds: range, kills: int, folder: Path) -> int:
    forks = Forks()
    started = time.monotonic()
    try:
        reference = await run_case(forks, folder / "reference", 0)
        outcomes = await run_cases(forks, folder, seeds, reference, kills)
    finally:
        forks.close()
    fired, repeated, failed = Counter(), Counter(), 0
    for seed, case in outcomes.items():
        if not isinstance(case, Outcome) or broken_promises(case, reference):
            failed += 1
            print(f"case {seed} FAILED: {case if not isinstance(case, Outcome) else broken_promises(case, reference)}")
            continue
        fired.update(k.split("(")[-1].rstrip(")") if "(" in k else "delay" for k in case.kills)
        repeated += repeats(case, reference)
    print(f"{len(outcomes)} cases, {sum(fired.values())} kills in {time.monotonic() - started:.1f} s, {failed} failed")
    print("kills after: " + ", ".join(f"{what} {n}" for what, n in fired.most_common()))
    print(f"repeated sends: {sum(repeated.values())}")
    for (chat, method, what), times in sorted(repeated.items(), key=str):
        print(f"  {times}x {method} to {chat}: {what[:70]}")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=40)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory() as folder:
        sys.exit(asyncio.run(main(range(args.first_seed, args.first_seed + args.n), args.kills, Path(folder))))
