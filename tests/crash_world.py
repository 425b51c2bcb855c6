"""The bot in a process of its own on the fake Bot API, killed with SIGKILL at chosen moments
and started again while people tap: the crash stories of issue 6.

A case is a seed. It picks where each of the bot's lives ends (`KillPoint`: a delay after
start, or the moment the fake has carried out the nth call of a method and not yet answered
it, when a crash leaves the most undone); the people's taps, some delivered by Telegram two
or three times, go on regardless. After the last kill the bot runs until everything owed is
delivered, and `Outcome` holds what the database and the chats show.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_app
from bot.config import Config, Storage, load_config
from bot.processes import process_exists
from handlers.commands import PostVisit
from handlers.model import Platform, Role
from messages.buttons import ACKNOWLEDGE, APPROVE, SEND_NOTICE
from tests.bot_process import FileClock
from tests.conftest import EXAMPLE_CONFIG, ROOT, actor, example_report, post_example
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.telegram_world import BUYER_CHAT, BUYER_ID, FACTORY_CHAT, FACTORY_ID, INSPECTOR_ID, telegram_config

# 10:00 in Ningbo on a Tuesday: the deadlines a day later fall inside the factory's working hours.
START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
# Each restart moves the clock past the longest claim a killed bot could leave, so that these
# cases hold whatever the restarted bot can tell of the dead one; test_crash_claims restarts at
# the same instant, where only releasing the dead bot's claims at start gets the messages out.
CLAIM_RUNS_OUT = timedelta(minutes=6)
# When the chasing clock stops, after the unanswered notice was sent, and the follow-ups
# owed by then (kind, step): the deadline; 12 h later moved to 08:30 next morning; the
# buyer's alert at 48 h; 12 h after the second reminder moved to the morning after.
CHASE_STEPS = (
    (timedelta(hours=25), {("reminder", 1)}),
    (timedelta(hours=47), {("reminder", 1), ("reminder", 2)}),
    (timedelta(hours=49), {("reminder", 1), ("reminder", 2), ("escalation", 1)}),
    (timedelta(hours=71), {("reminder", 1), ("reminder", 2), ("escalation", 1), ("reminder", 3)}),
)
# Seconds any one thing may take to show, counted from the bot's latest start (`until`'s
# `since`): a restarted bot starts cold, its CPU pool's fork server importing fpdf and the
# fonts (1.1 s of CPU) before it draws the notice PDF the killed one had not sent (0.9 s in
# fresh workers), some 3 s of CPU in all, which a machine loaded to 20-25 on its 2 cores
# stretched to over 40 s. A bot that is stuck, not slow, is told apart by what a timeout prints.
PATIENCE = 60.0
SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup"}
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}


@dataclass(frozen=True)
class KillPoint:
    """The end of one life of the bot: once the fake has carried out the case's `call`th Bot
    API call (and before it answers), or `delay` seconds after the bot started."""

    call: int | None = None
    delay: float = 0.0

    def __str__(self) -> str:
        return f"after call #{self.call}" if self.call else f"after {self.delay:.2f} s"


def kill_points(seed: int, kills: int, calls: int) -> tuple[KillPoint, ...]:
    """`kills` points for a case whose run without kills makes `calls` Bot API calls."""
    rng = random.Random(seed)
    at_calls = sorted(rng.sample(range(1, calls + 1), kills))
    points = [KillPoint(call=at_calls.pop(0)) if rng.random() < 0.7 else KillPoint(delay=rng.uniform(0.05, 1.2))
              for _ in range(kills)]
    return tuple(points)


class Forks:
    """tests/bot_process.py, started once: it forks a bot per `start`. Its bots make their
    temporary files (multiprocessing's pymp-*, a photo's evidence-*) in a folder of its own,
    removed on `close`: a killed bot leaves its own behind, some hundred a suite in /tmp."""

    def __init__(self) -> None:
        self.temporary = tempfile.mkdtemp(prefix="followup-forks-")
        env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
        env["PTB_TIMEDELTA"] = "1"
        env["TMPDIR"] = self.temporary
        self.process = subprocess.Popen([sys.executable, "-m", "tests.bot_process"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self, order: dict) -> int:
        self.process.stdin.write(json.dumps(order) + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)
        shutil.rmtree(self.temporary, ignore_errors=True)


@dataclass
class Life:
    pid: int
    kill: KillPoint | None
    over: bool = False


class Lives:
    """A bot's lives, each in a process of its own: one ends at its `KillPoint` (a subclass
    kills it on a call; a delay is kept here), and a new one starts after each kill, the clock
    moved past the claims the dead one left. Subclasses start a life with `_begin`."""

    patience = PATIENCE

    def __init__(self, seed: int, points: tuple, folder: Path):
        self.seed = seed
        self.points = list(points)
        self.clock = FileClock(folder / "clock")
        self.db = folder / "db" / "followup.sqlite3"
        self.lives: list[Life] = []
        self.kills: list[str] = []
        self.began = 0.0  # when the latest life started, in the event loop's time
        self.ended = asyncio.Event()

    def _start(self) -> None:
        raise NotImplementedError

    def _begin(self, pid: int) -> Life:
        life = Life(pid, self.points.pop(0) if self.points else None)
        self.lives.append(life)
        self.began = asyncio.get_running_loop().time()
        if life.kill is not None and life.kill.delay:
            asyncio.get_running_loop().call_later(life.kill.delay, self._kill, life)
        return life

    def _kill(self, life: Life, why: str | None = None) -> None:
        if life.over:
            return
        os.kill(life.pid, signal.SIGKILL)
        life.over = True
        self.kills.append(why or str(life.kill))
        self.ended.set()

    async def _supervise(self) -> None:
        """Starts the bot again after each kill, once the killed one is gone."""
        while True:
            await self.ended.wait()
            self.ended.clear()
            await gone(self.lives[-1].pid)
            self.clock.set(self.clock.now() + CLAIM_RUNS_OUT)
            self._start()

    async def _stop(self) -> None:
        life = self.lives[-1]
        if life.over:  # a kill came after all was done
            return
        life.over = True
        os.kill(life.pid, signal.SIGTERM)
        await gone(life.pid)

    async def _lived(self) -> None:
        """The bot started, the people acting through its kills and restarts, until all is settled."""
        self._start()
        supervisor = asyncio.create_task(self._supervise())
        try:
            await self._people()
            await self._settled()
        finally:
            supervisor.cancel()
            await self._stop()

    async def _people(self) -> None:
        raise NotImplementedError

    async def _settled(self) -> None:
        raise NotImplementedError

    async def _until(self, found, what: str):
        return await until(found, f"case {self.seed}: no {what}", lambda: self.kills, self.patience, self._began)

    def _began(self) -> float:
        return self.began

    def _query(self, sql: str, *args) -> list[tuple]:
        return query(self.db, sql, *args)


@dataclass
class Outcome:
    """What one case left: its kills, the database, the chats."""

    seed: int
    kills: list[str]
    db: Path
    messages: list[SentMessage]
    calls: list[str]
    updates: list[int]
    log: str

    def rows(self, sql: str, *args) -> list[sqlite3.Row]:
        with sqlite3.connect(self.db) as db:
            db.row_factory = sqlite3.Row
            return db.execute(sql, args).fetchall()

    def sends(self) -> Counter:
        """Each call that put something in a chat, by what it shows: a chat, and a message's
        first line, a document's name or an album's caption."""
        seen: Counter = Counter()
        albums = set()
        for message in self.messages:
            if message.media_group_id:
                if message.media_group_id in albums:
                    continue
                albums.add(message.media_group_id)
            # Who did it and when (" — Li Wei, 24 Nov …") moves with each restart's clock.
            what = message.document.filename if message.document else message.plain.split("\n")[0].split(" — ")[0]
            seen[(message.chat_id, message.method, what)] += 1
        return seen


class CrashWorld(Lives):
    def __init__(self, forks: Forks, fake: FakeTelegram, folder: Path, config: Config, seed: int,
                 points: tuple[KillPoint, ...]):
        super().__init__(seed, points, folder)
        self.forks, self.fake, self.folder = forks, fake, folder
        self.config = telegram_config(config)
        self.rng = random.Random(seed)
        self.clock.set(START)
        self.calls: list[str] = []  # every Bot API call the fake carried out, by method
        self.updates: list[int] = []  # every tap, once each however often Telegram delivered it
        self.buyer = fake.user(BUYER_ID, "Anna", "en")
        self.factory = fake.user(FACTORY_ID, "Li", "zh-hans")
        fake.user(INSPECTOR_ID, "Chen", "en")
        fake.observers.append(self._observe)

    # --- the bot's lives

    def _start(self) -> None:
        (self.folder / "config.json").write_text(self.config.model_dump_json(), encoding="utf-8")
        pid = self.forks.start({
            "config": str(self.folder / "config.json"), "clock": str(self.clock.path),
            "log": str(self.folder / "bot.log"), "token": self.fake.token,
            "base_url": self.fake.base_url, "file_base_url": self.fake.base_file_url,
        })
        self._begin(pid)

    def _observe(self, method: str, params: dict) -> None:
        self.calls.append(method)
        life = self.lives[-1] if self.lives else None
        if life is not None and life.kill is not None and life.kill.call is not None \
                and len(self.calls) >= life.kill.call:
            self._kill(life, f"{life.kill} ({method})")

    async def run(self) -> Outcome:
        await self._post_visits()
        await self._lived()
        return Outcome(self.seed, self.kills, self.db, self._messages(), self.calls, self.updates,
                       (self.folder / "bot.log").read_text(encoding="utf-8"))

    def _messages(self) -> list[SentMessage]:
        chats = (BUYER_CHAT, FACTORY_CHAT, BUYER_ID, FACTORY_ID, INSPECTOR_ID)
        return [m for chat in chats for m in self.fake.transcript(chat)]

    # --- the people

    async def _post_visits(self) -> None:
        """The inspector's two visits, stored with the findings they owe the buyer."""
        app = await build_app(self.config, self.clock)
        try:
            await post_example(app, self.config, Platform.TELEGRAM)
            reply = await app.bus.handle(another_visit(), actor(self.config, Role.INSPECTOR, Platform.TELEGRAM))
            assert reply.ok, reply
        finally:
            await app.close()

    async def _people(self) -> None:
        """Approvals and acknowledgements in a burst, then the unanswered notice chased."""
        visits = [row[0] for row in self._query("SELECT id FROM visits ORDER BY id")]
        for visit in visits:
            for (instruction,) in self._query("SELECT id FROM instructions WHERE visit_id = ? ORDER BY id", visit):
                await self._tap(self.buyer, BUYER_CHAT, APPROVE, instruction)
        for visit in visits:
            await self._tap(self.buyer, BUYER_CHAT, SEND_NOTICE, visit)
        answered, unanswered = [await self._notice_of(visit) for visit in visits]
        await self._tap(self.factory, FACTORY_CHAT, ACKNOWLEDGE, answered)
        await self._settled()
        (sent,) = self._query("SELECT sent_at FROM notices WHERE id = ?", unanswered)[0]
        for after, owed in CHASE_STEPS:
            self.clock.set(max(self.clock.now(), datetime.fromisoformat(sent) + after))
            await self._until(lambda: self._followed_up(unanswered) == owed, f"follow-ups {owed}")
        await self._tap(self.factory, FACTORY_CHAT, ACKNOWLEDGE, unanswered)

    async def _tap(self, user: FakeUser, chat: int, action: str, target: int) -> None:
        """A tap on the button, delivered once, twice or three times; sometimes tapped twice."""
        message, token = await self._until(lambda: self._button(chat, action, target), f"{action} {target}")
        update = await self.fake.tap(chat, user, message.message_id, token, forged=True)
        self.updates.append(update["update_id"])
        if again := self.rng.choice((0, 0, 1, 2)):
            await self.fake.redeliver(update, again)
        if self.rng.random() < 0.2:
            update = await self.fake.tap(chat, user, message.message_id, token, forged=True)
            self.updates.append(update["update_id"])

    def _button(self, chat: int, action: str, target: int) -> tuple[SentMessage, str] | None:
        rows = self._query("SELECT token FROM callback_tokens WHERE action = ? AND target = ?", action, target)
        if not rows:
            return None
        token = rows[0][0]
        carrying = [m for m in self.fake.transcript(chat) if token in m.buttons.values()]
        return (carrying[-1], token) if carrying else None

    async def _notice_of(self, visit: int) -> int:
        found = await self._until(lambda: self._query("SELECT id FROM notices WHERE visit_id = ?", visit),
                                  f"the notice of visit {visit}")
        return found[0][0]

    def _followed_up(self, notice: int) -> set[tuple[str, int]]:
        return {(kind, step) for kind, step in
                self._query("SELECT kind, step FROM follow_ups WHERE notice_id = ?", notice)}

    async def _settled(self) -> None:
        """Every update handled, every message delivered, by a bot that is alive."""
        def quiet() -> bool:
            return (not self.fake.pending_updates and not self.fake.redelivering and not self.lives[-1].over
                    and not self._query("SELECT 1 FROM inbox WHERE handled_at IS NULL")
                    and not self._query("SELECT 1 FROM outbox WHERE sent_at IS NULL"))
        await until(quiet, f"case {self.seed}: no the bot to settle", self._unsettled, self.patience, self._began)

    def _unsettled(self) -> str:
        """The kills, and what keeps the bot from settling: to tell a slow bot from a stuck one."""
        unsent = self._query("SELECT id, kind, attempts, next_attempt_at, claimed_until, last_error"
                             " FROM outbox WHERE sent_at IS NULL")
        warnings = [line for line in (self.folder / "bot.log").read_text(encoding="utf-8").splitlines()
                    if " WARNING " in line or " ERROR " in line]
        return (f"{self.kills}; clock {self.clock.now().isoformat()}; pending updates "
                f"{[u['update_id'] for u in self.fake.pending_updates]}; redelivering {self.fake.redelivering}; "
                f"bot alive {not self.lives[-1].over}; unhandled "
                f"{self._query('SELECT update_id FROM inbox WHERE handled_at IS NULL')}; unsent {unsent}; "
                f"last warnings {warnings[-5:]}")



@functools.cache
def _the_example():
    return example_report(load_config(EXAMPLE_CONFIG))


def another_visit() -> PostVisit:
    """Another order's visit with the example's first finding: a second notice."""
    report, photos = _the_example()
    order = report.order.model_copy(update={"reference": "PO-2026-0150"})
    return PostVisit(report.model_copy(update={"order": order, "findings": report.findings[:1]}), photos)


async def until(found, what: str, kills, patience: float = PATIENCE, since=None) -> object:
    """`found()`'s value once it is truthy; fails after `patience` seconds naming `what` and the
    kills (`kills()`) so far. With `since` (when the bot last started, in the loop's time), the
    seconds count from then if that is later: a kill while we wait starts the work over, cold."""
    loop = asyncio.get_running_loop()
    waited_from = loop.time()
    while not (value := found()):
        if loop.time() > max(waited_from, since() if since else waited_from) + patience:
            raise AssertionError(f"{what}: not there after {patience:g} s (kills: {kills()})")
        await asyncio.sleep(0.02)
    return value


def query(db: Path, sql: str, *args) -> list[tuple]:
    """Rows from the bot's database as it is on disk; none before it exists."""
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=5) as connection:
        return connection.execute(sql, args).fetchall()


def reference_and_cases(folder: Path, run_case, run_cases, seeds, kills: int) -> dict:
    """The run without kills ("reference"), then each seed's case, by seed."""
    async def everything(forks: Forks) -> dict:
        reference = await run_case(forks, folder / "reference", 0)
        return {"reference": reference, **await run_cases(forks, folder, seeds, reference, kills)}
    return with_forks(everything)


def with_forks(work):
    """`work(forks)` run to its end with tests/bot_process.py started for it, and stopped after."""
    forks = Forks()
    try:
        return asyncio.run(work(forks))
    finally:
        forks.close()


async def gone(pid: int) -> None:
    """A killed bot is reaped by tests/bot_process.py; this waits until it has been. A bot told
    to stop closes its clients and worker processes first: on a loaded machine that can take
    seconds, so the patience is generous."""
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        if not process_exists(pid):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"bot process {pid} did not end within 30 s")


async def run_case(forks: Forks, folder: Path, seed: int, points: tuple[KillPoint, ...] = ()) -> Outcome:
    """One case: the bot killed at `points` (none: the run every case is held to)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = load_config(EXAMPLE_CONFIG).model_copy(
        update={"storage": Storage(url=f"sqlite:///{folder / 'db' / 'followup.sqlite3'}")})
    async with FakeTelegram() as fake:
        return await CrashWorld(forks, fake, folder, config, seed, points).run()


async def run_cases(forks: Forks, folder: Path, seeds, reference: Outcome, kills: int = 3,
                    at_once: int = 4) -> dict[int, Outcome | Exception]:
    """The cases, a few at a time (the bots' PDFs keep a core busy), each outcome or failure by seed."""
    return await a_few_at_a_time(seeds, at_once, lambda seed: run_case(
        forks, folder / f"case-{seed}", seed, kill_points(seed, kills, len(reference.calls))))


async def a_few_at_a_time(seeds, at_once: int, case) -> dict:
    """`case(seed)` for every seed, `at_once` at a time: each outcome, or the failure, by seed."""
    gate = asyncio.Semaphore(at_once)

    async def one(seed: int):
        async with gate:
            try:
                return await case(seed)
            except AssertionError as failed:
                return failed
    seeds = list(seeds)
    return dict(zip(seeds, await asyncio.gather(*(one(seed) for seed in seeds)), strict=True))


def broken_promises(case: Outcome, reference: Outcome) -> list[str]:
    """What the database says went wrong: an instruction not in exactly one notice, a notice
    not acknowledged once, a follow-up missing or doubled, an update lost or left unhandled,
    a message never sent. Empty when the case kept every promise."""
    problems = []
    placed = case.rows("SELECT i.id, COUNT(n.notice_id) AS notices FROM instructions i"
                       " LEFT JOIN notice_instructions n ON n.instruction_id = i.id GROUP BY i.id")
    problems += [f"instruction {r['id']} is in {r['notices']} notices" for r in placed if r["notices"] != 1]
    notices = case.rows("SELECT id, state, version FROM notices")
    if len(notices) != 2:
        problems.append(f"{len(notices)} notices instead of 2")
    problems += [f"notice {n['id']} is {n['state']} at version {n['version']}" for n in notices
                 if (n["state"], n["version"]) != ("acknowledged", 1)]
    twice = case.rows("SELECT entity, entity_id, action, COUNT(*) AS times FROM audit_events"
                      " GROUP BY entity, entity_id, action, after HAVING times > 1")
    problems += [f"{r['entity']} {r['entity_id']}: {r['action']} recorded {r['times']} times" for r in twice]
    if _audit(case) != _audit(reference):
        problems.append(f"audit events {_audit(case)}, without kills {_audit(reference)}")
    if _follow_ups(case) != _follow_ups(reference):
        problems.append(f"follow-ups {_follow_ups(case)}, without kills {_follow_ups(reference)}")
    unsent = case.rows("SELECT id, kind FROM outbox WHERE sent_at IS NULL OR failed_at IS NOT NULL")
    problems += [f"outbox {r['id']} ({r['kind']}) not sent" for r in unsent]
    if _owed(case) != _owed(reference):
        problems.append(f"messages owed {_owed(case)}, without kills {_owed(reference)}")
    stored = case.rows("SELECT update_id, handled_at FROM inbox ORDER BY update_id")
    if [r["update_id"] for r in stored] != sorted(case.updates):
        problems.append(f"inbox holds {[r['update_id'] for r in stored]}, taps were {sorted(case.updates)}")
    problems += [f"update {r['update_id']} never handled" for r in stored if r["handled_at"] is None]
    missing = reference.sends() - case.sends()
    problems += [f"{what} sent {case.sends()[what]} times, without kills {times}" for what, times in missing.items()]
    return problems


def repeats(case: Outcome, reference: Outcome) -> Counter:
    """Calls that put something in a chat more often than the run without kills did."""
    return case.sends() - reference.sends()


def _audit(case: Outcome) -> dict[tuple[str, str], int]:
    return {(r[0], r[1]): r[2] for r in case.rows(
        "SELECT entity, action, COUNT(*) FROM audit_events GROUP BY entity, action")}


def _follow_ups(case: Outcome) -> list[tuple]:
    return [tuple(r) for r in case.rows(
        "SELECT n.number, f.kind, f.round, f.step FROM follow_ups f JOIN notices n ON n.id = f.notice_id ORDER BY 1, 2, 3, 4")]


def _owed(case: Outcome) -> dict[str, int]:
    return {r[0]: r[1] for r in case.rows("SELECT kind, COUNT(*) FROM outbox GROUP BY kind")}
