"""Several bot replicas on one PostgreSQL database and one files folder, behind a round-robin
forwarder on 127.0.0.1, as replicas run behind a load balancer: Telegram in webhook mode and
Slack in HTTP mode, every request reaching whichever replica is next.

Each replica is a process of its own (tests/bot_process.py forks it: `followup run`'s `serve`,
with its `--replica-id`), on the fake Bot API and the fake Slack, with the FileClock the test
moves. The forwarder stands in for the load balancer: a replica that refuses the connection or
drops it (killed) is skipped and the request tried on the next, as a load balancer retries an
idempotent request and as Telegram and Slack resend a request nobody answered.

tests/test_replicas.py kills one replica mid-burst; benchmarks/replicas.py times taps through it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from bot.app import build_app
from bot.config import Config, Storage, load_config
from handlers.commands import PostVisit
from handlers.model import Platform, Role
from storage.sqlite import path_from_url
from tests.bot_process import FileClock
from tests.conftest import EXAMPLE_CONFIG, actor, post_example
from bot.processes import process_exists
from tests.crash_world import START, Forks, another_visit, gone, until
from tests.fake_slack import FakeSlack, SlackMessage, post_to_app
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.slack_world import (
    BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, INSPECTOR, SECRET, free_port, slack_config,
)
from tests.telegram_world import BUYER_CHAT, BUYER_ID, FACTORY_CHAT, FACTORY_ID, INSPECTOR_ID, telegram_config

WEBHOOK_PATH = "/telegram"
STOP_PATIENCE = 60.0  # seconds the replicas have to stop once told, all together
SLACK_PATH = "/slack/events"
# The bots' clock runs at about real speed while the test waits: a killed replica's claims run
# out after their 30 s lease, and the live ones' claims, renewed every 10 s, never do (a faster
# clock would let a claim lapse during a slow send and the message go out twice).
TICK = timedelta(seconds=1)
HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


class Forwarder:
    """Round robin over `targets` (base urls); `observers` are told each request's number (from
    1) before it is forwarded, and `answered` each target that has just answered and its status,
    so a test can kill a replica mid-burst, or right after it stored a request."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.url = ""
        self.served: Counter[str] = Counter()  # answered requests by target
        self.retried = 0  # attempts that found their target gone and moved on
        self.observers: list[Callable[[int], None]] = []
        self.answered: list[Callable[[str, int], None]] = []
        self._turn = 0
        self._count = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        server = web.Application()
        server.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        self._count += 1
        for observe in self.observers:
            observe(self._count)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for _ in range(len(self.targets)):
            target = self.targets[self._turn % len(self.targets)]
            self._turn += 1
            try:
                async with self._session.request(request.method, target + request.path_qs, data=body,
                                                 headers=headers) as answer:
                    payload = await answer.read()
                    self.served[target] += 1
                    for observe in self.answered:
                        observe(target, answer.status)
                    return web.Response(status=answer.status, body=payload,
                                        content_type=answer.content_type if payload else None)
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError):
                self.retried += 1
        return web.Response(status=502, text="no replica answered")


@dataclass
class Member:
    """One replica: its name (`--replica-id`), its own ports, its process while it lives."""

    name: str
    telegram_port: int = field(default_factory=free_port)
    slack_port: int = field(default_factory=free_port)
    pid: int | None = None
    alive: bool = False

    @property
    def telegram(self) -> str:
        return f"http://127.0.0.1:{self.telegram_port}"

    @property
    def slack(self) -> str:
        return f"http://127.0.0.1:{self.slack_port}"


class Cluster:
    """The replicas, the fakes they talk to, the forwarders in front, and the database."""

    def __init__(self, forks: Forks, folder: Path, url: str, telegram: FakeTelegram, slack: FakeSlack,
                 size: int) -> None:
        self.forks, self.folder, self.url = forks, folder, url
        self.telegram, self.slack = telegram, slack
        self.members = [Member(f"replica-{i + 1}") for i in range(size)]
        self.telegram_forwarder = Forwarder([m.telegram for m in self.members])
        self.slack_forwarder = Forwarder([m.slack for m in self.members])
        self.clock = FileClock(folder / "clock")
        self.base = load_config(EXAMPLE_CONFIG).model_copy(
            update={"storage": Storage(url=url, files=folder / "files")})
        self.pool: asyncpg.Pool | None = None
        self.hung_at_stop: list[str] = []
        self.buyer = telegram.user(BUYER_ID, "Anna", "en")
        self.factory = telegram.user(FACTORY_ID, "Li", "zh-hans")
        telegram.user(INSPECTOR_ID, "Chen", "en")
        for user, name in ((BUYER, "Anna Schmidt"), (INSPECTOR, "Chen Jing"), (FACTORY, "Li Wei")):
            slack.add_user(user, name)
        slack.add_channel(BUYER_CHANNEL, "buyer-qc")
        slack.add_channel(FACTORY_CHANNEL, "evergreen-connect")

    def config_of(self, member: Member) -> Config:
        config = telegram_config(self.base, mode="webhook", public_url=self.telegram_forwarder.url,
                                 listen="127.0.0.1", port=member.telegram_port, webhook_path=WEBHOOK_PATH)
        return slack_config(config, member.slack_port)

    # --- the replicas' lives

    async def start(self, member: Member) -> None:
        """The replica's process, once it answers on both its ports."""
        config = self.folder / f"{member.name}.json"
        config.write_text(self.config_of(member).model_dump_json(), encoding="utf-8")
        member.pid = self.forks.start({
            "config": str(config), "clock": str(self.clock.path), "log": str(self.folder / f"{member.name}.log"),
            "replica": member.name, "token": self.telegram.token, "base_url": self.telegram.base_url,
            "file_base_url": self.telegram.base_file_url,
            "slack": {"bot_token": self.slack.token, "signing_secret": SECRET, "api_url": self.slack.api_url},
        })
        member.alive = True
        for port in (member.telegram_port, member.slack_port):
            await until(lambda port=port: listening(port), f"{member.name} listening on {port}",
                        lambda: self.log_tail(member), patience=90)

    def kill(self, member: Member) -> None:
        if member.alive:
            os.kill(member.pid, signal.SIGKILL)
            member.alive = False

    async def stop(self) -> None:
        """SIGTERM to each live replica; one still there after STOP_PATIENCE seconds is killed,
        and named in `hung_at_stop` (the figures and checks were taken before)."""
        stopping = [m for m in self.members if m.alive]
        for member in stopping:
            with suppress(ProcessLookupError):  # died on its own: the others still stop
                os.kill(member.pid, signal.SIGTERM)
            member.alive = False
        deadline = asyncio.get_running_loop().time() + STOP_PATIENCE
        for member in stopping:
            while asyncio.get_running_loop().time() < deadline and process_exists(member.pid):
                await asyncio.sleep(0.05)
            if process_exists(member.pid):
                self.hung_at_stop.append(member.name)
                os.kill(member.pid, signal.SIGKILL)
                await gone(member.pid)

    def log_tail(self, member: Member) -> str:
        log = self.folder / f"{member.name}.log"
        return "\n".join(log.read_text(encoding="utf-8").splitlines()[-5:]) if log.exists() else "(no log)"

    # --- the people

    async def post_visits(self) -> tuple[int, int]:
        """The example visit and a second order's one-finding visit, posted by the inspector
        before the replicas start: their findings are owed the buyer on Telegram and Slack."""
        config = self.config_of(self.members[0])  # the chats the findings go to
        app = await build_app(config, self.clock)
        try:
            first = await post_example(app, config, Platform.TELEGRAM)
            reply = await app.bus.handle(second_visit(), actor(config, Role.INSPECTOR, Platform.TELEGRAM))
            assert reply.ok, reply
            return first, reply.params["visit_id"]
        finally:
            await app.close()

    async def tokens(self, action: str, target: int) -> set[str]:
        rows = await self.pool.fetch("SELECT token FROM callback_tokens WHERE action = $1 AND target = $2",
                                     action, target)
        return {row[0] for row in rows}

    async def telegram_button(self, chat: int, action: str, target: int) -> tuple[SentMessage, str] | None:
        tokens = await self.tokens(action, target)
        carrying = [(m, t) for m in self.telegram.transcript(chat) for t in m.buttons.values() if t in tokens]
        return carrying[-1] if carrying else None

    async def slack_button(self, channel: str, action: str, target: int) -> tuple[SlackMessage, str] | None:
        """The message and action id of the button whose value is the action's token."""
        tokens = await self.tokens(action, target)
        found = [(m, e["action_id"]) for m in self.slack.messages(channel) if m.from_bot
                 for e in buttons_of(m) if e.get("value") in tokens]
        return found[-1] if found else None

    async def tap(self, user: FakeUser, chat: int, action: str, target: int, copies: int = 1) -> list[int]:
        """A tap on Telegram, its update posted `copies` times at once (Telegram resending it):
        the forwarder hands each copy to another replica. The statuses the forwarder answered."""
        message, token = await self.wait(lambda: self.telegram_button(chat, action, target), f"{action} {target}")
        update = await self.telegram.tap(chat, user, message.message_id, token, forged=True)
        return [status for status, _ in await asyncio.gather(
            *(self.telegram.post_to_webhook(update) for _ in range(copies)))]

    async def click(self, user: str, channel: str, action: str, target: int, copies: int = 1) -> list[int]:
        """A click on Slack, the same signed request sent `copies` times at once."""
        message, action_id = await self.wait(lambda: self.slack_button(channel, action, target),
                                             f"Slack {action} {target}")
        payload = self.slack.block_action(user, channel, message.ts, action_id)
        url = self.slack_forwarder.url + SLACK_PATH
        return [status for status, _ in await asyncio.gather(
            *(post_to_app(url, "interactive", payload, SECRET) for _ in range(copies)))]

    async def wait(self, found, what: str, patience: float = 90.0):
        """`await found()`'s value once truthy; fails after `patience` seconds naming `what`.
        Meanwhile the bots' clock runs (TICK a second): a chat held behind a killed replica's
        claim is free again once the claim's lease has run out, as it would be."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        ticks = 0
        while not (value := await found()):
            if loop.time() > deadline:
                raise AssertionError(f"no {what} after {patience:g} s; {await self.unsettled()}")
            await asyncio.sleep(0.05)
            ticks += 1
            if ticks % 20 == 0:
                self.tick()
        return value

    def tick(self) -> None:
        """The bots' clock a little later (claims, leases and chasing go by it)."""
        self.clock.set(self.clock.now() + TICK)

    async def rows(self, sql: str, *args) -> list[asyncpg.Record]:
        return await self.pool.fetch(sql, *args)

    async def unsent(self) -> int:
        """Messages the outbox still owes, on either engine."""
        sql = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
        if self.pool is not None:
            return int(await self.pool.fetchval(sql))
        with closing(sqlite3.connect(path_from_url(self.url), timeout=10)) as db:
            return int(db.execute(sql).fetchone()[0])

    async def unsettled(self) -> str:
        """What keeps the cluster from settling, to tell a slow one from a stuck one."""
        unsent = await self.rows("SELECT id, kind, destination, claimed_by, last_error FROM outbox"
                                 " WHERE sent_at IS NULL AND failed_at IS NULL")
        unhandled = await self.rows("SELECT platform, update_id FROM inbox WHERE handled_at IS NULL")
        alive = [m.name for m in self.members if m.alive]
        return f"alive {alive}; unsent {[tuple(r) for r in unsent]}; unhandled {[tuple(r) for r in unhandled]}"


def second_visit() -> PostVisit:
    """Another order's visit with one finding worded apart from the example's, so that no
    message of one visit reads as a message of the other when the chats' sends are counted."""
    visit = another_visit()
    finding = visit.report.findings[0].model_copy(update={
        "description": "Glaze crawling at the rim of the second order's mugs.",
        "description_zh": "第二个订单的杯口缩釉。"})
    return PostVisit(visit.report.model_copy(update={"findings": [finding]}), visit.photos)


def buttons_of(message: SlackMessage) -> list[dict]:
    """Every button of a Slack message's blocks."""
    found = []
    for block in message.blocks:
        elements = [block.get("accessory")] if isinstance(block.get("accessory"), dict) else []
        elements += block.get("elements", []) if block.get("type") == "actions" else []
        found += [e for e in elements if e.get("type") == "button"]
    return found


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@asynccontextmanager
async def running_cluster(folder: Path, url: str, size: int = 3) -> AsyncIterator[Cluster]:
    """`size` replicas on the migrated, empty database at `url` (PostgreSQL; or a SQLite file,
    whose one replica benchmarks/replicas.py compares them with), the visits posted, all
    listening; stopped (SIGTERM) at the end. `rows` reads a PostgreSQL database only."""
    folder.mkdir(parents=True, exist_ok=True)
    forks = Forks()
    try:
        async with FakeTelegram() as telegram, FakeSlack() as slack:
            cluster = Cluster(forks, folder, url, telegram, slack, size)
            cluster.clock.set(START)
            await cluster.telegram_forwarder.start()
            await cluster.slack_forwarder.start()
            if not url.startswith("sqlite:"):
                cluster.pool = await asyncpg.create_pool(url, min_size=1, max_size=3)
            try:
                cluster.visits = await cluster.post_visits()
                await asyncio.gather(*(cluster.start(m) for m in cluster.members))
                yield cluster
            finally:
                await cluster.stop()
                if cluster.pool is not None:
                    await cluster.pool.close()
                await cluster.telegram_forwarder.close()
                await cluster.slack_forwarder.close()
    finally:
        forks.close()


__all__ = ["BUYER", "BUYER_CHANNEL", "BUYER_CHAT", "FACTORY", "FACTORY_CHANNEL", "FACTORY_CHAT", "Cluster",
           "Forwarder", "Member", "running_cluster"]
