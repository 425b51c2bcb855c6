"""A factory's answer through the notice page, with the bot killed where the answer commits.

The bot runs as `followup run` runs, in a process of its own (tests/bot_process.py) on the fake
Bot API (the buyer's chat) with its web server on a port of 127.0.0.1. A story is set up once:
F1 posted, sent (and, for a done report, acknowledged) and everything owed delivered; that
database is the template. Each case copies it, starts a bot armed with one kill point (just
before, or just after, the commit of the transaction that takes the page's form: the command,
its audit event, the buyer's message and the form's nonce), and posts the form. A killed bot is
started again and the phone sends the same form again, as a person does when the page failed to
load; the second bot finishes the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.config import Config, Storage, Web, load_config
from bot.web.links import LinkSigner
from tests.bot_process import FileClock
from tests.conftest import EXAMPLE_CONFIG
from tests.crash_answers import copy_template, decided, owed_as_without_kills
from tests.crash_world import CLAIM_RUNS_OUT, PATIENCE, START, Forks, gone, query, until
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.telegram_world import BUYER_CHAT, telegram_config
from tests.test_web_done_photos import camera_photo

SECRET = "crash-page-" + "k" * 32
COMMIT = "INSERT INTO handled_updates"  # the form's nonce, remembered with the command's effect
KILLS = ("before", "after")
NAME = "王经理"


@dataclass(frozen=True)
class PageStory:
    name: str
    action: str  # the page's form: /n/<token>/<action>
    acknowledged: bool  # the notice acknowledged before the story
    audit: tuple[str, str]  # (entity, action) the answer records exactly once
    reply: str  # what the page says the answer did
    effect: str  # SQL whose rows must equal `expected`
    expected: list[tuple]
    photos: int = 0


STORIES = (
    PageStory("acknowledge", "acknowledge", False, ("notice", "acknowledge"), "谢谢，已确认收到整改通知书CN-2026-0001。",
              "SELECT state, answered_by, answered_platform FROM notices",
              [("acknowledged", f"factory/NB-EVERGREEN@web/NB-EVERGREEN:{NAME}", "web")]),
    PageStory("done with photos", "done", True, ("instruction", "report_done"), "谢谢，已报告整改完成，买方将进行验收。",
              "SELECT state, (SELECT COUNT(*) FROM evidence_photos) FROM instructions", [("done", 2)], photos=2),
)


@dataclass
class Outcome:
    story: PageStory
    kill: str | None
    killed: bool
    db: Path
    media: Path
    told_buyer: list[str]  # what the buyer's chat got during the case
    answers: list[tuple[int, str]]  # each post the phone made: (status, page), or (0, the error)
    log: str

    def rows(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()


class PageWorld:
    """One story's fake Bot API, template and cases."""

    def __init__(self, forks: Forks, fake: FakeTelegram, folder: Path, story: PageStory):
        self.forks, self.fake, self.folder, self.story = forks, fake, folder, story
        self.template = folder / "template"
        self.pid: int | None = None

    async def prepare(self) -> None:
        self.template.mkdir(parents=True)
        clock = FileClock(self.template / "clock")
        clock.set(START)
        await decided(self._config(self.template, 0), clock, self.template / "visit", True, self.story.acknowledged)
        self.pid = self._start(self.template, free_port(), None)
        try:
            await self._until(lambda: self._settled(self.template), "the template to settle")
        finally:
            os.kill(self.pid, signal.SIGTERM)
            await gone(self.pid)

    async def run(self, kill: str | None) -> Outcome:
        case = self.folder / (f"killed-{kill}" if kill else "reference")
        copy_template(self.template, case)
        port = free_port()
        before = len(self.fake.transcript(BUYER_CHAT))
        self.pid = self._start(case, port, kill)
        url = f"http://127.0.0.1:{port}/n/{self._token(case)}"
        answers: list[tuple[int, str]] = []
        async with aiohttp.ClientSession() as phone:
            await self._until_open(phone, url)
            form = self._form(case)
            answers.append(await post(phone, f"{url}/{self.story.action}", form))
            killed = kill is not None
            if killed:
                await self._until(self._died, f"the kill {kill} the commit")
                clock = FileClock(case / "clock")  # the dead bot's claims on messages run out
                clock.set(clock.now() + CLAIM_RUNS_OUT)
                self.pid = self._start(case, port, None)
                await self._until_open(phone, url)
                answers.append(await post(phone, f"{url}/{self.story.action}", form))  # the same form again
            try:
                await self._until(lambda: self._settled(case), "the bot to settle")
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGTERM)
                await gone(self.pid)
        said: list[SentMessage] = self.fake.transcript(BUYER_CHAT)[before:]
        return Outcome(self.story, kill, killed, case / "db" / "followup.sqlite3", case / "db" / "media",
                       [m.plain for m in said], answers, (case / "bot.log").read_text(encoding="utf-8"))

    def _form(self, case: Path) -> dict:
        """The form as the page gave it: its nonce fixed, so sending it again is the same answer."""
        fields = {"name": NAME, "nonce": "crash-page-nonce-0001"}
        if self.story.photos:
            (instruction,) = query(case / "db" / "followup.sqlite3", "SELECT id FROM instructions")
            fields["instruction"] = str(instruction[0])
        return fields

    def _token(self, case: Path) -> str:
        (notice,) = query(case / "db" / "followup.sqlite3", "SELECT id, version FROM notices")
        return LinkSigner(SECRET.encode()).mint(notice[0], notice[1], "NB-EVERGREEN", START, 30)

    def _start(self, folder: Path, port: int, die: str | None) -> int:
        (folder / "config.json").write_text(self._config(folder, port).model_dump_json(), encoding="utf-8")
        order = {"config": str(folder / "config.json"), "clock": str(folder / "clock"), "log": str(folder / "bot.log"),
                 "token": self.fake.token, "base_url": self.fake.base_url, "file_base_url": self.fake.base_file_url,
                 "web_secret": SECRET}
        if die is not None:
            order["die"] = {"sql": COMMIT, "when": die}
        return self.forks.start(order)

    def _config(self, folder: Path, port: int) -> Config:
        config = load_config(EXAMPLE_CONFIG).model_copy(update={
            "storage": Storage(url=f"sqlite:///{folder / 'db' / 'followup.sqlite3'}"),
            "web": Web(port=port or 8080, public_url=f"http://127.0.0.1:{port or 8080}")})
        return telegram_config(config)

    async def _until_open(self, phone: aiohttp.ClientSession, url: str) -> None:
        async def serving() -> bool:
            with contextlib.suppress(aiohttp.ClientError):
                async with phone.get(url) as page:
                    return page.status == 200
            return False

        deadline = asyncio.get_running_loop().time() + 2 * PATIENCE
        while not await serving():
            if asyncio.get_running_loop().time() > deadline or self._died():
                raise AssertionError(f"{self.story.name}: the page never opened")
            await asyncio.sleep(0.05)

    def _died(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def _settled(self, folder: Path) -> bool:
        return not self._died() and not query(folder / "db" / "followup.sqlite3",
                                              "SELECT 1 FROM outbox WHERE sent_at IS NULL")

    async def _until(self, found, what: str):
        return await until(found, f"{self.story.name}: no {what}", lambda: self.story.name, 2 * PATIENCE)


async def post(phone: aiohttp.ClientSession, url: str, fields: dict) -> tuple[int, str]:
    """The form posted as a browser posts it; (0, the error) when the bot died answering."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    if "instruction" in fields:
        for n in (1, 2):
            form.add_field("photos", camera_photo(40 * n), filename=f"IMG_000{n}.jpg", content_type="image/jpeg")
    try:
        async with phone.post(url, data=form) as answer:
            return answer.status, await answer.text()
    except aiohttp.ClientError as error:
        return 0, repr(error)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def run_story(forks: Forks, folder: Path, story: PageStory) -> dict[str, Outcome | Exception]:
    """The run without kills, then a case per kill point, one after another on one fake."""
    async with FakeTelegram() as fake:
        world = PageWorld(forks, fake, folder, story)
        await world.prepare()
        outcomes: dict[str, Outcome | Exception] = {}
        for kill in (None, *KILLS):
            try:
                outcomes[kill or "reference"] = await world.run(kill)
            except AssertionError as failed:
                outcomes[kill or "reference"] = failed
        return outcomes


def broken_promises(case: Outcome, reference: Outcome) -> list[str]:
    """The answer not taking effect exactly once, the phone not told what it did, the buyer told
    other than once, a message left behind, an error logged."""
    story = case.story
    problems = []
    entity, action = story.audit
    times = case.rows("SELECT COUNT(*) FROM audit_events WHERE entity = ? AND action = ?", entity, action)[0][0]
    if times != 1:
        problems.append(f"{entity} {action} recorded {times} times")
    if (effect := case.rows(story.effect)) != story.expected:
        problems.append(f"{story.effect!r} gives {effect}, not {story.expected}")
    kept = [sha for (sha,) in case.rows("SELECT sha256 FROM evidence_photos")]
    if missing := [sha for sha in kept if not list(case.media.glob(f"{sha[:2]}/{sha}.*"))]:
        problems.append(f"evidence photos not in the media folder: {missing}")
    status, page = case.answers[-1]
    if status != 200 or story.reply not in page:
        problems.append(f"the phone's last answer was {status}: {page[:200]}")
    # Once, as in the run without kills (a done report is its photos and their message); the
    # words may differ by the minutes a restart moved the clock on.
    if len(case.told_buyer) != len(reference.told_buyer) or not reference.told_buyer:
        problems.append(f"the buyer was told {case.told_buyer}, not once as {reference.told_buyer}")
    problems += owed_as_without_kills(case, reference)
    if " ERROR " in case.log:
        problems.append("errors in the log")
    return problems
