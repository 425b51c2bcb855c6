"""Who may do what, where, and what each chat is shown: the rights matrix, generated from one
table (RIGHTS), and docs/rights.md generated from the same table.

Every cell is played: each command by each role on factory A's and factory B's notice or
instruction on each surface that offers it, through the platform-neutral bus; each question
by each role about each factory's order in the buyer's chat, factory A's chat and a private
chat, through the answers layer (bot.chat.answers) of Telegram and Slack, and in a terminal
through the real CLI. Both run on one real SQLite store holding a sent notice for each
factory. A forbidden cell must be refused with a clear message, audited (action 'refused',
with who, their platform user id, what was tried, on what, and why), change nothing else,
and reveal nothing of the other factory: a question about its order reads exactly like one
about an order that does not exist. An allowed cell must pass, unaudited.

A stranger reaches the bus only as a stranger actor, who may give the two commands of someone
the bot does not act for yet (redeeming an invitation, asking to act in a factory's channel) and
is refused every other; no read sees anything for them. The answers never see them (the
directory knows nobody by their account), so their row is played, with a representative subset
of the others, through the real python-telegram-bot and slack-bolt code against the fake
servers (the last two stories).
"""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from click.testing import CliRunner

from bot.chat.answers import Answered, answer_in
from bot.app import App, build_app
from bot.cli.followup import main
from bot.config import Config, Slack, Telegram, load_config
from handlers import commands as c
from handlers.queries.audience import audience_of
from handlers.commands import Actor
from handlers.queries.factories import factory_report
from handlers.model import Person, Platform, PlatformAccount, Role
from handlers.refusals import target_of
from handlers.intake.reports import read_report
from handlers.sight import may_see_factory, sight_of
from handlers.queries.status import UnknownOrder, order_status, portfolio_page
from handlers.strangers import stranger
from messages.i18n import Language
from messages.replies import reply_text
from tests.conftest import EXAMPLE_VISIT, changed, example_config_text, one_finding, write_report
from tests.fakes import FakeClock

pytestmark = pytest.mark.asyncio(loop_scope="module")

# --- The table -----------------------------------------------------------------------------------

A, B = "NB-EVERGREEN", "SZ-OTHER"
FACTORY_NAMES = {A: ("Ningbo Evergreen", "宁波常青"), B: ("Shenzhen Other", "深圳其他")}
ORDER = {A: "PO-2026-0142", B: "PO-2026-0143"}
NOWHERE = "PO-2026-0149"  # an order that does not exist, written like the others
ROLES = ("buyer", "inspector", "factory A", "factory B", "stranger", "admin")
CHATS = ("buyer chat", "factory A chat", "private chat")
SURFACES = ("Telegram", "Slack", "CLI")
BUYER_SIDE = ("buyer", "inspector", "admin")  # they may see every factory

OWN = "own factory"  # a factory contact, on its own factory's notice or instruction
CHAT, EVERYWHERE, TERMINAL = ("Telegram", "Slack"), SURFACES, ("CLI",)
FORM = ("Web",)  # the inspector's visit form, behind its signed link

# Commands, by who may give them. A command's answer goes to whoever acted alone (a tap's
# alert, an ephemeral reply or a DM; the terminal), so the chat a button is tapped in changes
# nothing: the rights follow who taps, never what the button says.
COMMANDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # command: (what people do, who may, surfaces)
    "PostVisit": ("send a visit report", ("inspector", "admin"), EVERYWHERE),
    "ImportOrders": ("import the order list", ("buyer", "admin"), TERMINAL),
    "OpenVisitForm": ("/visit PO-…; followup visit form", ("inspector", "admin"), EVERYWHERE),
    "SubmitVisitDraft": ("post the visit form", ("inspector", "admin"), FORM),
    "ApproveInstruction": ("Approve", ("buyer",), CHAT),
    "ApproveAllInstructions": ("Approve all", ("buyer",), CHAT),
    "EditInstruction": ("Edit", ("buyer",), CHAT),
    "RejectInstruction": ("Reject", ("buyer",), CHAT),
    "SendNotice": ("Send notice", ("buyer",), CHAT),
    "SendVisitReport": ("Visit report (PDF)", ("buyer", "inspector", "admin"), CHAT),
    "AddChinese": ("Add Chinese (before sending)", ("buyer",), CHAT),
    "AcknowledgeNotice": ("确认收到 / Acknowledge", (OWN,), CHAT),
    "DisputeNotice": ("有异议 / Dispute", (OWN,), CHAT),
    "CommitToDate": ("commit to a date", (OWN,), CHAT),
    "ReportDone": ("report done, with photos", (OWN,), CHAT),
    "VerifyInstruction": ("Verify", ("buyer",), CHAT),
    "ReopenInstruction": ("Reopen", ("buyer",), CHAT),
    "RemindFactory": ("Remind", ("buyer",), CHAT),
    "EscalateToManager": ("Escalate to the manager", ("buyer",), CHAT),
    "ExtendDeadline": ("Extend the deadline", ("buyer",), CHAT),
    "CancelNotice": ("Cancel the notice", ("buyer",), CHAT),
    "RevokeNoticeLinks": ("followup notice link --revoke", ("buyer", "admin"), TERMINAL),
    "AcceptCommitment": ("Accept a committed date", ("buyer",), CHAT),
    "DeclineCommitment": ("Decline a committed date", ("buyer",), CHAT),
    "InviteContact": ("/invite a factory's contact", ("buyer",), CHAT),
    "ConfirmBinding": ("confirm someone as a factory's contact", ("buyer",), CHAT),
    "RefuseBinding": ("refuse someone as a factory's contact", ("buyer",), CHAT),
    "RevokeContact": ("/revoke; followup people revoke", ("buyer", "admin"), EVERYWHERE),
    "RedeemInvite": ("join by an invitation (/start CODE, /followup join CODE)", ("stranger",), CHAT),
    "AskToAct": ("act in a factory's channel, asking the buyer to confirm them", ("stranger",), ("Slack",)),
}

# Questions: what the chat shows when each person asks about each factory's order there
# (target None: a question about no one order), in the buyer's chat, factory A's chat, a
# private chat (the terminal reads as one).
#   answer:   the asker's own answer, where they asked;
#   narrowed: the chat gets what all its readers may see (a factory chat: that factory's
#             view, in Chinese), the asker their full answer privately, with a note in the chat;
#   private:  the chat's readers may see none of it: the chat gets the note alone;
#   refused:  answered as if the order did not exist (and in a chat, only the note there).
QUESTIONS = {"status": "/status {}", "orders": "/orders", "factories": "/factories", "help": "/help"}
READS: dict[tuple[str, str, str | None], tuple[str, str, str]] = {
    **{("status", who, A): ("answer", "narrowed", "answer") for who in BUYER_SIDE},
    **{("status", who, B): ("answer", "private", "answer") for who in BUYER_SIDE},
    ("status", "factory A", A): ("answer", "answer", "answer"),
    ("status", "factory A", B): ("refused", "refused", "refused"),
    ("status", "factory B", A): ("refused", "refused", "refused"),
    ("status", "factory B", B): ("answer", "private", "answer"),
    **{(q, who, None): ("answer", "narrowed", "answer") for q in ("orders", "factories") for who in BUYER_SIDE},
    **{(q, "factory A", None): ("answer", "answer", "answer") for q in ("orders", "factories")},
    **{(q, "factory B", None): ("answer", "private", "answer") for q in ("orders", "factories")},
    **{("help", who, None): ("answer", "answer", "answer") for who in ROLES if who != "stranger"},
}
TERMINAL_QUESTIONS = ("status", "orders", "factories")  # followup status|orders|factories --as NAME
# Someone the bot does not act for: every tap, question, upload and command refused, audited.
STRANGER = "refused"

# --- The cells -------------------------------------------------------------------------------------

OWNER = {A: "factory A", B: "factory B"}
PLATFORM = {"Telegram": Platform.TELEGRAM, "Slack": Platform.SLACK, "CLI": Platform.CONSOLE, "Web": Platform.WEB}


def command_outcome(command: str, role: str, target: str) -> str:
    who = COMMANDS[command][1]
    return "allowed" if role in who or (OWN in who and OWNER[target] == role) else "refused"


COMMAND_CELLS = [(command, role, target, surface) for command, (_, _, surfaces) in COMMANDS.items()
                 for role in ROLES if role != "stranger" for target in (A, B) for surface in surfaces]
READ_CELLS = [(q, who, target, surface, chat) for (q, who, target) in READS for surface in CHAT for chat in CHATS]
READ_CELLS += [(q, who, target, "CLI", "private chat") for (q, who, target) in READS if q in TERMINAL_QUESTIONS]


def read_outcome(question: str, who: str, target: str | None, chat: str) -> str:
    return READS[question, who, target][CHATS.index(chat)]


def cell_id(*parts: object) -> str:
    return "-".join(str(p).replace(" ", "_") for p in parts if p is not None)


# --- The world: factory A and B, a sent notice each -----------------------------------------------

BUYER_CHAT, A_CHAT = 555111, -100222
BUYER_CHANNEL, A_CHANNEL, B_CHANNEL = "C0BUYER", "C0FACTORY", "C0OTHER"
PEOPLE = {  # role: (name, Telegram user id, Slack user id)
    "buyer": ("Anna Schmidt", 111, "U0BUYER"),
    "inspector": ("Chen Jing", 222, "U0INSPECT"),
    "factory A": ("Li Wei", 333, "U0FACTORY"),
    "factory B": ("Zhao Lei", 444, "U0OTHER"),
    "admin": ("Olga Berg", 555, "U0ADMIN"),
}
MORE = f"""
[[factories]]
id = "{B}"
name = "Shenzhen Other Ceramics Ltd."
name_zh = "深圳其他陶瓷有限公司"
telegram_chat_id = -100333
slack_channel = "{B_CHANNEL}"

[[people]]
name = "Zhao Lei"
role = "factory"
factory = "{B}"
locale = "zh_Hans_CN"
timezone = "Asia/Shanghai"

[[people]]
name = "Olga Berg"
role = "admin"
"""


def config_text(database: Path) -> str:
    """The example configuration with factory B, its contact and an admin, every chat configured."""
    text = example_config_text(f"sqlite:///{database}")
    text = text.replace("[telegram]\n", f"[telegram]\nbuyer_chat_id = {BUYER_CHAT}\n")
    text = text.replace("[slack]\n", f'[slack]\nbuyer_channel = "{BUYER_CHANNEL}"\n')
    text = text.replace('working_hours_end = "18:00"\n',
                        f'working_hours_end = "18:00"\ntelegram_chat_id = {A_CHAT}\nslack_channel = "{A_CHANNEL}"\n', 1)
    text += MORE
    for name, telegram, slack in PEOPLE.values():
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\ntelegram_user_id = {telegram}\n'
                                                  f'slack_user_id = "{slack}"\n')
    return text


class Reader:
    """The store's file, read as any other process could read it."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.db.row_factory = sqlite3.Row

    def stored(self) -> dict[str, list]:
        """What the bot keeps, but for the audit of refusals, the receipts of requests (the
        conventions of test_hostile_chat), the listing's cache of verdicts (handlers.verdicts) and
        the running bot's heartbeat (deliverers: first written when the delivery loop starts, which
        may fall within the first cell, whatever the cell did)."""
        tables = [r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if r[0] not in ("verdict_bases", "inbox", "handled_updates", "deliverers")]
        queries = {t: f"SELECT * FROM {t}" for t in tables}
        queries["audit_events"] = "SELECT * FROM audit_events WHERE action != 'refused'"
        return {t: sorted(map(tuple, self.db.execute(q))) for t, q in queries.items()}

    def audited(self) -> int:
        """Where the audit trail ends now: `refusals(since=…)` reads what comes after."""
        return self.db.execute("SELECT COALESCE(MAX(id), 0) FROM audit_events").fetchone()[0]

    def refusals(self, since: int) -> list[dict]:
        rows = self.db.execute("SELECT * FROM audit_events WHERE action = 'refused' AND id > ? ORDER BY id", (since,))
        return [{**dict(row), "after": json.loads(row["after"])} for row in rows]


@dataclass
class World:
    app: App
    clock: FakeClock
    config_file: Path
    people: dict[str, Person]
    visit: dict[str, int]
    instruction: dict[str, int]
    notice: dict[str, int]
    number: dict[str, str]
    reports: dict[str, c.PostVisit]

    @functools.cached_property
    def read(self) -> Reader:
        return Reader(self.app.store.path)

    def stored(self) -> dict[str, list]:
        return self.read.stored()

    def audited(self) -> int:
        return self.read.audited()

    def refusals(self, since: int) -> list[dict]:
        return self.read.refusals(since)

    def secrets(self, factory: str) -> list[str]:
        """What must never reach anyone who may not see `factory`: its order, notice, names."""
        return secrets(factory, self.number[factory])


def secrets(factory: str, notice_number: str) -> list[str]:
    return [ORDER[factory], notice_number, factory, *FACTORY_NAMES[factory]]


def unseen(role: str, numbers: dict[str, str]) -> list[str]:
    """What `role` may never read: another factory's (a factory contact), anyone's (a stranger)."""
    return [s for f in (A, B) if role == "stranger" or (role.startswith("factory") and OWNER[f] != role)
            for s in secrets(f, numbers[f])]


def configured(folder: Path) -> tuple[Path, Config]:
    """followup.toml in `folder` (config_text), its database beside it, and the loaded config."""
    config_file = folder / "followup.toml"
    config_file.write_text(config_text(folder / "db" / "followup.sqlite3"), encoding="utf-8")
    return config_file, load_config(config_file)


async def seed(app: App, folder: Path) -> dict[str, dict]:
    """A visit to each factory, its one instruction approved and sent in a notice: the ids of
    each (by factory), and the PostVisit that posted it."""
    people = {p.role: p for p in app.config.people if p.role in (Role.BUYER, Role.INSPECTOR)}
    ids: dict[str, dict] = {"visit": {}, "instruction": {}, "notice": {}, "number": {}, "reports": {}}
    data = one_finding(yaml.safe_load((EXAMPLE_VISIT / "report.yaml").read_text(encoding="utf-8")))
    visit_dir = folder / "visit"
    shutil.copytree(EXAMPLE_VISIT, visit_dir)
    buyer = Actor(people[Role.BUYER], Platform.CONSOLE)
    for factory in (A, B):
        report = changed(changed(data, "order.reference", ORDER[factory]), "order.factory", factory)
        with read_report(write_report(visit_dir, report, f"{factory}.yaml"), [A, B]) as checked:
            for photo in checked.photos.values():
                app.media.put(photo.path, photo.sha256, photo.format)
            post = c.PostVisit(checked.report, {name: photo.sha256 for name, photo in checked.photos.items()})
        visit_id = (await app.bus.handle(post, Actor(people[Role.INSPECTOR], Platform.CONSOLE))).params["visit_id"]
        async with app.store.unit_of_work() as uow:
            (instruction,) = await uow.instructions.for_visit(visit_id)
        assert (await app.bus.handle(c.ApproveInstruction(instruction.id), buyer)).ok
        sent = await app.bus.handle(c.SendNotice(visit_id), buyer)
        assert sent.ok, sent
        for key, value in (("visit", visit_id), ("instruction", instruction.id), ("notice", sent.params["notice_id"]),
                           ("number", sent.params["number"]), ("reports", post)):
            ids[key][factory] = value
    return ids


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory) -> AsyncIterator[World]:
    folder = tmp_path_factory.mktemp("rights")
    config_file, config = configured(folder)
    clock = FakeClock()
    app = await build_app(config, clock)
    people = {role: next(p for p in config.people if p.name == name) for role, (name, _, _) in PEOPLE.items()}
    built = World(app, clock, config_file, people, **await seed(app, folder))
    yield built
    built.read.db.close()
    await app.close()


# --- Commands -------------------------------------------------------------------------------------

def command(world: World, name: str, factory: str, missing: bool = False):
    """The command `name` aimed at `factory`'s instruction, notice or visit; `missing`: at ids
    that do not exist."""
    ids = (world.instruction, world.notice, world.visit)
    instruction, notice, visit = (9999, 9999, 9999) if missing else (i[factory] for i in ids)
    return {
        "PostVisit": lambda: world.reports[factory],
        "ImportOrders": lambda: c.ImportOrders((), dry_run=True),
        "OpenVisitForm": lambda: c.OpenVisitForm(NOWHERE if missing else ORDER[factory]),
        "SubmitVisitDraft": lambda: c.SubmitVisitDraft("NoSuchDraft0000000"),
        "ApproveInstruction": lambda: c.ApproveInstruction(instruction),
        "ApproveAllInstructions": lambda: c.ApproveAllInstructions(visit),
        "EditInstruction": lambda: c.EditInstruction(instruction, note="Rework every mug"),
        "RejectInstruction": lambda: c.RejectInstruction(instruction, "not needed"),
        "SendNotice": lambda: c.SendNotice(visit),
        "SendVisitReport": lambda: c.SendVisitReport(visit),
        "AddChinese": lambda: c.AddChinese(instruction, "返工所有杯子"),
        "AcknowledgeNotice": lambda: c.AcknowledgeNotice(notice),
        "DisputeNotice": lambda: c.DisputeNotice(notice, "样品不一致"),
        "CommitToDate": lambda: c.CommitToDate(instruction, "2026-12-05"),
        "ReportDone": lambda: c.ReportDone(instruction, ()),
        "VerifyInstruction": lambda: c.VerifyInstruction(instruction),
        "ReopenInstruction": lambda: c.ReopenInstruction(instruction, "still crawling"),
        "RemindFactory": lambda: c.RemindFactory(notice),
        "EscalateToManager": lambda: c.EscalateToManager(notice),
        "ExtendDeadline": lambda: c.ExtendDeadline(notice),
        "CancelNotice": lambda: c.CancelNotice(notice),
        "RevokeNoticeLinks": lambda: c.RevokeNoticeLinks(notice, factory),
        "AcceptCommitment": lambda: c.AcceptCommitment(instruction),
        "DeclineCommitment": lambda: c.DeclineCommitment(instruction),
        "InviteContact": lambda: c.InviteContact(factory),
        "ConfirmBinding": lambda: c.ConfirmBinding(1),
        "RefuseBinding": lambda: c.RefuseBinding(1),
        "RevokeContact": lambda: c.RevokeContact("Wang"),
        "RedeemInvite": lambda: c.RedeemInvite("NoSuchCode12345678", "Mallory"),
        "AskToAct": lambda: c.AskToAct(A_CHANNEL, "Mallory", "tap"),
    }[name]()


async def test_the_table_names_every_command_the_bus_knows() -> None:
    from handlers.registry import COMMANDS as REGISTRY

    assert set(COMMANDS) == {command.__name__ for command in REGISTRY}


async def test_the_table_gives_each_command_the_roles_the_registry_gives_it() -> None:
    from handlers.registry import COMMANDS as REGISTRY

    role = {"buyer": "buyer", "inspector": "inspector", "admin": "admin", OWN: "factory", "stranger": "stranger"}
    for command, entry in REGISTRY.items():
        assert {role[who] for who in COMMANDS[command.__name__][1]} == {r.value for r in entry.roles}, command


@pytest.mark.parametrize(("name", "role", "factory", "surface"), COMMAND_CELLS,
                         ids=[cell_id(*cell) for cell in COMMAND_CELLS])
async def test_a_command(world: World, name: str, role: str, factory: str, surface: str) -> None:
    person, platform = world.people[role], PLATFORM[surface]
    allowed = command_outcome(name, role, factory) == "allowed"
    before, audited = None if allowed else world.stored(), world.audited()
    reply = await world.app.bus.handle(command(world, name, factory), Actor(person, platform))
    refusals = world.refusals(since=audited)
    if allowed:
        assert reply.code not in ("not_allowed", "not_your_factory") and refusals == [], reply
        return
    assert reply.code in ("not_allowed", "not_your_factory"), reply
    assert world.stored() == before
    text = reply_text(reply, Language(person.locale, person.timezone))
    assert text and not [s for s in world.secrets(factory) if s in text], text
    if reply.code == "not_your_factory":  # another factory's notice reads like one that does not exist
        nowhere = await world.app.bus.handle(command(world, name, factory, missing=True), Actor(person, platform))
        assert reply_text(nowhere, Language(person.locale, person.timezone)) == text
    (refused,) = refusals
    assert (refused["actor"], refused["actor_user_id"], refused["platform"]) == (
        person.key, person.account_on(platform), platform.value)
    target = target_of(command(world, name, factory))
    assert refused["after"] == {"attempted": name, "reason": reply.code, **({"target": target} if target else {})}


async def test_a_redelivered_refused_update_is_refused_and_audited_once(world: World) -> None:
    wrong = Actor(world.people["factory B"], Platform.TELEGRAM)
    audited = world.audited()
    first = await world.app.bus.handle(c.AcknowledgeNotice(world.notice[A]), wrong, update_key="telegram:9001")
    again = await world.app.bus.handle(c.AcknowledgeNotice(world.notice[A]), wrong, update_key="telegram:9001")
    assert first == again and first.code == "not_your_factory"
    assert len(world.refusals(since=audited)) == 1


async def test_a_tap_refused_before_asking_for_words_is_audited_once_however_often_it_comes(world: World) -> None:
    wrong = Actor(world.people["factory B"], Platform.TELEGRAM)
    audited = world.audited()
    asked = await world.app.bus.may(c.DisputeNotice(world.notice[A], ""), wrong, update_key="telegram:9002")
    again = await world.app.bus.may(c.DisputeNotice(world.notice[A], ""), wrong, update_key="telegram:9002")
    handled = await world.app.bus.handle(c.DisputeNotice(world.notice[A], "样品不一致"), wrong, update_key="telegram:9002")
    assert asked == again == handled and asked.code == "not_your_factory"
    assert len(world.refusals(since=audited)) == 1
    owner = Actor(world.people["factory A"], Platform.TELEGRAM)
    assert await world.app.bus.may(c.DisputeNotice(world.notice[A], ""), owner, update_key="telegram:9003") is None
    assert len(world.refusals(since=audited)) == 1
STRANGERS_OWN = ("RedeemInvite", "AskToAct")


def mallory(platform: Platform) -> Actor:
    """Someone the bot does not act for, as the surfaces hand them to the bus."""
    return Actor(stranger(PlatformAccount(platform=platform, user_id="U0MALLORY"), "Mallory"), platform)


@pytest.mark.parametrize("name", [n for n in COMMANDS if n not in STRANGERS_OWN])
async def test_a_stranger_is_refused_every_command_but_their_own(world: World, name: str) -> None:
    before, audited = world.stored(), world.audited()
    reply = await world.app.bus.handle(command(world, name, A), mallory(Platform.SLACK))
    assert reply.code == "stranger" and world.stored() == before
    assert reply_text(reply, Language("en")) == STRANGER_TEXT
    (refused,) = world.refusals(since=audited)
    assert (refused["actor"], refused["actor_user_id"], refused["after"]["reason"]) == (
        "stranger@slack/U0MALLORY:Mallory", "U0MALLORY", "stranger")


async def test_a_stranger_reads_no_factory(world: World) -> None:
    """Not being a factory's contact is not being the buyer's: every read shows them nothing."""
    person, now = mallory(Platform.TELEGRAM).person, world.clock.now()
    assert sight_of(person) == frozenset() and not [f for f in (A, B) if may_see_factory(person, f)]
    found = await order_status(world.app.store, world.app.settings, person, ORDER[A], now)
    assert isinstance(found, UnknownOrder) and found.suggestions == ()
    assert (await order_status(world.app.store, world.app.settings, person, ORDER[A][:-1], now)).suggestions == ()
    assert (await portfolio_page(world.app.store, world.app.settings, person, now)).lines == []
    assert (await factory_report(world.app.store, world.app.settings, person, now)).factories == []
    for address, private in ((str(BUYER_CHAT), False), (str(A_CHAT), False), ("777", True)):
        reader = audience_of(world.app.settings.routing, Platform.TELEGRAM, address, private).reader(person)
        assert reader is None or sight_of(reader) == frozenset(), address


async def test_asking_to_act_opens_one_request_audited_with_it_and_each_update_counts_once(world: World) -> None:
    zhang = Actor(stranger(PlatformAccount(platform=Platform.SLACK, user_id="U0ZHANG")), Platform.SLACK)
    asking, audited = c.AskToAct(A_CHANNEL, "Zhang Min", "tap"), world.audited()
    first = await world.app.bus.handle(asking, zhang, update_key="slack:action:1")
    assert await world.app.bus.handle(asking, zhang, update_key="slack:action:1") == first
    again = await world.app.bus.handle(c.AskToAct(A_CHANNEL, "Zhang Min", "mention"), zhang, update_key="slack:event:2")
    assert first.code == again.code == "awaiting_confirmation" and first.params == again.params
    rows = world.read.db.execute("SELECT actor, entity_id, action, after FROM audit_events WHERE id > ? ORDER BY id",
                                 (audited,)).fetchall()
    assert [(r["action"], json.loads(r["after"]).get("attempted")) for r in rows] == [
        ("ask_to_act", None), ("refused", "tap"), ("refused", "mention")]
    assert (rows[0]["actor"], rows[0]["entity_id"], json.loads(rows[0]["after"])) == (
        "stranger@slack/U0ZHANG:U0ZHANG", "slack:U0ZHANG",
        {"factory": A, "name": "Zhang Min", "channel": A_CHANNEL, "request": first.params["request"]})


# --- Questions ------------------------------------------------------------------------------------

CHAT_ADDRESS = {  # (surface, chat) -> (address, private)
    ("Telegram", "buyer chat"): (str(BUYER_CHAT), False),
    ("Telegram", "factory A chat"): (str(A_CHAT), False),
    ("Telegram", "private chat"): ("777", True),
    ("Slack", "buyer chat"): (BUYER_CHANNEL, False),
    ("Slack", "factory A chat"): (A_CHANNEL, False),
    ("Slack", "private chat"): ("D0PRIVATE", True),
}
REASON = {"narrowed": "narrowed_in_chat", "private": "withheld_in_chat", "refused": "not_your_factory"}


@dataclass(frozen=True)
class Seen:
    """What a question put where: the chat's text, the asker's private answer (or None)."""

    chat: str
    private: str | None
    charts: tuple[str, ...]  # where a status chart would go: "chat", "private"

    @property
    def everything(self) -> str:
        return f"{self.chat}\n{self.private or ''}"


async def ask(world: World, role: str, text: str, surface: str, chat: str) -> Seen:
    address, private = CHAT_ADDRESS[surface, chat]
    platform = PLATFORM[surface]
    audience = audience_of(world.app.settings.routing, platform, address, private)
    answered: Answered = await answer_in(world.app, surface.lower(), world.people[role], text, audience)
    note = answered.note(surface.lower(), reached=True) if answered.private is not None else None
    shown = answered.for_chat(note)
    charts = tuple(where for where, a in (("chat", shown), ("private", answered.private))
                   if a is not None and a.status is not None)
    return Seen(shown.text, None if answered.private is None else answered.private.text, charts)


def asked(question: str, target: str | None) -> str:
    return QUESTIONS[question].format(ORDER.get(target, ""))


@pytest.mark.parametrize(("question", "role", "target", "surface", "chat"),
                         [cell for cell in READ_CELLS if cell[3] != "CLI"],
                         ids=[cell_id(*cell) for cell in READ_CELLS if cell[3] != "CLI"])
async def test_a_question_in_a_chat(world: World, question: str, role: str, target: str | None, surface: str,
                                    chat: str) -> None:
    outcome = read_outcome(question, role, target, chat)
    audited = world.audited()
    before = world.stored()
    seen = await ask(world, role, asked(question, target), surface, chat)
    refusals = world.refusals(since=audited)
    assert world.stored() == before
    never = unseen(role, world.number) + (world.secrets(B) if chat == "factory A chat" else [])
    typed = ORDER[target] if outcome == "refused" else None  # echoed as for any unknown order
    assert not [s for s in never if s in seen.chat and s != typed], seen.chat
    if outcome == "answer":
        assert seen.private is None and refusals == [], (seen, refusals)
        if question == "status":
            assert ORDER[target] in seen.chat and seen.charts == ("chat",)
        return
    (refused,) = refusals
    person = world.people[role]
    assert (refused["actor"], refused["actor_user_id"], refused["platform"]) == (
        person.key, person.account_on(PLATFORM[surface]), PLATFORM[surface].value)
    target_field = {"target": f"order:{ORDER[target]}"} if question == "status" else {}
    assert refused["after"] == {"attempted": asked(question, target), "reason": REASON[outcome], **target_field}
    if outcome == "narrowed":
        assert seen.private is not None and seen.chat.strip() and seen.chat != seen.private
        if question == "status":
            assert ORDER[target] in seen.private and seen.charts == ("chat", "private")
    elif outcome == "private":
        assert seen.private is not None and seen.charts in ((), ("private",))
        assert not [s for f in (A, B) for s in world.secrets(f) if s in seen.chat], seen.chat
    else:  # refused: word for word what an order that does not exist is answered
        nowhere = await ask(world, role, asked(question, target).replace(ORDER[target], NOWHERE), surface, chat)
        assert seen.everything.replace(ORDER[target], NOWHERE) == nowhere.everything
        assert seen.charts == ()
        assert not [s for s in world.secrets(target) if s != ORDER[target] and s in seen.everything]


# --- The terminal ---------------------------------------------------------------------------------

async def followup(world: World, *args: str):
    """`followup ARGS --config …` in a worker thread: the CLI runs its own event loop."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, main, [*args, "--config", str(world.config_file)],
                                   obj={"clock": world.clock})


@pytest.mark.parametrize(("question", "role", "target"),
                         [cell[:3] for cell in READ_CELLS if cell[3] == "CLI"],
                         ids=[cell_id(*cell[:3]) for cell in READ_CELLS if cell[3] == "CLI"])
async def test_a_question_in_the_terminal(world: World, question: str, role: str, target: str | None) -> None:
    outcome = read_outcome(question, role, target, "private chat")
    name = PEOPLE[role][0]
    audited = world.audited()
    args = [question, *([ORDER[target]] if target else []), "--as", name]
    result = await followup(world, *args)
    refusals = world.refusals(since=audited)
    if outcome == "answer":
        assert result.exit_code == 0 and refusals == [], (result.output, refusals)
        assert target is None or ORDER[target] in result.output
        return
    assert outcome == "refused" and result.exit_code == 1
    nowhere = await followup(world, question, NOWHERE, "--as", name)
    assert result.output.replace(ORDER[target], NOWHERE) == nowhere.output
    (refused,) = refusals
    person = world.people[role]
    assert (refused["actor"], refused["actor_user_id"], refused["platform"]) == (person.key, None, "console")
    assert refused["after"] == {"attempted": "status", "reason": "not_your_factory",
                                "target": f"order:{ORDER[target]}"}


async def test_a_factory_view_of_another_factorys_orders_lists_nothing_and_is_audited(world: World) -> None:
    audited = world.audited()
    theirs = await followup(world, "orders", "--factory", A, "--as", PEOPLE["factory B"][0], "--json")
    nobody = await followup(world, "orders", "--factory", "NOWHERE-CO", "--as", PEOPLE["factory B"][0], "--json")
    assert (theirs.exit_code, theirs.output) == (0, "[]\n") and theirs.output == nobody.output
    assert [r["after"]["target"] for r in world.refusals(since=audited)] == [f"factory:{A}", "factory:NOWHERE-CO"]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "stranger"])
async def test_importing_orders_in_the_terminal(world: World, role: str, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("reference,factory,product_name,quantity,final_inspection,ex_factory\n"
                      f"PO-2026-0300,{A},Glass jar,500,2026-12-20,2026-12-28\n", encoding="utf-8")
    before, audited = world.stored(), world.audited()
    result = await followup(world, "orders", "import", str(orders), "--dry-run", "--as", PEOPLE[role][0])
    refusals = world.refusals(since=audited)
    if command_outcome("ImportOrders", role, A) == "allowed":
        assert result.exit_code == 0 and refusals == [], result.output
        return
    assert result.exit_code == 1 and world.stored() == before
    assert result.output.strip() in ("Sorry, your role (inspector) does not allow that.",
                                     "抱歉，您的角色（工厂联系人）无权执行此操作。")
    assert [(r["actor"], r["after"]["attempted"], r["after"]["reason"]) for r in refusals] == [
        (world.people[role].key, "ImportOrders", "not_allowed")]


# --- Through the real python-telegram-bot and slack-bolt code --------------------------------------

# A representative subset of the cells above, played on the fake Telegram and Slack servers,
# with the stranger's row; the outcomes are the table's. Taps of factory A's notice button in
# factory A's chat (the allowed one last: it changes the notice), then questions.
TAPS = (("factory B", A), ("buyer", A), ("stranger", A), ("factory A", A))
ASKED = (("status", "factory B", A, "private chat"), ("status", "factory B", B, "factory A chat"),
         ("orders", "buyer", None, "factory A chat"), ("status", "buyer", A, "buyer chat"))
STRANGER_TEXT = "Sorry, this bot works only for the people of its buyer and their factories."


def tap_outcome(role: str, factory: str) -> str:
    return STRANGER if role == "stranger" else command_outcome("AcknowledgeNotice", role, factory)


@dataclass
class Played:
    """What one cell did on a platform: the answers its asker and the chat got, and the audit."""

    said: str
    refusals: list[dict]
    changed: list[str]  # the tables whose rows the cell changed

    @property
    def unchanged(self) -> bool:
        return not self.changed


async def play(reader: Reader, action) -> Played:
    before, audited = reader.stored(), reader.audited()
    said = await action()
    after = reader.stored()
    return Played(said, reader.refusals(since=audited), sorted(t for t in after if after[t] != before.get(t)))


def check_played(cell: tuple, outcome: str, played: Played, secrets_of_others: list[str], reason: str | None,
                 typed: str | None = None) -> None:
    """A refused cell: refused, audited once for `reason`, nothing else changed, nothing of
    another factory said but what the asker `typed`; an allowed one: no refusal audited."""
    if outcome in ("answer", "allowed"):
        assert played.refusals == [], (cell, played)
        return
    assert [r["after"]["reason"] for r in played.refusals] == [reason], (cell, played)
    assert played.unchanged and played.said.strip(), (cell, played.changed)
    assert not [s for s in secrets_of_others if s in played.said and s != typed], (cell, played.said)


@pytest.fixture
def platform_people(monkeypatch: pytest.MonkeyPatch, direct_to_fakes) -> None:
    """Factory B's contact and the admin have accounts on the fake servers too."""
    from tests import slack_world, telegram_world

    for role in ("factory B", "admin"):
        name, telegram, slack = PEOPLE[role]
        monkeypatch.setitem(telegram_world.IDS, name, telegram)
        monkeypatch.setitem(slack_world.IDS, name, slack)


async def test_the_matrix_on_telegram(tmp_path: Path, clock: FakeClock, platform_people) -> None:
    from tests.telegram_world import running

    _, config = configured(tmp_path)
    config = config.model_copy(update={"slack": Slack(), "factories": tuple(
        f.model_copy(update={"slack_channel": None}) for f in config.factories)})  # nothing owed to Slack
    async with running(config, clock) as tg:
        ids = await seed(tg.app, tmp_path)
        await tg.settled()
        reader = Reader(tg.app.store.path)
        users = {"buyer": tg.buyer, "factory A": tg.factory, "factory B": tg.fake.user(444, "Zhao", "zh-hans"),
                 "stranger": tg.fake.user(999, "Mallory", "en")}
        notice = tg.last_with_button(A_CHAT, "确认收到")
        for role, factory in TAPS:
            played = await play(reader, lambda: tg.tap(users[role], A_CHAT, notice, "确认收到"))
            reason = "stranger" if role == "stranger" else "not_allowed" if role == "buyer" else "not_your_factory"
            never = unseen(role, ids["number"])
            check_played((role, "tap", factory), tap_outcome(role, factory), played, never, reason)

        for question, role, target, chat in ASKED:
            address = {"private chat": users[role].id, "factory A chat": A_CHAT, "buyer chat": BUYER_CHAT}[chat]
            seen = len(tg.chat(address))

            async def asking() -> str:
                """What the chat asked in reads (the asker's private answer: the cells played above)."""
                await tg.say(users[role], address, asked(question, target))
                return "\n".join(m.plain for m in tg.chat(address)[seen:])

            played = await play(reader, asking)
            outcome = read_outcome(question, role, target, chat)
            never = unseen(role, ids["number"]) + (secrets(B, ids["number"][B]) if chat == "factory A chat" else [])
            check_played((question, role, target, chat), outcome, played, never, REASON.get(outcome), ORDER.get(target))
            if outcome == "refused":
                assert played.said == (await tg.say(users[role], address, asked(question, target).replace(
                    ORDER[target], NOWHERE))).plain.replace(NOWHERE, ORDER[target])

        # A stranger's question is refused and audited wherever it is asked; a group's talk is not a question.
        mallory = users["stranger"]
        played = await play(reader, lambda: tg.say(mallory, mallory.id, f"/status {ORDER[A]}"))
        assert played.said.plain.startswith(STRANGER_TEXT) and played.unchanged
        assert [r["after"]["reason"] for r in played.refusals] == ["stranger"]

        async def in_group(text: str) -> str:
            await tg.fake.send_text(A_CHAT, mallory, text)
            await tg.settled()
            return ""

        assert [r["after"]["attempted"] for r in (await play(reader, lambda: in_group(f"{ORDER[A]} 进度"))).refusals] \
            == ["question"]
        assert (await play(reader, lambda: in_group("早上好"))).refusals == []

        # A visit report from someone who may not post visits is refused before it is read.
        for role in ("buyer", "stranger"):
            user = users[role]

            async def uploading() -> str:
                before = len(tg.chat(user.id))
                await tg.fake.send_document(user.id, user, "visit.zip", b"PK\x05\x06" + bytes(18))
                await tg.fake.wait_for(lambda: len(tg.chat(user.id)) > before)
                await tg.settled()
                return tg.chat(user.id)[-1].plain

            outcome = STRANGER if role == "stranger" else command_outcome("PostVisit", role, A)
            reason = "stranger" if role == "stranger" else "not_allowed"
            check_played((role, "upload"), outcome, await play(reader, uploading), [], reason)
        reader.db.close()


async def test_the_matrix_on_slack(tmp_path: Path, clock: FakeClock, platform_people) -> None:
    from tests.slack_world import running_slack
    from tests.test_slack_more import command as followup_command, ephemerals_to

    _, config = configured(tmp_path)
    config = config.model_copy(update={"telegram": Telegram(), "factories": tuple(
        f.model_copy(update={"telegram_chat_id": None}) for f in config.factories)})  # nothing owed to Telegram
    async with running_slack(config, clock) as sl:
        users = {role: PEOPLE[role][2] for role in ("buyer", "factory A", "factory B")} | {"stranger": "U0MALLORY"}
        for role, (name, _, slack) in PEOPLE.items():
            if role in ("factory B", "admin"):
                sl.fake.add_user(slack, name)
        sl.fake.add_user("U0MALLORY", "mallory")
        sl.fake.add_channel(B_CHANNEL, "shenzhen-other-connect")
        ids = await seed(sl.app, tmp_path)
        await sl.settled()
        reader = Reader(sl.app.store.path)
        notice = next(m for m in reversed(sl.channel(A_CHANNEL)) if any("确认收到" in b for b in m.buttons))
        for role, factory in TAPS:
            if role == "stranger":
                continue  # in a factory's channel a stranger's click asks the buyer to confirm them (test_people_slack)
            user = users[role]

            async def clicking() -> str:
                await sl.click(user, A_CHANNEL, notice, "确认收到")
                return "\n".join(ephemerals_to(sl, A_CHANNEL, user))

            played = await play(reader, clicking)
            reason = "not_allowed" if role == "buyer" else "not_your_factory"
            never = unseen(role, ids["number"])
            check_played((role, "click", factory), tap_outcome(role, factory), played, never, reason)

        for question, role, target, chat in ASKED:
            user = users[role]
            dm = sl.fake.dm_channel(user)
            channel = {"private chat": dm, "factory A chat": A_CHANNEL, "buyer chat": BUYER_CHANNEL}[chat]
            seen = len(sl.channel(channel))
            text = asked(question, target).removeprefix("/")

            async def asking() -> str:
                event = (sl.fake.message_event(user, dm, text, channel_type="im") if chat == "private chat"
                         else sl.fake.app_mention_event(user, channel, text))
                await sl.event(event)
                return "\n".join(m.text for m in sl.channel(channel)[seen:] if m.from_bot)

            played = await play(reader, asking)
            outcome = read_outcome(question, role, target, chat)
            never = unseen(role, ids["number"]) + (secrets(B, ids["number"][B]) if chat == "factory A chat" else [])
            check_played((question, role, target, chat), outcome, played, never, REASON.get(outcome), ORDER.get(target))

        mallory = users["stranger"]
        for ask_it in (lambda: sl.event(sl.fake.message_event(mallory, sl.fake.dm_channel(mallory),
                                                               f"status {ORDER[A]}", channel_type="im")),
                       lambda: followup_command(sl, mallory, BUYER_CHANNEL, f"status {ORDER[A]}")):
            played = await play(reader, ask_it)
            assert played.unchanged and [r["after"]["reason"] for r in played.refusals] == ["stranger"]
        assert [m.text for m in sl.channel(sl.fake.dm_channel(mallory)) if m.from_bot] == [STRANGER_TEXT]

        # A visit report from the buyer, who may not post visits, is refused before it is read.
        buyer_dm = sl.fake.dm_channel(users["buyer"])
        report = sl.fake.add_uploaded_file("visit.zip", b"PK\x05\x06" + bytes(18))
        played = await play(reader, lambda: uploaded(sl, users["buyer"], buyer_dm, report))
        check_played(("buyer", "upload"), command_outcome("PostVisit", "buyer", A), played, [], "not_allowed")
        reader.db.close()


async def uploaded(sl, user: str, dm: str, file: dict) -> str:
    """`user` shares `file` in their DM with the bot; what the bot answered there."""
    before = len(sl.channel(dm))
    await sl.event(sl.fake.message_event(user, dm, "", channel_type="im", files=[file]))
    return "\n".join(m.text for m in sl.channel(dm)[before:] if m.from_bot)


# --- docs/rights.md, from the same table ----------------------------------------------------------

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "rights.md"
SHOWN = {
    "answer": "answered",
    "narrowed": "the chat's view*",
    "private": "note; answer privately†",
    "refused": "“no such order”‡",
}
INTRO = """\
# Who may do what, where

<!-- Generated from the table in tests/test_rights_matrix.py, which plays every cell below;
     a test fails when the two differ. Regenerate with:
     .venv/bin/python -m tests.test_rights_matrix > docs/rights.md -->

Rights are decided once, before anything runs, from the store, for the person who acted —
never from what a button or message says (a modified client can send anything). Roles: the
buyer, the inspector, a factory's contact (factory A's, factory B's), an admin, and a
stranger: anyone the bot does not act for (never configured, invited or confirmed, or revoked).

Every cell below is played by tests/test_rights_matrix.py on Telegram, Slack and the command
line; strangers and a representative subset also through the real python-telegram-bot and
slack-bolt code against the project's fake servers.
"""
COMMANDS_INTRO = """\
## Commands

✓ allowed; **own** only on its own factory's notices and instructions; ✗ refused. A command's
answer goes to whoever acted alone (a tap's alert, an ephemeral reply or a DM, the terminal),
so the chat a button is tapped in changes nothing. A stranger may only join by an invitation
or, in a factory's channel, ask the buyer to confirm them; everything else is refused.
"""
QUESTIONS_INTRO = """\
## Questions

What the chat shows when someone asks there: `/status PO-…` (and its progress chart, which
goes only where its answer goes), `/orders`, `/factories`, `/help` — on Telegram and Slack
(a mention in a channel; a DM or `/followup`, which only the asker sees, is a private chat);
in a terminal, `followup status|orders|factories --as NAME` answers as the private chat.
Inspectors and admins are answered as the buyer. The operator's own commands (`followup
notices`, `notice render`, `chart`, `outbox`, `people`) take no `--as`: whoever can run them
holds the database, and they show all of it.
"""
FOOTNOTES = """\
\\* The chat gets what every member may see (a factory's chat: that factory's view, in
Chinese, without what only the buyer side may know); the asker gets the full answer privately,
with a one-line note in the chat.

† The chat's members may see none of it: the chat gets only the note, worded the same whatever
the answer was.

‡ Another factory's order is answered word for word as an order that does not exist.
"""
AUDIT = """\
## Refusals in the audit trail

Every refusal is written to the audit trail, in a transaction of its own, under the account
that tried (entity `person`, action `refused`; actor key, platform and platform user id), with
what was tried (`attempted`: a command's name, the question as asked), on what (`target`:
`notice:7`, `instruction:12`, `order:PO-…`, `factory:…`) and why (`reason`):

| reason | when |
|---|---|
| `not_allowed` | the role may not give the command |
| `not_your_factory` | a factory contact's command or question aimed at another factory (or at nothing) |
| `narrowed_in_chat` | the chat was shown less than the asker may see; the rest went privately |
| `withheld_in_chat` | the chat was shown only the note; the answer went privately |
| `stranger`, `revoked` | someone the bot does not act for tapped, asked, uploaded, opened the app or gave a command |

A refused command changes nothing else; a redelivered update is refused again from memory and
audited once. Refusals for the state of things ("already approved", "the notice was
withdrawn") are answers, not rights, and are not audited; the people commands record their
own (an unknown or ambiguous name, a used or expired invitation: see README.md, "People,
bindings and revocation").
"""


def rights_document() -> str:
    """docs/rights.md, from COMMANDS and READS."""
    who = [r for r in ROLES]
    lines = [INTRO, COMMANDS_INTRO, "| what people do | command | " + " | ".join(who) + " | where |",
             "|---|---|" + "---|" * len(who) + "---|"]
    for name, (label, may, surfaces) in COMMANDS.items():
        cells = ["**own**" if OWN in may and role.startswith("factory") else "✓" if role in may else "✗"
                 for role in who]
        lines.append(f"| {label} | `{name}` | " + " | ".join(cells) + f" | {', '.join(surfaces)} |")
    lines += ["", QUESTIONS_INTRO, "| question | asked by | about | " + " | ".join(CHATS) + " |",
              "|---|---|---|" + "---|" * len(CHATS)]
    for (question, asker, target), shown in READS.items():
        if asker in ("inspector", "admin"):
            continue
        about = "—" if target is None else f"{OWNER[target][-1]}'s order"
        lines.append(f"| `{QUESTIONS[question].format('PO-…')}` | {asker} | {about} | "
                     + " | ".join(SHOWN[s] for s in shown) + " |")
    lines.append(f"| anything | stranger | — | " + " | ".join(["refused"] * len(CHATS)) + " |")
    lines += ["", FOOTNOTES, AUDIT]
    return "\n".join(lines)


async def test_the_documented_matrix_is_the_table() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == rights_document(), (
        "docs/rights.md differs from the table: .venv/bin/python -m tests.test_rights_matrix > docs/rights.md")


if __name__ == "__main__":
    print(rights_document(), end="")
