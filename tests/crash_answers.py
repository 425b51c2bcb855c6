"""Typed answers killed at every point of their handling: the factory's dispute reason, the
buyer's new wording, a completion date. The bot runs in a process of its own on the fake Bot
API (tests/bot_process.py) and is killed with SIGKILL while it handles the answer, then started
again.

A story is set up once: the visit is posted and decided through the bus, a bot delivers what
that owes and the person taps the button that asks for words; that bot stops and its database
is the story's template. Each case copies the template, starts a bot armed with one kill
point, sends the answer and lets the bot die there; a bot started again finishes the work.
The kill points are every commit the answer's handling makes, just before and just after it
(`DieAt`: storing the update, answering the question, marking the update handled), and every
Bot API call the run without kills made once the answer was sent (the fake kills the bot while
it answers that call). The cases of one story share its fake, one after another.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.app import build_app
from bot.config import Config, Storage, load_config
from handlers.commands import AcknowledgeNotice, PostVisit
from handlers.intake.reports import read_report
from handlers.model import Platform, Role
from messages.buttons import COMMIT_DATE, DISPUTE, EDIT, UPDATE_PROGRESS
from tests.bot_process import FileClock
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_VISIT, actor, approve_and_send, one_finding, write_report
from tests.crash_world import CLAIM_RUNS_OUT, PATIENCE, START, Forks, gone, query, until, with_forks
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.telegram_world import BUYER_CHAT, BUYER_ID, FACTORY_CHAT, FACTORY_ID, INSPECTOR_ID, telegram_config

# Statements whose transactions the answer's handling commits: the update stored, the question
# answered (taken with the command's effect), the update marked handled.
COMMITS = ("INSERT INTO inbox", "DELETE FROM pending_inputs", "UPDATE inbox SET handled_at")
QUIET_METHODS = {"getUpdates", "getMe", "setMyCommands", "deleteWebhook", "getMyCommands"}
FAILED_ON_OUR_SIDE = "failed on our side"


@dataclass(frozen=True)
class Story:
    """Who is asked for words about what, what they answer, and what the answer must do once."""

    name: str
    chat: int
    user: int
    action: str  # the button that asks
    answer: str
    reply: str  # the bot's answer to it
    audit: tuple[str, str]  # (entity, action) the answer records exactly once
    effect: str  # SQL whose single value must equal `expected`
    expected: object
    factory_acknowledged: bool = False
    sent: bool = True
    menu: str | None = None  # the button that opens the one that asks, if it is behind one


STORIES = (
    Story("dispute", FACTORY_CHAT, FACTORY_ID, DISPUTE, "封样AS-0142-B就是这样的釉面，买方已签字确认。",
          "您对整改通知书CN-2026-0001的异议已转告买方。", ("notice", "dispute"), "SELECT dispute_reason FROM notices", "封样AS-0142-B就是这样的釉面，买方已签字确认。"),
    Story("edit", BUYER_CHAT, BUYER_ID, EDIT, "Sort every unit before packing; keep rejects apart.",
          "Changed and approved.", ("instruction", "edit"), "SELECT note FROM instructions WHERE state = 'edited'",
          "Sort every unit before packing; keep rejects apart.", sent=False),
    Story("completion date", FACTORY_CHAT, FACTORY_ID, COMMIT_DATE, "11月27日",
          "谢谢，已记录承诺完成日期：最迟于2026年11月27日（含当日）完成。", ("instruction", "commitment_commit"), "SELECT committed FROM instructions WHERE committed IS NOT NULL",
          "2026-11-27", factory_acknowledged=True, menu=UPDATE_PROGRESS),
)


@dataclass(frozen=True)
class KillAt:
    """A commit (`DieAt` in the bot) or the nth Bot API call after the answer (or tap) was sent."""

    sql: str | None = None
    when: str | None = None
    call: int | None = None

    def __str__(self) -> str:
        return f"{self.when} the commit of {self.sql!r}" if self.sql else f"after call #{self.call}"


@dataclass
class Outcome:
    story: Story
    kill: KillAt | None
    kills: list[str]
    db: Path
    said: list[SentMessage]  # what the bot said in the story's chat during the case
    calls: list[str]  # Bot API calls once the answer was sent, but polling
    log: str

    def rows(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()

    def replies(self) -> int:
        """How often the person was told what their answer did."""
        return sum(1 for m in self.said if m.plain == self.story.reply)


class AnswerWorld:
    """One story's fake, template and cases."""

    def __init__(self, forks: Forks, fake: FakeTelegram, folder: Path, story: Story):
        self.forks, self.fake, self.folder, self.story = forks, fake, folder, story
        self.template = folder / "template"
        self.current = self.template  # the folder of the case running
        self.prompt: SentMessage | None = None
        self.pid: int | None = None
        self.calls: list[str] | None = None  # counting once the answer is sent
        self.call_kill: int | None = None
        self.killed: list[str] = []
        self._methods_since_start: list[str] = []
        self.people = {BUYER_ID: fake.user(BUYER_ID, "Anna", "en"), FACTORY_ID: fake.user(FACTORY_ID, "Li", "zh-hans"),
                       INSPECTOR_ID: fake.user(INSPECTOR_ID, "Chen", "en")}
        fake.observers.append(self._observe)

    # --- the template

    async def prepare(self) -> None:
        config = self._config(self.template)
        clock = FileClock(self.template / "clock")
        self.template.mkdir(parents=True)
        clock.set(START)
        await decided(config, clock, self.template / "visit", self.story.sent, self.story.factory_acknowledged)
        self.pid = self._start(self.template, None)
        try:
            for action in filter(None, (self.story.menu, self.story.action)):
                message, token = await self._until(lambda action=action: self._button(action), f"the {action} button")
                await self.fake.tap(self.story.chat, self.people[self.story.user], message.message_id, token)
            self.prompt = await self._until(self._asked, "the question")
            await self._until(lambda: self._settled(self.template), "the template to settle")
        finally:
            os.kill(self.pid, signal.SIGTERM)
            await gone(self.pid)

    def _button(self, action: str) -> tuple[SentMessage, str] | None:
        rows = _query(self.template, "SELECT token, target FROM callback_tokens WHERE action = ?", action)
        tokens = {token for token, _ in rows}
        carrying = [m for m in self.fake.transcript(self.story.chat) if tokens & set(m.buttons.values())]
        if not carrying or _query(self.template, "SELECT 1 FROM outbox WHERE sent_at IS NULL"):
            return None
        message = carrying[-1]
        return message, next(t for t in message.buttons.values() if t in tokens)

    def _asked(self) -> SentMessage | None:
        rows = _query(self.template, "SELECT prompt_message_id FROM pending_inputs")
        if not rows:
            return None
        return next((m for m in self.fake.transcript(self.story.chat) if str(m.message_id) == rows[0][0]), None)

    # --- the cases

    async def run(self, kill: KillAt | None) -> Outcome:
        case = self.folder / (str(kill).replace(" ", "-").replace("'", "").replace("#", "") if kill else "reference")
        copy_template(self.template, case)
        self.current = case
        self.killed, self.calls, self.call_kill = [], None, kill.call if kill else None
        before = len(self.fake.transcript(self.story.chat))
        self.pid = self._start(case, kill if kill and kill.sql else None)
        await self._until(lambda: "getUpdates" in self._methods_since_start, "the bot to poll")
        self.calls = []
        await self.fake.send_text(self.story.chat, self.people[self.story.user], self.story.answer,
                                  reply_to_message_id=self.prompt.message_id)
        if kill is not None and kill.sql:
            # Every commit point is one the answer's handling makes, so the bot dies there. Settled
            # is no sign it will not: between the commit and its SIGKILL the bot looks settled.
            await self._until(self._died, f"the kill {kill}")
        elif kill is not None:
            await self._until(lambda: self._died() or self._settled(case), f"the kill {kill}")
        if self.killed:
            clock = FileClock(case / "clock")  # the dead bot's claims on messages run out
            clock.set(clock.now() + CLAIM_RUNS_OUT)
            self.pid = self._start(case, None)
        try:
            await self._until(lambda: self._settled(case), "the bot to settle")
        finally:
            with contextlib.suppress(ProcessLookupError):  # its kill point came after all was done
                os.kill(self.pid, signal.SIGTERM)
            await gone(self.pid)
        return Outcome(self.story, kill, self.killed, case / "db" / "followup.sqlite3",
                       self.fake.transcript(self.story.chat)[before:], list(self.calls),
                       (case / "bot.log").read_text(encoding="utf-8"))

    def _start(self, folder: Path, die: KillAt | None) -> int:
        self._methods_since_start: list[str] = []
        return start_bot(self.forks, self.fake, folder, self._config(folder), die)

    def _observe(self, method: str, params: dict) -> None:
        self._methods_since_start.append(method)
        if self.calls is None or method in QUIET_METHODS:
            return
        self.calls.append(method)
        if self.call_kill is not None and len(self.calls) == self.call_kill and not self.killed:
            os.kill(self.pid, signal.SIGKILL)
            self.killed.append(f"after call #{self.call_kill} ({method})")

    def _died(self) -> bool:
        return died(self.pid, self.killed)

    def _settled(self, folder: Path) -> bool:
        return not self._died() and quiet(self.fake, folder)

    def _config(self, folder: Path) -> Config:
        config = load_config(EXAMPLE_CONFIG).model_copy(
            update={"storage": Storage(url=f"sqlite:///{folder / 'db' / 'followup.sqlite3'}")})
        return telegram_config(config)

    async def _until(self, found: Callable, what: str):
        # Twice the Telegram cases' patience: three stories' bots render their notices side by side.
        return await until(found, f"{self.story.name}: no {what}", self._state, 2 * PATIENCE)

    def _state(self) -> str:
        """The kills, the Bot API methods the bot called last (whether it was still polling), and
        where each update stands: to tell a slow bot from a stuck one, or an update never stored."""
        return (f"{self.killed}; last calls {self._methods_since_start[-12:]}; pending updates "
                f"{[u['update_id'] for u in self.fake.pending_updates]}; inbox (update, handled) "
                f"{_query(self.current, 'SELECT update_id, handled_at IS NOT NULL FROM inbox')}; unsent "
                f"{_query(self.current, 'SELECT id, kind, attempts, last_error FROM outbox WHERE sent_at IS NULL')}")


async def decided(config: Config, clock: FileClock, folder: Path, sent: bool = True,
                  factory_acknowledged: bool = False) -> None:
    """F1 alone posted (few messages, a short PDF) and, as a story needs, approved, sent and
    acknowledged."""
    shutil.copytree(EXAMPLE_VISIT, folder)
    data = one_finding(yaml.safe_load((folder / "report.yaml").read_text(encoding="utf-8")))
    app = await build_app(config, clock)
    try:
        with read_report(write_report(folder, data), [f.id for f in config.factories]) as checked:
            for photo in checked.photos.values():
                app.media.put(photo.path, photo.sha256, photo.format)
            photos = {name: photo.sha256 for name, photo in checked.photos.items()}
            posted = await app.bus.handle(PostVisit(checked.report, photos),
                                          actor(config, Role.INSPECTOR, Platform.TELEGRAM))
        visit_id = posted.params["visit_id"]
        if not sent:
            return
        notice_id = await approve_and_send(app, config, visit_id, Platform.TELEGRAM)
        if factory_acknowledged:
            factory = actor(config, Role.FACTORY, Platform.TELEGRAM)
            assert (await app.bus.handle(AcknowledgeNotice(notice_id), factory)).ok
    finally:
        await app.close()


def start_bot(forks: Forks, fake: FakeTelegram, folder: Path, config: Config, die: KillAt | None) -> int:
    """A bot on `fake` for the case in `folder`, armed to die at the commit `die` names."""
    (folder / "config.json").write_text(config.model_dump_json(), encoding="utf-8")
    order = {"config": str(folder / "config.json"), "clock": str(folder / "clock"), "log": str(folder / "bot.log"),
             "token": fake.token, "base_url": fake.base_url, "file_base_url": fake.base_file_url}
    if die is not None:
        order["die"] = {"sql": die.sql, "when": die.when}
    return forks.start(order)


def died(pid: int, killed: list[str]) -> bool:
    """Whether the bot `pid` is gone; a death no kill of the test's explains was a commit's."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        if not killed:
            killed.append("at a commit")
        return True
    return False


def quiet(fake: FakeTelegram, folder: Path) -> bool:
    """No update waiting at the fake nor stored unhandled, no message owed: the case's work is done."""
    return (not fake.pending_updates and not _query(folder, "SELECT 1 FROM inbox WHERE handled_at IS NULL")
            and not _query(folder, "SELECT 1 FROM outbox WHERE sent_at IS NULL"))


def copy_template(template: Path, case: Path) -> None:
    """The template's database (through SQLite's backup, whatever its WAL holds), media and clock."""
    (case / "db").mkdir(parents=True)
    with sqlite3.connect(template / "db" / "followup.sqlite3") as source, \
            sqlite3.connect(case / "db" / "followup.sqlite3") as target:
        source.backup(target)
    shutil.copytree(template / "db" / "media", case / "db" / "media")
    shutil.copy(template / "clock", case / "clock")


def _query(folder: Path, sql: str, *args) -> list[tuple]:
    return query(folder / "db" / "followup.sqlite3", sql, *args)


def kill_points(reference: Outcome) -> list[KillAt]:
    """Every commit of the answer's handling, before and after, and every call it made."""
    commits = [KillAt(sql=sql, when=when) for sql in COMMITS for when in ("before", "after")]
    return commits + [KillAt(call=n) for n in range(1, len(reference.calls) + 1)]


async def run_story(forks: Forks, folder: Path, story: Story) -> dict[str, Outcome | Exception]:
    """The run without kills, then a case per kill point, one after another on one fake."""
    async with FakeTelegram() as fake:
        return await every_kill(AnswerWorld(forks, fake, folder, story), kill_points)


async def every_kill(world, points: Callable) -> dict:
    """`world` prepares its template, runs without kills, then a case per kill point that
    `points(reference)` names, one after another: each outcome, or the failure, by kill."""
    await world.prepare()
    reference = await world.run(None)
    outcomes = {"reference": reference}
    for kill in points(reference):
        try:
            outcomes[str(kill)] = await world.run(kill)
        except AssertionError as failed:
            outcomes[str(kill)] = failed
    return outcomes


def broken_promises(case: Outcome, reference: Outcome) -> list[str]:
    """What went wrong: the answer not taking effect exactly once, the question left open, an
    update or a message left behind, the person answered other than once per life."""
    story = case.story
    problems = []
    if len(case.kills) > 1:
        problems.append(f"killed {len(case.kills)} times")
    entity, action = story.audit
    times = case.rows("SELECT COUNT(*) FROM audit_events WHERE entity = ? AND action = ?", entity, action)[0][0]
    if times != 1:
        problems.append(f"{entity} {action} recorded {times} times")
    effect = [row[0] for row in case.rows(story.effect)]
    if effect != [story.expected]:
        problems.append(f"{story.effect!r} gives {effect}, not [{story.expected!r}]")
    if waiting := case.rows("SELECT prompt_message_id FROM pending_inputs"):
        problems.append(f"questions still open: {waiting}")
    if unhandled := case.rows("SELECT update_id FROM inbox WHERE handled_at IS NULL"):
        problems.append(f"updates never handled: {unhandled}")
    audit = case.rows("SELECT entity, action, COUNT(*) FROM audit_events GROUP BY 1, 2 ORDER BY 1, 2")
    if audit != reference.rows("SELECT entity, action, COUNT(*) FROM audit_events GROUP BY 1, 2 ORDER BY 1, 2"):
        problems.append(f"audit events {audit}")
    problems += owed_as_without_kills(case, reference)
    if not 1 <= case.replies() <= 1 + len(case.kills):
        problems.append(f"answered {case.replies()} times")
    if any(FAILED_ON_OUR_SIDE in m.plain for m in case.said):
        problems.append("told it failed on our side")
    if " ERROR " in case.log:
        problems.append("errors in the log")
    return problems


def owed_as_without_kills(case, reference) -> list[str]:
    """Every message sent, and as many of each kind owed as in the run without kills."""
    problems = []
    if unsent := case.rows("SELECT id, kind FROM outbox WHERE sent_at IS NULL OR failed_at IS NOT NULL"):
        problems.append(f"messages not sent: {unsent}")
    owed = case.rows("SELECT kind, COUNT(*) FROM outbox GROUP BY kind ORDER BY kind")
    if owed != reference.rows("SELECT kind, COUNT(*) FROM outbox GROUP BY kind ORDER BY kind"):
        problems.append(f"messages owed {owed}")
    return problems


def stories_side_by_side(folder: Path, stories, run_story) -> dict:
    """Each story's cases by its name, the stories run side by side (each has its own fake)."""
    async def everything(forks: Forks) -> dict:
        ran = await asyncio.gather(*(run_story(forks, folder / s.name.replace(" ", "-"), s) for s in stories))
        return {story.name: cases for story, cases in zip(stories, ran, strict=True)}
    return with_forks(everything)


def broken_cases(cases: dict, broken_promises) -> dict[str, list[str]]:
    """What each case broke of its promises, against the run without kills; {} when none."""
    reference = cases["reference"]
    broken = {}
    for kill, case in cases.items():
        if isinstance(case, Exception):
            broken[kill] = [str(case)]
        elif problems := broken_promises(case, reference):
            broken[kill] = problems
    return broken
