"""What a burst of first approvals costs the bot until the buyer's chat shows all of them:
`.venv/bin/python benchmarks/telegram_burst.py [--runs N | --quick]`.

benchmarks/telegram_taps.py times the taps' answers; the outbox's work for the same taps (each
finding's message edited, the summary's buttons refreshed) mostly lands after the last answer,
so there it weighs on the next phase. Here the same bot (`followup run` on the fake Bot API,
the 100-finding visit) takes every Approve tapped at once, and the figures run until every
finding's message shows its decision and the summary offers Send notice: CPU per approval
(all threads, robust to a loaded machine), the
Bot API edits per approval, and the wall time. Medians over the runs. Timing lives here,
never in the tests. `--profile FILE` records the bot process with py-spy (speedscope JSON)
from the first tap until the chat shows every decision, the last run's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from figures import row
from side_by_side import HEADER, cpu_ms
from telegram_taps import BUYER_CHAT, approve_buttons, bot_ready

EDITS = ("editMessageText", "editMessageReplyMarkup")


def summary(fake):
    """The summary's message that carries its buttons (its last, when its text takes several)."""
    return next(m for m in fake.transcript(BUYER_CHAT)
                if any(label.startswith(("Approve all", "Send notice")) for label in m.buttons))


@contextlib.contextmanager
def profiled(pid: int, into: Path | None):
    """py-spy recording `pid` while the block runs (nothing without `into`): only the thread
    holding the GIL, what costs CPU, not the loop waiting in epoll or the store's thread idle."""
    if into is None:
        yield
        return
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    recorder = subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "speedscope", "--rate", "250", "--gil",
                                 "--output", str(into)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the first tap
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)


async def burst(profile: Path | None = None) -> dict[str, float]:
    async with bot_ready() as (fake, timed, user, process), contextlib.AsyncExitStack() as stack:
        stack.enter_context(profiled(process.pid, profile))
        buttons, before = approve_buttons(fake), {method: len(fake.calls(method)) for method in EDITS}
        used, start = cpu_ms(process.pid), time.perf_counter()
        ids = [await timed.tap(user, message_id, data) for message_id, data in buttons]
        await timed.answers(ids)
        answered = cpu_ms(process.pid) - used
        tapped = {message_id for message_id, _ in buttons}
        await fake.wait_for(lambda: all("Decision: approved" in m.plain for m in fake.transcript(BUYER_CHAT)
                                        if m.message_id in tapped)
                            and any(label.startswith("Send notice") for label in summary(fake).buttons), timeout=300)
        shown, delivered = time.perf_counter() - start, cpu_ms(process.pid) - used
        edits = {method: len(fake.calls(method)) - before[method] for method in EDITS}
        summary_edits = sum(int(c["message_id"]) == summary(fake).message_id
                            for c in fake.calls(EDITS[1])[before[EDITS[1]]:])
    count = len(ids)
    return {"CPU per approval, until answered (ms)": answered / count,
            "CPU per approval, until shown (ms)": delivered / count,
            "finding edits per approval": edits[EDITS[0]] / count,
            "summary refreshes in the burst": summary_edits,
            "all shown after (s)": shown}


async def measure(runs: int, profile: Path | None) -> None:
    results = [await burst(profile if n == runs - 1 else None) for n in range(runs)]
    print("\n".join(HEADER))
    for metric in results[0]:
        values = [r[metric] for r in results]
        print(row(metric, f"{statistics.median(values):,.2f} (runs: {', '.join(f'{v:,.2f}' for v in values)})"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run (benchmarks/run_all.py --quick)")
    parser.add_argument("--profile", type=Path, help="py-spy speedscope JSON of the last run's burst")
    options = parser.parse_args(argv)
    asyncio.run(measure(1 if options.quick else options.runs, options.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
