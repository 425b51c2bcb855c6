"""The worker processes of the CPU pool end with the bot that owns them, even when it is
killed with SIGKILL: a bot restarted after each crash must not pile up orphaned workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT

OWNER = """
import asyncio, os, sys
from bot.cpu import CpuPool

async def main():
    pool = CpuPool(workers=2)
    pids = set()
    while len(pids) < 2:  # both workers started and known
        pids |= set(await asyncio.gather(*(pool.run(os.getpid) for _ in range(4))))
    print(*sorted(pids), flush=True)
    await asyncio.sleep(600)

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_workers_end_when_their_bot_is_killed(tmp_path) -> None:
    script = tmp_path / "owner.py"
    script.write_text(OWNER, encoding="utf-8")
    owner = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             stderr=subprocess.DEVNULL)
    workers = [int(pid) for pid in owner.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)

    owner.send_signal(signal.SIGKILL)
    owner.wait()

    assert _gone_soon(workers), f"workers {workers} outlived the bot that owned them"


WARMED = """
import asyncio, sys
from bot.cpu import CpuPool

def first_use_done() -> bool:
    from messages.i18n import translations
    return "bot.cpu_warm" in sys.modules and translations.cache_info().currsize == 2

async def main():
    pool = CpuPool(workers=1)
    await pool.warm()
    print(await pool.run(first_use_done))
    pool.close()

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_a_pool_warmed_at_start_forks_workers_with_the_catalogs_read(tmp_path) -> None:
    """The documents' first-use work is done once, in the fork server, not in each fresh worker."""
    script = tmp_path / "warmed.py"
    script.write_text(WARMED, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"


def _gone_soon(pids: list[int], patience: float = 30.0) -> bool:
    """Whether every process is gone within `patience` seconds (a liveness wait, not a timing check)."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a worker that ended is a zombie until its parent, the fork server, reaps it
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone between the two looks (reading /proc/PID raises ESRCH)
        return False


SLOW_START = """
import asyncio, os, sys
from pathlib import Path
import bot.cpu
from bot.cpu import CpuPool

bot.cpu.PRELOAD = ["slow_preload"]  # the fork server's preload: two seconds, marked by files

async def main():
    folder = Path(sys.argv[1])
    seen = []

    async def heartbeat():
        while True:
            seen.append((folder / "started").exists() and not (folder / "done").exists())
            await asyncio.sleep(0.01)

    beating = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    pool = CpuPool(workers=1)
    await pool.run(os.getpid)
    beating.cancel()
    pool.close()
    print(any(seen))

if __name__ == "__main__":
    asyncio.run(main())
"""
SLOW_PRELOAD = """
import os, time
from pathlib import Path
folder = Path(os.environ["PRELOAD_MARKS"])
(folder / "started").touch()
time.sleep(2)
(folder / "done").touch()
"""


def test_the_event_loop_runs_on_while_the_pool_starts(tmp_path) -> None:
    """The first job waits for the fork server's preload imports; the loop that answers taps
    does not: it is seen turning while the preload is under way."""
    (tmp_path / "slow_start.py").write_text(SLOW_START, encoding="utf-8")
    (tmp_path / "slow_preload.py").write_text(SLOW_PRELOAD, encoding="utf-8")
    environment = {**os.environ, "PRELOAD_MARKS": str(tmp_path),
                   "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = subprocess.run([sys.executable, str(tmp_path / "slow_start.py"), str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, check=True, env=environment)
    assert (tmp_path / "done").exists()
    assert result.stdout.strip() == "True", "the event loop stood still while the fork server started"
