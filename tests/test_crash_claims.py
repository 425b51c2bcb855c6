"""A bot killed while it sends the buyer the factory's acknowledgement, then started again at
the same instant: the message goes out at once, not when the dead bot's claim runs out, and
once (issue 12: after a SIGKILL, owed messages waited five minutes behind the dead claim).

The fake Bot API holds the buyer's chat, so the send is in flight, claimed and not yet carried
out, when the bot dies; the restarted bot is given the same clock, which no test moves.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from bot.app import build_app
from bot.cli.outbox import report
from bot.config import Storage, load_config
from messages.buttons import ACKNOWLEDGE
from tests.bot_process import FileClock
from tests.conftest import EXAMPLE_CONFIG
from tests.crash_answers import decided
from tests.crash_world import PATIENCE, START, gone, query, until, with_forks
from tests.fake_telegram import FakeTelegram
from tests.telegram_world import BUYER_CHAT, BUYER_ID, FACTORY_CHAT, FACTORY_ID, INSPECTOR_ID, telegram_config


def test_a_bot_killed_mid_send_after_the_acknowledge_tap_is_followed_at_once(tmp_path: Path) -> None:
    with_forks(lambda forks: _killed_after_the_tap(forks, tmp_path))


async def _killed_after_the_tap(forks, folder: Path) -> None:
    db = folder / "db" / "followup.sqlite3"
    config = telegram_config(load_config(EXAMPLE_CONFIG).model_copy(update={"storage": Storage(url=f"sqlite:///{db}")}))
    (folder / "config.json").write_text(config.model_dump_json(), encoding="utf-8")
    clock = FileClock(folder / "clock")
    clock.set(START)
    await decided(config, clock, folder / "visit")  # the notice owed to the factory

    async with FakeTelegram() as fake:
        factory = fake.user(FACTORY_ID, "Li", "zh-hans")
        fake.user(BUYER_ID, "Anna", "en"), fake.user(INSPECTOR_ID, "Chen", "en")

        def start() -> int:
            return forks.start({"config": str(folder / "config.json"), "clock": str(clock.path),
                                "log": str(folder / "bot.log"), "token": fake.token, "base_url": fake.base_url,
                                "file_base_url": fake.base_file_url})

        def wait(found, what: str):
            return until(found, what, lambda: ["after the acknowledge tap"], PATIENCE)

        def settled() -> bool:
            return not query(db, "SELECT 1 FROM outbox WHERE sent_at IS NULL")

        pid = start()
        await wait(settled, "the notice delivered")
        (token,) = query(db, "SELECT token FROM callback_tokens WHERE action = ?", ACKNOWLEDGE)[0]
        notice = next(m for m in fake.transcript(FACTORY_CHAT) if token in m.buttons.values())
        before = len(fake.transcript(BUYER_CHAT))

        fake.hold(BUYER_CHAT)
        await fake.tap(FACTORY_CHAT, factory, notice.message_id, token)
        await wait(lambda: fake.held(BUYER_CHAT), "the buyer's message in flight")
        os.kill(pid, signal.SIGKILL)
        await gone(pid)
        claimed = query(db, "SELECT id FROM outbox WHERE sent_at IS NULL AND claimed_until > ?", START.isoformat())
        assert claimed, "the killed bot held a claim"
        app = await build_app(config, clock)  # what `followup outbox` shows meanwhile
        try:
            async with app.store.unit_of_work() as uow:
                listing = report(await uow.outbox.owed(clock.now()), await uow.deliverers.running(clock.now()))
        finally:
            await app.close()
        assert any(line.endswith(f"claimed by process {pid}, which is gone: the next bot to start sends it")
                   for line in listing), listing
        fake.let_go(BUYER_CHAT)  # its connection is gone: the held send is never carried out

        pid = start()  # the same instant: the dead bot's claim has not run out
        try:
            await wait(settled, "the buyer's message after the restart")
        finally:
            os.kill(pid, signal.SIGTERM)
            await gone(pid)

    said = [m.plain.split("\n")[0].split(" — ")[0] for m in fake.transcript(BUYER_CHAT)[before:]]
    assert said.count("✔ Ningbo Evergreen Homeware Co., Ltd. acknowledged notice CN-2026-0001") == 1, said
    assert len(said) == len(set(said)), said  # every part once
    assert clock.now() == START
    log = (folder / "bot.log").read_text(encoding="utf-8")
    assert "released the outbox claims of" in log and " ERROR " not in log  # released at start, not run out
    assert query(db, "SELECT replica FROM deliverers") == []  # the dead bot's row gone, the stopped one's too
