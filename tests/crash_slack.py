"""The bot on Slack (HTTP mode) in a process of its own on the fake Web API, killed with SIGKILL
while people click, fill in a form, upload a photo and ask in a DM, and started again.

A case is a seed. It picks where each of the bot's lives ends: once the fake has carried out
the case's nth Web API call and not yet answered it, right after the bot acknowledged the
case's nth request (Slack was told it arrived; its listener has barely begun), or a delay after
start. The people go on as Slack and people do: Slack sends an event again when its delivery
failed, and now and then when it did not (`X-Slack-Retry-Num`); a person whose click failed
clicks again, sometimes twice anyway; a form whose submission failed is submitted again. Each
step is repeated until what it does shows. After the last kill the bot runs until everything
owed is delivered, and `Outcome` holds what the database and the channels show.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yaml

from bot.app import build_app
from bot.config import Storage, load_config
from handlers.commands import PostVisit
from handlers.intake.reports import read_report
from handlers.model import Platform, Role
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_VISIT, actor, one_finding, write_report
from tests.crash_world import PATIENCE, START, Forks, Lives, a_few_at_a_time
from tests.fake_slack import FakeSlack, SlackMessage, post_to_app
from tests.slack_world import (
    BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, INSPECTOR, SECRET, click_on, free_port, offers, slack_config,
)

STEP_WAIT = 1.5  # seconds a person waits for a click to show before clicking again
WORDING = "Sort every unit before packing; keep the rejects apart."
PHOTO = (EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg").read_bytes()
ORDER = "PO-2026-0142"


@dataclass(frozen=True)
class KillPoint:
    """The end of one life: after the fake carried out the case's `call`th Web API call, right
    after the bot acknowledged the case's `ack`th request, or `delay` seconds after start."""

    call: int | None = None
    ack: int | None = None
    delay: float = 0.0

    def __str__(self) -> str:
        if self.call:
            return f"after call #{self.call}"
        return f"after acknowledging request #{self.ack}" if self.ack else f"after {self.delay:.2f} s"


def kill_points(seed: int, kills: int, calls: int, requests: int) -> tuple[KillPoint, ...]:
    rng = random.Random(seed)
    at_calls = sorted(rng.sample(range(1, calls + 1), kills))
    at_acks = sorted(rng.sample(range(1, requests + 1), kills))
    points = []
    for i in range(kills):
        pick = rng.random()
        points.append(KillPoint(call=at_calls[i]) if pick < 0.5 else
                      KillPoint(ack=at_acks[i]) if pick < 0.85 else KillPoint(delay=rng.uniform(0.2, 1.5)))
    return tuple(points)


@dataclass
class Outcome:
    seed: int
    kills: list[str]
    db: Path
    channels: dict[str, list[SlackMessage]]
    calls: int
    requests: int
    log: str

    def rows(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()

    def said(self, channel: str, text: str) -> int:
        return sum(1 for m in self.channels[channel] if m.from_bot and text in m.text)


class SlackCrashWorld(Lives):
    # A restarted bot checks the photo in worker processes it starts cold, beside another case.
    patience = 2 * PATIENCE
    def __init__(self, forks: Forks, fake: FakeSlack, folder: Path, seed: int, points: tuple[KillPoint, ...]):
        super().__init__(seed, points, folder)
        self.forks, self.fake, self.folder = forks, fake, folder
        self.rng = random.Random(seed)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.config = slack_config(load_config(EXAMPLE_CONFIG).model_copy(
            update={"storage": Storage(url=f"sqlite:///{folder / 'db' / 'followup.sqlite3'}")}), self.port)
        self.calls = 0
        self.acks = 0
        self.events = 0
        for user, name in ((BUYER, "Anna Schmidt"), (INSPECTOR, "Chen Jing"), (FACTORY, "Li Wei")):
            fake.add_user(user, name)
        fake.add_channel(BUYER_CHANNEL, "buyer-qc")
        fake.add_channel(FACTORY_CHANNEL, "evergreen-connect")
        fake.observers.append(self._observe)

    # --- the bot's lives

    def _start(self) -> None:
        (self.folder / "config.json").write_text(self.config.model_dump_json(), encoding="utf-8")
        pid = self.forks.start({
            "config": str(self.folder / "config.json"), "clock": str(self.clock.path), "log": str(self.folder / "bot.log"),
            "slack": {"bot_token": self.fake.token, "signing_secret": SECRET, "api_url": self.fake.api_url},
        })
        self._begin(pid)

    def _observe(self, method: str, params: dict) -> None:
        self.calls += 1
        life = self.lives[-1] if self.lives else None
        if life is not None and life.kill is not None and life.kill.call is not None and self.calls >= life.kill.call:
            self._kill(life, f"{life.kill} ({method})")

    def _acknowledged(self) -> None:
        self.acks += 1
        life = self.lives[-1]
        if life.kill is not None and life.kill.ack is not None and self.acks >= life.kill.ack:
            self._kill(life)

    async def run(self) -> Outcome:
        await self._post_visit()
        await self._lived()
        channels = {c: self.fake.messages(c) for c in (BUYER_CHANNEL, FACTORY_CHANNEL, self.fake.dm_channel(BUYER))}
        return Outcome(self.seed, self.kills, self.db, channels, self.calls, self.acks,
                       (self.folder / "bot.log").read_text(encoding="utf-8"))

    # --- the people

    async def _post_visit(self) -> None:
        """F1 alone, posted by the inspector, its photos stored: the findings are owed the buyer."""
        self.clock.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock.set(START)
        visit = self.folder / "visit"
        shutil.copytree(EXAMPLE_VISIT, visit)
        data = one_finding(yaml.safe_load((visit / "report.yaml").read_text(encoding="utf-8")))
        app = await build_app(self.config, self.clock)
        try:
            with read_report(write_report(visit, data), [f.id for f in self.config.factories]) as checked:
                for photo in checked.photos.values():
                    app.media.put(photo.path, photo.sha256, photo.format)
                photos = {name: photo.sha256 for name, photo in checked.photos.items()}
                reply = await app.bus.handle(PostVisit(checked.report, photos),
                                             actor(self.config, Role.INSPECTOR, Platform.SLACK))
            assert reply.ok, reply
        finally:
            await app.close()

    async def _people(self) -> None:
        await self._click_until(BUYER, BUYER_CHANNEL, lambda: self._finding(), "Approve",
                                lambda: self._state() != "proposed")
        await self._form_until(lambda: self._finding(), "Edit")
        await self._click_until(BUYER, BUYER_CHANNEL, lambda: self._with_button(BUYER_CHANNEL, "Send notice"),
                                "Send notice", lambda: self._query("SELECT 1 FROM notices"))
        await self._click_until(FACTORY, FACTORY_CHANNEL, lambda: self._with_button(FACTORY_CHANNEL, "确认收到"),
                                "确认收到", lambda: self._query("SELECT 1 FROM notices WHERE state = 'acknowledged'"))
        notice = await self._until(lambda: self._with_button(FACTORY_CHANNEL, "F1 整改完成"), "the done button")
        await self._click_until(FACTORY, FACTORY_CHANNEL, lambda: notice, "F1 整改完成",
                                lambda: self._query("SELECT 1 FROM pending_inputs"))
        shared = self.fake.add_uploaded_file("IMG_0001.jpg", PHOTO)
        upload = self.fake.message_event(FACTORY, FACTORY_CHANNEL, "", files=[shared], thread_ts=notice.ts)
        await self._event_until(upload, lambda: self._state() == "done")
        dm = self.fake.dm_channel(BUYER)
        await self._event_until(self.fake.message_event(BUYER, dm, f"status {ORDER}"),
                                lambda: [m for m in self.fake.messages(dm) if m.from_bot and ORDER in m.text])

    async def _click_until(self, user: str, channel: str, message: Callable, label: str, done: Callable) -> None:
        """Clicks (sometimes twice) until it shows; a click that failed, or did nothing visible
        for a while, is clicked again, as a person would."""
        deadline = asyncio.get_running_loop().time() + self.patience
        while not done():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"case {self.seed}: {label} never took effect (kills: {self.kills})")
            found = await self._until(message, f"a message with {label}")
            # A double click is two clicks on the message as shown: both are made before the
            # first is sent, since the bot's edit may take the button away before the second.
            clicks = [click_on(self.fake, user, channel, found, label)
                      for _ in range(2 if self.rng.random() < 0.2 else 1)]
            for click in clicks:
                await self._send("interactive", click)
            await self._wait_a_little(done)

    async def _form_until(self, message: Callable, label: str) -> None:
        """Edit: clicks until the form opens, then submits it until the new wording stands."""
        views = len(self.fake.views)
        await self._click_until(BUYER, BUYER_CHANNEL, message, label, lambda: len(self.fake.views) > views)
        view = self.fake.views[-1]
        due = self._query("SELECT due FROM instructions")[0][0]
        values = {"note": {"note": WORDING}, "due": {"due": {"type": "datepicker", "selected_date": due}}}
        deadline = asyncio.get_running_loop().time() + self.patience
        while not self._query("SELECT 1 FROM instructions WHERE note = ?", WORDING):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"case {self.seed}: the form never took effect (kills: {self.kills})")
            await self._send("interactive", self.fake.view_submission(BUYER, values=values, view_id=view.id))
            await self._wait_a_little(lambda: self._query("SELECT 1 FROM instructions WHERE note = ?", WORDING))

    async def _event_until(self, event: dict, done: Callable) -> None:
        """Slack sends an event until it is acknowledged, with X-Slack-Retry-Num; sometimes again
        after it was (it thought the answer came too late)."""
        self.events += 1
        event_id, retry = f"Ev{self.seed:02d}{self.events:06d}", 0
        deadline = asyncio.get_running_loop().time() + self.patience
        while not await self._send("event", event, event_id=event_id, retry_num=retry or None):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"case {self.seed}: Slack never delivered {event_id} (kills: {self.kills})")
            retry += 1
        if self.rng.random() < 0.3:
            await self._send("event", event, event_id=event_id, retry_num=retry + 1)
        await self._until(done, f"the effect of {event_id}")

    async def _send(self, kind: str, payload: dict, **options) -> bool:
        """One signed request; True once the bot answered 200. While the bot is down, the request
        fails as it would for Slack (refused, or cut off)."""
        try:
            status, _ = await post_to_app(self.url, kind, payload, SECRET, **options)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            await asyncio.sleep(0.05)
            return False
        if status == 200:
            self._acknowledged()
        return status == 200

    async def _wait_a_little(self, done: Callable) -> None:
        for _ in range(int(STEP_WAIT / 0.02)):
            if done():
                return
            await asyncio.sleep(0.02)

    async def _settled(self) -> None:
        def quiet() -> bool:
            return (not self.lives[-1].over
                    and not self._query("SELECT 1 FROM inbox WHERE handled_at IS NULL")
                    and not self._query("SELECT 1 FROM outbox WHERE sent_at IS NULL"))
        await self._until(quiet, "the bot to settle")

    def _finding(self) -> SlackMessage | None:
        found = [m for m in self.fake.messages(BUYER_CHANNEL) if m.from_bot and m.text.startswith("*[F1]")]
        return found[-1] if found else None

    def _with_button(self, channel: str, label: str) -> SlackMessage | None:
        found = [m for m in self.fake.messages(channel) if offers(m, label)]
        return found[-1] if found else None

    def _state(self) -> str | None:
        rows = self._query("SELECT state FROM instructions")
        return rows[0][0] if rows else None



async def run_case(forks: Forks, folder: Path, seed: int, points: tuple[KillPoint, ...] = ()) -> Outcome:
    folder.mkdir(parents=True, exist_ok=True)
    async with FakeSlack() as fake:
        return await SlackCrashWorld(forks, fake, folder, seed, points).run()


async def run_cases(forks: Forks, folder: Path, seeds, reference: Outcome, kills: int = 2,
                    at_once: int = 2) -> dict[int, Outcome | Exception]:
    return await a_few_at_a_time(seeds, at_once, lambda seed: run_case(
        forks, folder / f"case-{seed}", seed, kill_points(seed, kills, reference.calls, reference.requests)))


def broken_promises(case: Outcome, reference: Outcome) -> list[str]:
    """Each accepted request acted once: the same decisions as without kills, one notice
    acknowledged once, one round of evidence with one photo, every stored request handled,
    every message owed sent, the DM answered."""
    problems = []
    audit = "SELECT entity, action, COUNT(*) FROM audit_events GROUP BY 1, 2 ORDER BY 1, 2"
    if case.rows(audit) != reference.rows(audit):
        problems.append(f"audit events {case.rows(audit)}, without kills {reference.rows(audit)}")
    if (notices := case.rows("SELECT state, version FROM notices")) != [("acknowledged", 1)]:
        problems.append(f"notices {notices}")
    if (state := case.rows("SELECT state, note FROM instructions")) != [("done", WORDING)]:
        problems.append(f"instruction {state}")
    if (rounds := case.rows("SELECT round, COUNT(*) FROM evidence_photos GROUP BY round")) != [(1, 1)]:
        problems.append(f"evidence rounds {rounds}")
    if unhandled := case.rows("SELECT json_extract(payload, '$.key') FROM inbox WHERE handled_at IS NULL"):
        problems.append(f"requests never handled: {unhandled}")
    keys = Counter(k for (k,) in case.rows("SELECT json_extract(payload, '$.key') FROM inbox WHERE platform = 'slack'"))
    if twice := [k for k, n in keys.items() if n > 1]:
        problems.append(f"requests stored twice: {twice}")
    if unsent := case.rows("SELECT id, kind FROM outbox WHERE sent_at IS NULL OR failed_at IS NOT NULL"):
        problems.append(f"messages not sent: {unsent}")
    owed = "SELECT kind, COUNT(*) FROM outbox GROUP BY kind ORDER BY kind"
    if case.rows(owed) != reference.rows(owed):
        problems.append(f"messages owed {case.rows(owed)}, without kills {reference.rows(owed)}")
    for channel, text in ((FACTORY_CHANNEL, "谢谢，已报告整改完成"), (BUYER_CHANNEL, "reported done by the factory")):
        if not case.said(channel, text):
            problems.append(f"never said {text!r} in {channel}")
    if not [m for channel in case.channels.values() for m in channel if m.from_bot and ORDER in m.text
            and m.channel.startswith("D")]:
        problems.append("the DM question was never answered")
    return problems
