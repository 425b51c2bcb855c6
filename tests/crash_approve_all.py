"""Approve all killed at every point of its handling. The bot runs in a process of its own on
the fake Bot API (tests/bot_process.py) and is killed with SIGKILL while it handles the tap,
then started again; the buyer then taps Approve all once more, as someone who saw nothing
happen would.

The template is the example visit posted (seven instructions) and delivered to the buyer's
chat; each case copies it, starts a bot armed with one kill point and taps Approve all on the
summary. The kill points are every commit the tap's handling makes, just before and just after
it (`DieAt`: storing the update, the approvals with the update remembered, marking the update
handled), and every Bot API call the run without kills made once the tap was sent: the seven
finding messages rewritten one by one and the summary's new buttons. The approvals are one
transaction, so a kill before its commit leaves none and one after leaves all seven; the
stored tap is handled after the restart, and the second tap is told nothing is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import build_app
from bot.config import Config, Storage, load_config
from handlers.commands import PostVisit
from handlers.intake.reports import read_report
from handlers.model import Platform, Role
from messages.buttons import APPROVE_ALL
from tests.bot_process import FileClock
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_VISIT, actor
from tests.crash_answers import (
    QUIET_METHODS, KillAt, copy_template, died, every_kill, owed_as_without_kills, quiet, start_bot,
)
from tests.crash_world import CLAIM_RUNS_OUT, PATIENCE, START, Forks, gone, query, until
from tests.fake_telegram import FakeTelegram
from tests.telegram_world import BUYER_CHAT, BUYER_ID, telegram_config

COMMITS = ("INSERT INTO inbox", "UPDATE instructions", "UPDATE inbox SET handled_at")
INSTRUCTIONS = 7
NOTHING_LEFT = "Nothing left to approve for PO-2026-0142: every instruction is decided."


@dataclass
class Outcome:
    kill: KillAt | None
    kills: list[str]
    db: Path
    summary: int  # the message ids of the summary and of the seven findings
    findings: frozenset[int]
    calls: list[str] = field(default_factory=list)  # Bot API calls once the tap was sent, but polling
    edited: dict[int, str] = field(default_factory=dict)  # message id -> the last text it was edited to
    keyboards: dict[int, list[str]] = field(default_factory=dict)  # message id -> its last keyboard's labels
    answers: list[str] = field(default_factory=list)  # what the taps were told
    log: str = ""

    def rows(self, sql: str, *args) -> list[tuple]:
        return query(self.db, sql, *args)


class ApproveAllWorld:
    """The template, the fake it was delivered to, and the cases run on it one after another."""

    def __init__(self, forks: Forks, fake: FakeTelegram, folder: Path):
        self.forks, self.fake, self.folder = forks, fake, folder
        self.template = folder / "template"
        self.buyer = fake.user(BUYER_ID, "Anna", "en")
        self.summary: int | None = None  # the summary's message id
        self.token: str | None = None  # its Approve all button
        self.findings: frozenset[int] = frozenset()
        self.pid: int | None = None
        self.outcome: Outcome | None = None  # the case running
        self.call_kill: int | None = None
        self._counting = False  # the calls of a case, from its first tap to its end
        self._methods: list[str] = []
        fake.observers.append(self._observe)

    async def prepare(self) -> None:
        self.template.mkdir(parents=True)
        FileClock(self.template / "clock").set(START)
        await posted(self._config(self.template), FileClock(self.template / "clock"))
        self.pid = self._start(self.template, None)
        try:
            self.summary, self.token = await self._until(self._approve_all, "the summary's Approve all")
            await self._until(lambda: self._settled(self.template), "the template to settle")
            refs = query(self.template / "db" / "followup.sqlite3",
                         "SELECT ref FROM message_refs WHERE subject LIKE 'instruction:%'")
            self.findings = frozenset(int(ref.split(":")[1]) for (ref,) in refs)
        finally:
            os.kill(self.pid, signal.SIGTERM)
            await gone(self.pid)

    def _approve_all(self) -> tuple[int, str] | None:
        rows = query(self.template / "db" / "followup.sqlite3",
                     "SELECT token FROM callback_tokens WHERE action = ?", APPROVE_ALL)
        tokens = {token for (token,) in rows}
        for message in self.fake.transcript(BUYER_CHAT):
            if found := tokens & set(message.buttons.values()):
                return message.message_id, found.pop()
        return None

    async def run(self, kill: KillAt | None) -> Outcome:
        case = self.folder / (str(kill).replace(" ", "-").replace("'", "").replace("#", "") if kill else "reference")
        copy_template(self.template, case)
        self.call_kill = kill.call if kill else None
        self.outcome = outcome = Outcome(kill, [], case / "db" / "followup.sqlite3", self.summary, self.findings)
        self.pid = self._start(case, kill if kill and kill.sql else None)
        await self._until(lambda: "getUpdates" in self._methods, "the bot to poll")
        self._counting = True
        await self._tap()
        if kill is not None and kill.sql:
            await self._until(self._died, f"the kill {kill}")
        elif kill is not None:
            await self._until(lambda: self._died() or self._settled(case), f"the kill {kill}")
        if outcome.kills:
            clock = FileClock(case / "clock")  # the dead bot's claims on messages run out
            clock.set(clock.now() + CLAIM_RUNS_OUT)
            self.pid = self._start(case, None)
        await self._until(lambda: self._settled(case), "the bot to settle")
        await self._tap()  # once more, as the buyer does who saw nothing happen
        try:
            await self._until(lambda: self._settled(case), "the bot to settle after the second tap")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            await gone(self.pid)
        self._counting = False
        outcome.log = (case / "bot.log").read_text(encoding="utf-8")
        return outcome

    async def _tap(self) -> None:
        answered = len(self.fake.callback_answers)
        await self.fake.tap(BUYER_CHAT, self.buyer, self.summary, self.token, forged=True)  # a button maybe gone
        await self._until(lambda: len(self.fake.callback_answers) > answered or self._died(), "the tap's answer")

    def _start(self, folder: Path, die: KillAt | None) -> int:
        self._methods = []
        return start_bot(self.forks, self.fake, folder, self._config(folder), die)

    def _observe(self, method: str, params: dict) -> None:
        self._methods.append(method)
        outcome = self.outcome
        if not self._counting or outcome is None or method in QUIET_METHODS:
            return
        outcome.calls.append(method)
        if method == "editMessageText":
            outcome.edited[int(params["message_id"])] = params["text"]
        if method in ("editMessageText", "editMessageReplyMarkup"):
            outcome.keyboards[int(params["message_id"])] = _labels(params.get("reply_markup"))
        if method == "answerCallbackQuery":
            outcome.answers.append(params.get("text") or "")
        if self.call_kill is not None and len(outcome.calls) == self.call_kill and not outcome.kills:
            os.kill(self.pid, signal.SIGKILL)
            outcome.kills.append(f"after call #{self.call_kill} ({method})")

    def _died(self) -> bool:
        return died(self.pid, self.outcome.kills if self.outcome else [])

    def _settled(self, folder: Path) -> bool:
        return not self._died() and quiet(self.fake, folder)

    def _config(self, folder: Path) -> Config:
        return telegram_config(load_config(EXAMPLE_CONFIG).model_copy(
            update={"storage": Storage(url=f"sqlite:///{folder / 'db' / 'followup.sqlite3'}")}))

    async def _until(self, found, what: str):
        kills = (lambda: self.outcome.kills) if self.outcome else (lambda: [])
        return await until(found, f"approve all: no {what}", kills, PATIENCE)


async def posted(config: Config, clock: FileClock) -> None:
    """The example visit posted through the bus: seven proposed instructions."""
    app = await build_app(config, clock)
    try:
        with read_report(EXAMPLE_VISIT / "report.yaml", [f.id for f in config.factories]) as checked:
            for photo in checked.photos.values():
                app.media.put(photo.path, photo.sha256, photo.format)
            photos = {name: photo.sha256 for name, photo in checked.photos.items()}
            reply = await app.bus.handle(PostVisit(checked.report, photos), actor(config, Role.INSPECTOR,
                                                                                  Platform.TELEGRAM))
        assert reply.ok, reply
    finally:
        await app.close()


def _labels(markup) -> list[str]:
    markup = json.loads(markup) if isinstance(markup, str) else markup or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


def kill_points(reference: Outcome) -> list[KillAt]:
    """Every commit of the tap's handling, before and after, and every call the run without
    kills made for the first tap (those of the second tap are its answer alone)."""
    commits = [KillAt(sql=sql, when=when) for sql in COMMITS for when in ("before", "after")]
    return commits + [KillAt(call=n) for n in range(1, len(reference.calls))]


async def run_all(forks: Forks, folder: Path) -> dict[str, Outcome | Exception]:
    """The run without kills, then a case per kill point, one after another on one fake."""
    async with FakeTelegram() as fake:
        return await every_kill(ApproveAllWorld(forks, fake, folder), kill_points)


def broken_promises(case: Outcome, reference: Outcome) -> list[str]:
    """What went wrong: an instruction approved other than once, an update or a message left
    behind, a finding message not showing its approval, the summary not offering Send."""
    problems = []
    approvals = Counter(dict(case.rows("SELECT entity_id, COUNT(*) FROM audit_events "
                                       "WHERE entity = 'instruction' AND action = 'approve' GROUP BY 1")))
    if sorted(approvals.values()) != [1] * INSTRUCTIONS:
        problems.append(f"approvals per instruction {dict(approvals)}")
    if (states := case.rows("SELECT DISTINCT state FROM instructions")) != [("approved",)]:
        problems.append(f"instruction states {states}")
    if unhandled := case.rows("SELECT update_id FROM inbox WHERE handled_at IS NULL"):
        problems.append(f"updates never handled: {unhandled}")
    problems += owed_as_without_kills(case, reference)
    shown = {m for m in case.findings if "Decision: approved" in case.edited.get(m, "")}
    if len(shown) != INSTRUCTIONS:
        problems.append(f"finding messages not showing the approval: {sorted(case.findings - shown)}")
    if case.keyboards.get(case.summary) != [f"Send notice ({INSTRUCTIONS})"]:
        problems.append(f"the summary's last buttons {case.keyboards.get(case.summary)}")
    # The second tap is told nothing is left; the first, once per life that answered it.
    if case.answers.count(NOTHING_LEFT) != 1 or len(case.answers) > 2 + len(case.kills):
        problems.append(f"the taps were told {case.answers}")
    if " ERROR " in case.log:
        problems.append("errors in the log")
    return problems
