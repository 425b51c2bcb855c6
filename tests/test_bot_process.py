"""A bot forked by tests/bot_process.py ends with its fork server.

Why: a benchmark killed without the chance to stop its replicas (SIGKILL, or a SIGTERM to it
alone) used to leave them running, polling fakes that were gone at ~5 % of a core each, beside
every later measurement. The fork server ends when whoever started it does (its stdin closes);
the bots now end with it, however it ends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.processes import process_exists
from tests.bot_process import FileClock
from tests.crash_world import Forks, gone, until


async def test_a_running_bot_ends_when_its_fork_server_is_killed(config: Config, tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock")
    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    (tmp_path / "config.json").write_text(config.model_dump_json(), encoding="utf-8")
    log = tmp_path / "bot.log"
    forks = Forks()
    try:
        bot = forks.start({"config": str(tmp_path / "config.json"), "clock": str(clock.path), "log": str(log)})
        await until(lambda: log.exists() and log.stat().st_size, "the bot's first log line", kills=lambda: [])
        assert process_exists(bot)
    finally:
        forks.process.kill()
        forks.process.wait()

    await gone(bot)
    forks.close()  # its bots' temporary folder
