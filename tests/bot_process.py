"""The bot as a process of its own, for the crash tests to SIGKILL and start again.

`python -m tests.bot_process` imports the bot once, then reads orders from stdin, one JSON
line each (config file, clock file, log file, the fake Bot API's token and URLs), forks a
fresh bot for each and answers with its pid. A fork starts in milliseconds where a new
interpreter takes a second or two importing python-telegram-bot, Jinja and fpdf2; the forked
bot is as separate as any other process: its own event loop, SQLite connections and sockets.

Each bot runs what `followup run` runs (`bot.cli_run.serve`) on Telegram, at a fast `Pace`,
with a `FileClock`: the instant the test last wrote, so the test makes reminders due by
moving time, not by waiting for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.cli_run import Pace, serve
from bot.config import Config
from bot.telegram.settings import TelegramEnvironment
import messages.pdf  # noqa: F401 - imported before forking, like everything a bot uses

PACE = Pace(delivery=0.1, chasing=0.05, poll_timeout=1)


@dataclass(frozen=True)
class FileClock:
    """The time written in `path` (ISO 8601), read at every call: the test moves it."""

    path: Path

    def now(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text(encoding="utf-8"))

    def set(self, moment: datetime) -> None:
        """Written whole, then renamed: a reader never sees half an instant."""
        partial = self.path.with_suffix(".partial")
        partial.write_text(moment.isoformat(), encoding="utf-8")
        partial.replace(self.path)


def run_bot(order: dict) -> None:
    """One bot, until SIGTERM (or SIGKILL); its output goes to the order's log file."""
    log = os.open(order["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s",
                        force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = Config.model_validate_json(Path(order["config"]).read_text(encoding="utf-8"))
    telegram = TelegramEnvironment(order["token"], order["base_url"], order["file_base_url"])
    asyncio.run(serve(config, telegram, None, FileClock(Path(order["clock"])), PACE))


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # bots are reaped as they die, killed or not
    for line in sys.stdin:
        order = json.loads(line)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                run_bot(order)
            except BaseException:  # noqa: BLE001 - a forked child must never return into this loop
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
