"""The bot as a process of its own, for the crash tests to SIGKILL and start again.

`python -m tests.bot_process` imports the bot once, then reads orders from stdin, one JSON
line each (config file, clock file, log file, the fake Bot API's token and URLs and/or the fake
Slack's and/or the web server's key, maybe a replica id and a commit to die at), forks a fresh bot for each and answers with its pid. A fork starts in milliseconds where a new
interpreter takes a second or two importing python-telegram-bot, Jinja and fpdf2; the forked
bot is as separate as any other process: its own event loop, SQLite connections and sockets.
It ends with the fork server (`die_with`): no bot outlives the test or benchmark that started it.

Each bot runs what `followup run` runs (`bot.running.serve`) on Telegram and/or Slack, at a
fast `Pace`, with a `FileClock`: the instant the test last wrote, so the test makes reminders
due by moving time, not by waiting for it.

A crash between two Bot API calls is the test's to arrange (the fake kills the bot while it
answers a call); a crash between two writes is not, so an order may name one: `DieAt` kills
the bot just before, or just after, the nth commit of a transaction that ran a given statement
(the one storing an update, the one answering a question...).
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.running import Pace, serve
from bot.config import Config
from bot.outbox.replica import Replica
from bot.slack.settings import SlackEnvironment
from bot.telegram.settings import TelegramEnvironment
from bot.web.links import LinkSigner
from storage.shared_commit import SharedCommits
from storage.transaction import Transaction
import messages.pdf  # noqa: F401 - imported before forking, like everything a bot uses

# Workers start when first needed; the fakes keep no flood limits, so the bot paces all but not.
PACE = Pace(delivery=0.1, chasing=0.05, poll_timeout=1, warm_up=False, flood_scale=1000.0)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


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


@dataclass(frozen=True)
class DieAt:
    """SIGKILL once the `nth` transaction that ran a statement containing `sql` is about to
    commit (`when="before"`: its writes are lost) or has committed (`"after"`: nothing after it
    happens)."""

    sql: str
    when: str
    nth: int = 1

    def install(self) -> None:
        """Wraps this process's transactions (a forked bot's own copy of the classes). Short
        units of work commit together (storage/shared_commit.py): theirs is the COMMIT of the
        shared transaction they went into."""
        seen = 0
        doomed_inside = 0  # units gone into the shared transaction open, that ran `sql`
        commit, commit_inside, commit_shared = Transaction.commit, Transaction.commit_inside, SharedCommits._commit

        def noting(run):
            async def statement(tx: Transaction, sql: str, params=()):
                if self.sql in sql:
                    tx.doomed = True
                return await run(tx, sql, params)
            return statement

        async def dying(units: int, committed) -> None:
            nonlocal seen
            before, seen = seen, seen + units
            if before < self.nth <= seen and self.when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            await committed
            if before < self.nth <= seen:
                os.kill(os.getpid(), signal.SIGKILL)

        async def committing(tx: Transaction) -> None:
            await dying(1 if getattr(tx, "doomed", False) else 0, commit(tx))

        def going_inside(tx: Transaction) -> None:
            nonlocal doomed_inside
            commit_inside(tx)
            doomed_inside += 1 if getattr(tx, "doomed", False) else 0

        async def committing_shared(shared: SharedCommits) -> None:
            nonlocal doomed_inside
            units, doomed_inside = doomed_inside, 0
            await dying(units, commit_shared(shared))

        for name in ("write", "insert", "one", "all"):
            setattr(Transaction, name, noting(getattr(Transaction, name)))
        Transaction.commit = committing
        Transaction.commit_inside = going_inside
        SharedCommits._commit = committing_shared


def run_bot(order: dict) -> None:
    """One bot, until SIGTERM (or SIGKILL); its output goes to the order's log file."""
    log = os.open(order["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s",
                        force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = Config.model_validate_json(Path(order["config"]).read_text(encoding="utf-8"))
    telegram = TelegramEnvironment(order["token"], order["base_url"], order["file_base_url"]) if "token" in order else None
    slack = SlackEnvironment(**order["slack"]) if "slack" in order else None
    web = LinkSigner(order["web_secret"].encode()) if "web_secret" in order else None
    if "die" in order:
        DieAt(**order["die"]).install()
    replica = Replica.this_process(order["replica"]) if "replica" in order else None
    asyncio.run(serve(config, telegram, slack, FileClock(Path(order["clock"])), PACE, web=web, replica=replica))


def die_with(server: int) -> None:
    """The kernel SIGKILLs this bot when its fork server ends, however the server ends. The
    server ends at the end of its stdin: when its test or benchmark closes it, or dies (SIGKILL,
    a SIGTERM to it alone, a failure before it stopped its bots). A bot left running then had
    no one to stop it: it went on polling fakes that were gone, ~5 % of a core, for good."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != server:  # the server ended before the prctl: no signal will come
        os._exit(1)


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # bots are reaped as they die, killed or not
    server = os.getpid()
    for line in sys.stdin:
        order = json.loads(line)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                die_with(server)
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
