"""Sixteen people clicking at once on a Slack bot killed with SIGKILL just before, or just after,
a commit of the requests it received: the requests arriving together are stored in one commit
(storage/group_commit.py), and still every click Slack was answered 200 for is in the inbox, and
is acted on once the bot is started again. A request lost with the commit that was to store it
was never acknowledged: Slack sends it again, or the person clicks again."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import pytest

from bot.config import Storage, load_config
from tests.bot_process import FileClock
from tests.conftest import EXAMPLE_CONFIG
from bot.processes import process_exists
from tests.crash_world import PATIENCE, START, Forks, gone, query, until, with_forks
from tests.fake_slack import FakeSlack, slack_request
from tests.slack_world import BUYER, BUYER_CHANNEL, SECRET, free_port, slack_config

CLIENTS = 16
BUTTON = [{"type": "actions", "block_id": "b", "elements": [
    {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"}, "value": "1"}]}]
STORED_KEYS = "SELECT json_extract(payload, '$.key') FROM inbox WHERE platform = 'slack'"


class Burst:
    """The bot in a process of its own on a fake Slack, and the keys of the clicks sent to it
    and of those it answered 200."""

    def __init__(self, forks: Forks, fake: FakeSlack, folder: Path) -> None:
        self.forks, self.fake, self.folder = forks, fake, folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.db = folder / "db" / "followup.sqlite3"
        self.clock = FileClock(folder / "clock")
        self.clock.set(START)
        config = slack_config(load_config(EXAMPLE_CONFIG).model_copy(
            update={"storage": Storage(url=f"sqlite:///{self.db}")}), self.port)
        (folder / "config.json").write_text(config.model_dump_json(), encoding="utf-8")
        fake.add_user(BUYER, "Anna Schmidt")
        fake.add_channel(BUYER_CHANNEL, "buyer-qc")
        self.sent: set[str] = set()
        self.acknowledged: set[str] = set()

    def start(self, die: dict | None = None) -> int:
        order = {"config": str(self.folder / "config.json"), "clock": str(self.clock.path),
                 "log": str(self.folder / "bot.log"),
                 "slack": {"bot_token": self.fake.token, "signing_secret": SECRET, "api_url": self.fake.api_url}}
        return self.forks.start(order | ({"die": die} if die else {}))

    async def answering(self) -> None:
        """Until the bot answers HTTP (any status): it is listening."""
        deadline = asyncio.get_running_loop().time() + PATIENCE
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.post(self.url, data=b"") as response:
                        await response.read()
                        return
                except aiohttp.ClientConnectionError:
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(0.05)

    async def clicking_until_dead(self, pid: int) -> None:
        """Each of the clients clicks again as soon as answered, until the bot is gone."""
        async def client(session: aiohttp.ClientSession) -> None:
            while True:
                click = self.fake.block_action(BUYER, BUYER_CHANNEL, "1.000001", "approve", blocks=BUTTON)
                key = f"trigger:{click['trigger_id']}"
                self.sent.add(key)
                body, headers = slack_request("interactive", click, SECRET)
                try:
                    async with session.post(self.url, data=body, headers=headers) as response:
                        await response.read()
                        if response.status == 200:
                            self.acknowledged.add(key)
                except aiohttp.ClientError:
                    return

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
            await asyncio.wait_for(asyncio.gather(*(client(session) for _ in range(CLIENTS))), PATIENCE)
        await gone(pid)

    def stored(self) -> set[str]:
        return {key for (key,) in query(self.db, STORED_KEYS)}


@pytest.mark.parametrize("when", ["before", "after"])
def test_every_click_answered_200_survives_a_kill_at_a_commit_of_requests_and_is_handled_after(
        tmp_path: Path, when: str) -> None:
    async def work(forks: Forks) -> None:
        async with FakeSlack() as fake:
            burst = Burst(forks, fake, tmp_path)
            pid = burst.start(die={"sql": "INSERT INTO inbox", "when": when, "nth": 3})
            try:
                await burst.answering()
                await burst.clicking_until_dead(pid)

                stored = burst.stored()
                assert burst.acknowledged <= stored
                assert (burst.sent - stored).isdisjoint(burst.acknowledged)
                assert len(burst.sent - burst.acknowledged) > 1  # killed with several requests in flight

                pid = burst.start()
                await burst.answering()
                await until(lambda: not query(burst.db, "SELECT 1 FROM inbox WHERE handled_at IS NULL") or None,
                            "stored requests left unhandled", lambda: [], PATIENCE)
            finally:
                if process_exists(pid):
                    os.kill(pid, signal.SIGTERM)
                    await gone(pid)

    with_forks(work)
