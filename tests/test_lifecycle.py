"""The instruction lifecycle, as the people on a visit live it, through the real bus and a
real SQLite file.

Why: every promise of the product about instructions is a promise about this lifecycle —
only buyers decide, a factory answers only its own notices, an illegal step is refused
with a clear reason and changes nothing, a repeated tap or a redelivered update has one
effect, and every step leaves an audit event. The expected outcomes below are written out
by hand from the product brief, so a change to `handlers.lifecycle.TRANSITIONS` that
breaks a rule fails here instead of silently becoming the new rule.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import product

import pytest

from bot.app import App, build_app
from bot.config import Config, load_config
from handlers.commands import (
    AcknowledgeNotice,
    Actor,
    ApproveInstruction,
    CancelNotice,
    DisputeNotice,
    EditInstruction,
    PostVisit,
    RejectInstruction,
    ReopenInstruction,
    ReportDone,
    SendNotice,
    VerifyInstruction,
)
from handlers.lifecycle import Action, IllegalTransition, next_state
from handlers.model import (
    Factory,
    Instruction,
    InstructionState,
    Notice,
    NoticeState,
    Person,
    Platform,
    Role,
)
from handlers.results import Reply
from handlers.views import load_view
from messages.i18n import CHINESE, Language
from messages.replies import reply_text
from storage.connection import raw
from storage.sqlite import SqliteStore, path_from_url
from tests.conftest import EXAMPLE_CONFIG, example_report
from tests.fakes import FakeClock, RecordingConsole, Transcript

S = InstructionState
A = Action

# ---------------------------------------------------------------------------------------
# The lifecycle on its own: every action from every state.
# ---------------------------------------------------------------------------------------

# proposed → approved | edited | rejected → sent → acknowledged | disputed → done (with
# photo) → verified | reopened → done … A buyer may still reword or reject an approved (or
# already reworded) instruction until it is sent, and decides a disputed one again (the notice
# then goes out as its next version); nothing else leaves a state.
LEGAL: dict[tuple[Action, InstructionState], InstructionState] = {
    (A.APPROVE, S.PROPOSED): S.APPROVED,
    (A.APPROVE, S.DISPUTED): S.APPROVED,
    (A.EDIT, S.PROPOSED): S.EDITED,
    (A.EDIT, S.APPROVED): S.EDITED,
    (A.EDIT, S.EDITED): S.EDITED,
    (A.EDIT, S.DISPUTED): S.EDITED,
    (A.REJECT, S.PROPOSED): S.REJECTED,
    (A.REJECT, S.APPROVED): S.REJECTED,
    (A.REJECT, S.EDITED): S.REJECTED,
    (A.REJECT, S.DISPUTED): S.REJECTED,
    (A.SEND, S.APPROVED): S.SENT,
    (A.SEND, S.EDITED): S.SENT,
    (A.ACKNOWLEDGE, S.SENT): S.ACKNOWLEDGED,
    (A.DISPUTE, S.SENT): S.DISPUTED,
    (A.REPORT_DONE, S.ACKNOWLEDGED): S.DONE,
    (A.REPORT_DONE, S.REOPENED): S.DONE,
    (A.VERIFY, S.DONE): S.VERIFIED,
    (A.REOPEN, S.DONE): S.REOPENED,
    (A.CANCEL, S.SENT): S.CANCELLED,
}


@pytest.mark.parametrize(("action", "state"), list(product(Action, InstructionState)), ids=str)
def test_each_action_from_each_state_goes_where_the_product_says_or_is_illegal(
    action: Action, state: InstructionState
) -> None:
    if (action, state) in LEGAL:
        assert next_state(action, state) is LEGAL[(action, state)]
    else:
        with pytest.raises(IllegalTransition) as refused:
            next_state(action, state)
        assert (refused.value.action, refused.value.state) == (action, state)


# ---------------------------------------------------------------------------------------
# A posted visit on a real store, with everyone who might tap a button.
# ---------------------------------------------------------------------------------------

OTHER_FACTORY = Factory(id="SZ-BRIGHT", name="Shenzhen Bright Ceramics Co., Ltd.", name_zh="深圳明亮陶瓷有限公司")
EXTRA_PEOPLE = (
    Person(name="Ben Carter", role=Role.BUYER, timezone="Europe/London"),
    Person(name="Sam Okafor", role=Role.ADMIN),
    Person(name="Zhao Lei", role=Role.FACTORY, factory=OTHER_FACTORY.id, locale="zh_Hans_CN", timezone="Asia/Shanghai"),
)
TARGET = "findings.0"  # sort_100, with an inspector's Chinese note: the instruction we drive
NO_NOTICE = 9999  # a stale notice button: no such notice (yet)
PHOTO = "a" * 64  # sha256 of an evidence photo


@functools.cache
def the_example_visit() -> PostVisit:
    """Read once: checking the example's photos is the slow part, and the report never changes."""
    report, photos = example_report(load_config(EXAMPLE_CONFIG))
    return PostVisit(report, photos)


def another_visit() -> PostVisit:
    """A different report (another order), so it is not taken for a resend of the example."""
    example = the_example_visit()
    order = example.report.order.model_copy(update={"reference": "PO-2026-0150"})
    return PostVisit(example.report.model_copy(update={"order": order}), example.photos)


def two_factory_config(config: Config) -> Config:
    """The example config plus a second factory and its contact, an admin and a second buyer."""
    return config.model_copy(
        update={"factories": (*config.factories, OTHER_FACTORY), "people": (*config.people, *EXTRA_PEOPLE)}
    )


def _people(config: Config) -> dict[str, Person]:
    by_name = {p.name: p for p in config.people}
    return {
        "buyer": by_name["Anna Schmidt"],
        "second buyer": by_name["Ben Carter"],
        "inspector": by_name["Chen Jing"],
        "factory": by_name["Li Wei"],
        "admin": by_name["Sam Okafor"],
        "stranger": by_name["Zhao Lei"],  # a factory contact of the OTHER factory
    }


@dataclass
class Visit:
    """One posted visit, the people around it, and what a test needs to look at."""

    app: App
    clock: FakeClock
    people: dict[str, Person]
    visit_id: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # source → instruction id
    notice_id: int | None = None

    async def by(self, who: str, command, key: str | None = None, platform: Platform = Platform.CONSOLE) -> Reply:
        """`who` acts a minute after the previous action."""
        self.clock.advance(minutes=1)
        return await self.app.bus.handle(command, Actor(self.people[who], platform), key)

    async def instruction(self, source: str = TARGET) -> Instruction:
        async with self.app.store.unit_of_work() as uow:
            return await uow.instructions.get(self.ids[source])

    async def instructions(self) -> dict[str, Instruction]:
        async with self.app.store.unit_of_work() as uow:
            return {i.source: i for i in await uow.instructions.for_visit(self.visit_id)}

    async def notice(self) -> Notice:
        async with self.app.store.unit_of_work() as uow:
            return await uow.notices.get(self.notice_id)

    async def audit(self, entity: str = "instruction", entity_id: int | None = None):
        async with self.app.store.unit_of_work() as uow:
            return await uow.audit.for_entity(entity, entity_id or self.ids[TARGET])

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table: a refusal must leave all of them as they were, but for
        the audit of a refusal for who asked (tests/test_rights_matrix.py)."""
        path = path_from_url(self.app.config.storage.url)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            rows = {t: f"SELECT * FROM {t}" for t in tables}
            rows["audit_events"] = "SELECT * FROM audit_events WHERE action != 'refused'"
            return {t: sorted(map(tuple, db.execute(query))) for t, query in rows.items()}

    def outbox(self) -> list[tuple[str, str, str]]:
        """(destination, kind, payload) of every message owed, oldest first."""
        path = path_from_url(self.app.config.storage.url)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return list(db.execute("SELECT destination, kind, payload FROM outbox ORDER BY id"))


@pytest.fixture
async def visit(config: Config, clock: FakeClock) -> AsyncIterator[Visit]:
    """The example visit, posted by the inspector on a config with two factories."""
    cfg = two_factory_config(config)
    app = await build_app(cfg, clock, RecordingConsole(Transcript()))
    try:
        v = Visit(app, clock, _people(cfg))
        posted = await v.by("inspector", the_example_visit())
        assert posted.ok, posted
        v.visit_id = posted.params["visit_id"]
        v.ids = {source: i.id for source, i in (await v.instructions()).items()}
        yield v
    finally:
        await app.close()


# Who may give each command, and the command as a person would give it to the target.
COMMANDS = (
    "approve", "edit", "reject", "send", "acknowledge", "dispute", "report_done", "verify", "reopen", "cancel"
)
ROLE_FOR = {
    "approve": Role.BUYER, "edit": Role.BUYER, "reject": Role.BUYER, "send": Role.BUYER,
    "verify": Role.BUYER, "reopen": Role.BUYER, "cancel": Role.BUYER,
    "acknowledge": Role.FACTORY, "dispute": Role.FACTORY, "report_done": Role.FACTORY,
}
DOER = {Role.BUYER: "buyer", Role.FACTORY: "factory"}
EVERYONE = ("buyer", "inspector", "factory", "admin", "stranger")


def command(v: Visit, name: str, source: str = TARGET):
    target = v.ids[source]
    notice = v.notice_id or NO_NOTICE
    return {
        "approve": lambda: ApproveInstruction(target),
        "edit": lambda: EditInstruction(target, note="Sort every glazed unit; keep crawled units apart."),
        "reject": lambda: RejectInstruction(target, reason="Covered by the final inspection."),
        "send": lambda: SendNotice(v.visit_id),
        "acknowledge": lambda: AcknowledgeNotice(notice),
        "dispute": lambda: DisputeNotice(notice, reason="Crawling is within the approved sample."),
        "report_done": lambda: ReportDone(target, photos=(PHOTO,)),
        "verify": lambda: VerifyInstruction(target),
        "reopen": lambda: ReopenInstruction(target, reason="Photo shows crawled units still on the line."),
        "cancel": lambda: CancelNotice(notice),
    }[name]()


# How people bring the target into each state. Before the notice goes out, every other
# instruction is rejected, so the notice carries the target alone.
PATH = {
    S.PROPOSED: (),
    S.APPROVED: ("approve",),
    S.EDITED: ("edit",),
    S.REJECTED: ("reject",),
    S.SENT: ("approve", "send"),
    S.ACKNOWLEDGED: ("approve", "send", "acknowledge"),
    S.DISPUTED: ("approve", "send", "dispute"),
    S.DONE: ("approve", "send", "acknowledge", "report_done"),
    S.VERIFIED: ("approve", "send", "acknowledge", "report_done", "verify"),
    S.REOPENED: ("approve", "send", "acknowledge", "report_done", "reopen"),
    S.CANCELLED: ("approve", "send", "cancel"),
}


async def reject_all_but(v: Visit, *keep: str) -> None:
    for source, instruction_id in v.ids.items():
        if source not in keep:
            assert (await v.by("buyer", RejectInstruction(instruction_id, reason="Not this time."))).ok


async def drive(v: Visit, state: InstructionState) -> None:
    for name in PATH[state]:
        if name == "send":
            await reject_all_but(v, TARGET)
        reply = await v.by(DOER[ROLE_FOR[name]], command(v, name))
        assert reply.ok, reply
        if name == "send":
            v.notice_id = reply.params["notice_id"]
    assert (await v.instruction()).state is state


# ---------------------------------------------------------------------------------------
# Every command by every role, in every state of the target.
# ---------------------------------------------------------------------------------------


def go(state: InstructionState) -> tuple[str, object]:
    """The command takes effect: the target moves to `state`."""
    return ("go", state)


def same(code: str) -> tuple[str, object]:
    """An ok answer ("already …") with no effect at all."""
    return ("same", code)


def no(code: str) -> tuple[str, object]:
    """Refused with `code`, nothing changed."""
    return ("no", code)


IL = no("illegal_transition")
NYF = no("not_your_factory")  # the notice does not exist yet: nobody's notice
NOT_READY = no("notice_not_ready")  # the other six instructions are still proposed
SENT_BEFORE = same("notice_already_sent")
ANSWERED = same("notice_already_answered")
ANSWERED_OTHERWISE = no("notice_already_answered")
NO_SUCH = no("unknown_notice")  # the buyer's stale button: no notice yet
CLOSED = no("notice_not_awaiting")  # answered already: nothing left to withdraw
WITHDRAWN = no("notice_withdrawn")

# What the person allowed to give the command gets, by the target's state.
#                 approve          edit           reject          send         acknowledge          dispute              report_done   verify             reopen           cancel
OUTCOME = {
    S.PROPOSED:     (go(S.APPROVED), go(S.EDITED), go(S.REJECTED), NOT_READY,   NYF,                 NYF,                 IL,           IL,                IL,              NO_SUCH),
    S.APPROVED:     (same("already"), go(S.EDITED), go(S.REJECTED), NOT_READY,   NYF,                 NYF,                 IL,           IL,                IL,              NO_SUCH),
    S.EDITED:       (IL,             go(S.EDITED), go(S.REJECTED), NOT_READY,   NYF,                 NYF,                 IL,           IL,                IL,              NO_SUCH),
    S.REJECTED:     (IL,             IL,           same("already"), NOT_READY,  NYF,                 NYF,                 IL,           IL,                IL,              NO_SUCH),
    S.SENT:         (IL,             IL,           IL,             SENT_BEFORE, go(S.ACKNOWLEDGED),  go(S.DISPUTED),      IL,           IL,                IL,              go(S.CANCELLED)),
    S.ACKNOWLEDGED: (IL,             IL,           IL,             SENT_BEFORE, ANSWERED,            ANSWERED_OTHERWISE,  go(S.DONE),   IL,                IL,              CLOSED),
    S.DISPUTED:     (go(S.APPROVED), go(S.EDITED), go(S.REJECTED), NOT_READY,   ANSWERED_OTHERWISE,  ANSWERED,            IL,           IL,                IL,              CLOSED),
    S.DONE:         (IL,             IL,           IL,             SENT_BEFORE, ANSWERED,            ANSWERED_OTHERWISE,  same("already"), go(S.VERIFIED), go(S.REOPENED),  CLOSED),
    S.VERIFIED:     (IL,             IL,           IL,             SENT_BEFORE, ANSWERED,            ANSWERED_OTHERWISE,  IL,           same("already"),   IL,              CLOSED),
    S.REOPENED:     (IL,             IL,           IL,             SENT_BEFORE, ANSWERED,            ANSWERED_OTHERWISE,  go(S.DONE),   IL,                same("already"), CLOSED),
    S.CANCELLED:    (IL,             IL,           IL,             SENT_BEFORE, WITHDRAWN,           WITHDRAWN,           IL,           IL,                IL,              same("notice_already_cancelled")),
}  # fmt: skip


def expected(person: Person, name: str, state: InstructionState) -> tuple[str, object]:
    """Rights first (by role, then by factory), then the lifecycle."""
    if person.role is not ROLE_FOR[name]:
        return no("not_allowed")
    if person.role is Role.FACTORY and person.factory != "NB-EVERGREEN":
        return no("not_your_factory")
    return OUTCOME[state][COMMANDS.index(name)]


def test_the_outcome_table_covers_every_state_and_command() -> None:
    assert set(OUTCOME) == set(InstructionState)
    assert all(len(row) == len(COMMANDS) for row in OUTCOME.values())


@pytest.mark.parametrize("state", list(InstructionState), ids=str)
async def test_everyone_tries_everything_and_only_the_right_person_changes_anything(
    visit: Visit, state: InstructionState
) -> None:
    await drive(visit, state)
    wrong = []
    before = visit.snapshot()
    for name, who in product(COMMANDS, EVERYONE):
        kind, code = expected(visit.people[who], name, state)
        if kind == "go":
            continue  # takes effect: checked on a fresh visit below
        reply = await visit.by(who, command(visit, name))
        after = visit.snapshot()
        if (reply.ok, reply.code) != (kind == "same", code) or after != before:
            wrong.append((who, name, reply, "store changed" if after != before else ""))
        before = after
    assert wrong == []
    assert (await visit.instruction()).state is state


EFFECTS = [(state, name) for state, row in OUTCOME.items() for name, o in zip(COMMANDS, row) if o[0] == "go"]


@pytest.mark.parametrize(("state", "name"), EFFECTS, ids=[f"{n}-from-{s}" for s, n in EFFECTS])
async def test_the_right_person_moves_the_instruction_along(visit: Visit, state: InstructionState, name: str) -> None:
    await drive(visit, state)
    new_state = OUTCOME[state][COMMANDS.index(name)][1]

    reply = await visit.by(DOER[ROLE_FOR[name]], command(visit, name))

    assert reply.ok, reply
    assert (await visit.instruction()).state is new_state
    last = (await visit.audit())[-1]
    assert (last.before["state"], last.after["state"]) == (state.value, new_state.value)


@pytest.mark.parametrize("who", EVERYONE)
async def test_only_inspectors_and_admins_post_visits(visit: Visit, who: str) -> None:
    before = visit.snapshot()

    reply = await visit.by(who, another_visit())

    if who in ("inspector", "admin"):
        assert (reply.ok, reply.code) == (True, "visit_posted")
        assert reply.params["visit_id"] != visit.visit_id
    else:
        assert reply == Reply("not_allowed", {"role": visit.people[who].role.value, "action": "PostVisit"}, ok=False)
        assert visit.snapshot() == before


async def test_a_factory_contact_cannot_answer_another_factorys_notice(visit: Visit) -> None:
    await drive(visit, S.SENT)
    before = visit.snapshot()

    reply = await visit.by("stranger", AcknowledgeNotice(visit.notice_id))

    assert reply == Reply("not_your_factory", {}, ok=False)
    assert visit.snapshot() == before
    assert (await visit.notice()).state is NoticeState.SENT


@pytest.mark.parametrize(("state", "name"), [(S.DONE, "verify"), (S.DONE, "reopen"), (S.ACKNOWLEDGED, "report_done")])
async def test_a_tap_on_a_sent_instruction_never_reads_its_visit(visit: Visit, state: InstructionState, name: str) -> None:
    """Who may, and which factory hears of it, come from the instruction's factory alone: reading
    the visit parsed its whole report, 1.5 ms at each tap on a 100-finding visit (issue 17)."""
    await drive(visit, state)
    statements: list[str] = []
    raw(visit.app.store._writer._conn).set_trace_callback(statements.append)  # noqa: SLF001
    try:
        reply = await visit.by(DOER[ROLE_FOR[name]], command(visit, name))
    finally:
        raw(visit.app.store._writer._conn).set_trace_callback(None)  # noqa: SLF001
    assert reply.ok, reply
    assert statements and not [s for s in statements if "FROM visits" in s]


async def test_approving_a_rejected_instruction_is_refused_saying_who_rejected_it_and_when(visit: Visit) -> None:
    await visit.by("buyer", RejectInstruction(visit.ids[TARGET], reason="Covered by the final inspection."))
    before = visit.snapshot()

    reply = await visit.by("second buyer", ApproveInstruction(visit.ids[TARGET]))

    assert (reply.ok, reply.code) == (False, "illegal_transition")
    assert visit.snapshot() == before
    assert reply_text(reply, Language("en_GB", "Europe/Berlin")) == (
        "This instruction is rejected (Anna Schmidt, 24 Nov 2026, 12:02 CET); it cannot be changed that way now."
    )


@pytest.mark.parametrize(
    ("who", "name", "language"),
    [
        ("buyer", "verify", Language("en", "Europe/Berlin")),
        ("factory", "report_done", Language(CHINESE, "Asia/Shanghai")),
    ],
    ids=["buyer-en", "factory-zh"],
)
async def test_an_illegal_step_on_an_undecided_instruction_is_explained_without_placeholders(
    visit: Visit, who: str, name: str, language: Language
) -> None:
    reply = await visit.by(who, command(visit, name))

    assert (reply.ok, reply.code) == (False, "illegal_transition")
    assert "None" not in reply_text(reply, language)


# ---------------------------------------------------------------------------------------
# Double taps and redelivered updates.
# ---------------------------------------------------------------------------------------


async def test_a_second_tap_on_approve_says_who_approved_first_and_changes_nothing(visit: Visit) -> None:
    approve = ApproveInstruction(visit.ids[TARGET])
    first = await visit.by("buyer", approve, key="telegram:update:1")
    approved_at = visit.clock.now()
    before = visit.snapshot()

    second = await visit.by("second buyer", approve, key="telegram:update:2")
    third = await visit.by("buyer", approve)

    assert first == Reply("instruction_approved", {"instruction_id": visit.ids[TARGET]})
    already = Reply(
        "already",
        {"instruction_id": visit.ids[TARGET], "state": "approved", "by": "buyer:Anna Schmidt",
         "at": approved_at.isoformat()},
    )
    assert (second, third) == (already, already)
    assert [e.action for e in await visit.audit()] == ["propose", "approve"]
    after = visit.snapshot()
    assert after["outbox"] == before["outbox"]
    assert after["instructions"] == before["instructions"]


async def test_a_second_tap_on_reopen_says_who_reopened_first(visit: Visit) -> None:
    await drive(visit, S.REOPENED)  # the buyer's reopen is the last step
    reopened_at = visit.clock.now()
    before = visit.snapshot()

    again = await visit.by("second buyer", ReopenInstruction(visit.ids[TARGET], reason="Same photo, same problem."))

    assert visit.snapshot() == before
    assert again == Reply(
        "already",
        {"instruction_id": visit.ids[TARGET], "state": "reopened", "by": "buyer:Anna Schmidt",
         "at": reopened_at.isoformat()},
    )


async def test_the_same_update_handled_twice_has_one_effect_and_the_same_answer(visit: Visit) -> None:
    approve = ApproveInstruction(visit.ids[TARGET])
    first = await visit.by("buyer", approve, key="telegram:update:77")
    before = visit.snapshot()

    again = await visit.by("buyer", approve, key="telegram:update:77")

    assert again == first == Reply("instruction_approved", {"instruction_id": visit.ids[TARGET]})
    assert visit.snapshot() == before
    assert [e.action for e in await visit.audit()] == ["propose", "approve"]


async def test_an_update_redelivered_while_the_first_is_still_being_handled_has_one_effect(visit: Visit) -> None:
    approve, buyer = ApproveInstruction(visit.ids[TARGET]), Actor(visit.people["buyer"], Platform.TELEGRAM)

    first, again = await asyncio.gather(
        visit.app.bus.handle(approve, buyer, "telegram:update:88"),
        visit.app.bus.handle(approve, buyer, "telegram:update:88"),
    )

    assert first == again == Reply("instruction_approved", {"instruction_id": visit.ids[TARGET]})
    assert [e.action for e in await visit.audit()] == ["propose", "approve"]
    assert [kind for _, kind, _ in visit.outbox()].count("instruction_decided") == 1


async def test_a_redelivered_send_notice_answers_sent_again_and_sends_nothing_more(visit: Visit) -> None:
    await visit.by("buyer", ApproveInstruction(visit.ids[TARGET]))
    await reject_all_but(visit, TARGET)
    first = await visit.by("buyer", SendNotice(visit.visit_id), key="slack:event:Ev01")
    before = visit.snapshot()

    again = await visit.by("buyer", SendNotice(visit.visit_id), key="slack:event:Ev01")

    assert first.code == "notice_sent"
    assert again == first
    assert visit.snapshot() == before
    assert len(before["notices"]) == 1


async def test_a_refused_update_is_not_remembered_so_its_redelivery_is_judged_afresh(visit: Visit) -> None:
    send = SendNotice(visit.visit_id)
    await visit.by("buyer", ApproveInstruction(visit.ids[TARGET]))

    refused = await visit.by("buyer", send, key="telegram:update:5")
    assert (refused.ok, refused.code) == (False, "notice_not_ready")
    assert "telegram:update:5" not in handled_keys(visit)

    await reject_all_but(visit, TARGET)
    redelivered = await visit.by("buyer", send, key="telegram:update:5")

    assert (redelivered.ok, redelivered.code) == (True, "notice_sent")
    assert "telegram:update:5" in handled_keys(visit)
    assert await visit.by("buyer", send, key="telegram:update:5") == redelivered


def handled_keys(v: Visit) -> set[str]:
    return {row[0] for row in v.snapshot()["handled_updates"]}


# ---------------------------------------------------------------------------------------
# The notice: sent once everything is decided, then answered by the factory.
# ---------------------------------------------------------------------------------------


async def test_the_buyer_cannot_send_the_notice_while_instructions_await_a_decision(visit: Visit) -> None:
    await visit.by("buyer", ApproveInstruction(visit.ids["findings.0"]))
    await visit.by("buyer", RejectInstruction(visit.ids["findings.2"], reason="Within tolerance."))
    before = visit.snapshot()

    reply = await visit.by("buyer", SendNotice(visit.visit_id))

    assert reply == Reply("notice_not_ready", {"undecided": 5, "approved": 1}, ok=False)
    assert visit.snapshot() == before


async def test_the_buyer_cannot_send_a_notice_with_nothing_approved(visit: Visit) -> None:
    await reject_all_but(visit)
    before = visit.snapshot()

    reply = await visit.by("buyer", SendNotice(visit.visit_id))

    assert reply == Reply("nothing_approved", {}, ok=False)
    assert visit.snapshot() == before


async def decide_like_the_demo(v: Visit) -> tuple[list[str], list[str]]:
    """Approves or rewords four instructions, rejects the other three; returns both lists."""
    sent, rejected = ["findings.0", "findings.1", "materials.2", "packaging.checks.1"], []
    await v.by("buyer", ApproveInstruction(v.ids["findings.0"]))
    await v.by("buyer", EditInstruction(v.ids["findings.1"], note="Send a photo of the first corrected unit."))
    # The new note is in English only: each test sends the notice as the demo's buyer could, anyway.
    await v.by("buyer", ApproveInstruction(v.ids["materials.2"]))
    await v.by("buyer", ApproveInstruction(v.ids["packaging.checks.1"]))
    for source in ("findings.2", "packaging.checks.0", "packaging.checks.2"):
        await v.by("buyer", RejectInstruction(v.ids[source], reason="Not this time."))
        rejected.append(source)
    return sent, rejected


async def test_the_notice_carries_the_approved_instructions_only(visit: Visit) -> None:
    sent, rejected = await decide_like_the_demo(visit)

    reply = await visit.by("buyer", SendNotice(visit.visit_id, english_only_confirmed=True))

    assert reply.ok and reply.code == "notice_sent"
    assert (reply.params["number"], reply.params["count"]) == ("CN-2026-0001", 4)
    visit.notice_id = reply.params["notice_id"]
    notice = await visit.notice()
    assert notice.instruction_ids == tuple(visit.ids[s] for s in sent)
    assert (notice.factory_id, notice.state) == ("NB-EVERGREEN", NoticeState.SENT)
    states = await visit.instructions()
    assert {s: states[s].state for s in sent} == dict.fromkeys(sent, S.SENT)
    assert {s: states[s].notice_id for s in sent} == dict.fromkeys(sent, notice.id)
    assert {s: (states[s].state, states[s].notice_id) for s in rejected} == dict.fromkeys(rejected, (S.REJECTED, None))
    assert visit.outbox()[-2:] == [
        ("factory NB-EVERGREEN", "notice", f'{{"notice_id": {notice.id}, "version": 1}}'),
        ("buyer", "notice_sent", f'{{"notice_id": {notice.id}}}'),
    ]


async def test_sending_the_notice_a_second_time_says_it_was_already_sent(visit: Visit) -> None:
    await decide_like_the_demo(visit)
    first = await visit.by("buyer", SendNotice(visit.visit_id, english_only_confirmed=True))
    sent_at = visit.clock.now()
    before = visit.snapshot()

    again = await visit.by("buyer", SendNotice(visit.visit_id))

    assert again == Reply(
        "notice_already_sent",
        {"notice_id": first.params["notice_id"], "number": "CN-2026-0001", "state": "sent",
         "by": "buyer:Anna Schmidt", "at": sent_at.isoformat()},
    )
    assert visit.snapshot() == before


async def send_demo_notice(v: Visit) -> list[str]:
    sent, _ = await decide_like_the_demo(v)
    v.notice_id = (await v.by("buyer", SendNotice(v.visit_id, english_only_confirmed=True))).params["notice_id"]
    return sent


async def test_the_factory_acknowledges_the_notice_and_with_it_every_instruction_on_it(visit: Visit) -> None:
    sent = await send_demo_notice(visit)

    reply = await visit.by("factory", AcknowledgeNotice(visit.notice_id), platform=Platform.TELEGRAM)

    assert reply == Reply("notice_acknowledged", {"notice_id": visit.notice_id, "number": "CN-2026-0001"})
    notice = await visit.notice()
    assert notice.state is NoticeState.ACKNOWLEDGED
    assert (notice.answered.by, notice.answered.at, notice.answered.platform) == (
        "factory/NB-EVERGREEN:Li Wei", visit.clock.now(), Platform.TELEGRAM,
    )
    states = await visit.instructions()
    assert {s: states[s].state for s in sent} == dict.fromkeys(sent, S.ACKNOWLEDGED)
    assert states["findings.2"].state is S.REJECTED
    assert visit.outbox()[-2:] == [
        ("buyer", "notice_answered", f'{{"notice_id": {visit.notice_id}, "version": 1}}'),
        ("factory NB-EVERGREEN", "notice_closed", f'{{"notice_id": {visit.notice_id}, "version": 1}}'),
    ]


@pytest.mark.parametrize("reason", ["", "   \n "])
async def test_a_dispute_needs_a_reason(visit: Visit, reason: str) -> None:
    await send_demo_notice(visit)
    before = visit.snapshot()

    reply = await visit.by("factory", DisputeNotice(visit.notice_id, reason=reason))

    assert reply == Reply("text_required", {"field": "reason"}, ok=False)
    assert visit.snapshot() == before


async def test_the_factory_disputes_the_notice_with_its_reason(visit: Visit) -> None:
    sent = await send_demo_notice(visit)

    reply = await visit.by("factory", DisputeNotice(visit.notice_id, reason="  釉色在确认样范围内。 "))

    assert reply == Reply("notice_disputed", {"notice_id": visit.notice_id, "number": "CN-2026-0001"})
    notice = await visit.notice()
    assert (notice.state, notice.dispute_reason) == (NoticeState.DISPUTED, "釉色在确认样范围内。")
    states = await visit.instructions()
    assert {s: states[s].state for s in sent} == dict.fromkeys(sent, S.DISPUTED)


async def test_a_disputed_notice_cannot_then_be_acknowledged(visit: Visit) -> None:
    await send_demo_notice(visit)
    await visit.by("factory", DisputeNotice(visit.notice_id, reason="Colour is within tolerance."))
    disputed_at = visit.clock.now()
    before = visit.snapshot()

    reply = await visit.by("factory", AcknowledgeNotice(visit.notice_id))

    assert reply == Reply(
        "notice_already_answered",
        {"notice_id": visit.notice_id, "number": "CN-2026-0001", "state": "disputed",
         "by": "factory/NB-EVERGREEN:Li Wei", "at": disputed_at.isoformat()},
        ok=False,
    )
    assert visit.snapshot() == before


async def test_acknowledging_twice_says_it_was_already_acknowledged(visit: Visit) -> None:
    await send_demo_notice(visit)
    await visit.by("factory", AcknowledgeNotice(visit.notice_id))
    acknowledged_at = visit.clock.now()
    before = visit.snapshot()

    again = await visit.by("factory", AcknowledgeNotice(visit.notice_id))

    assert again == Reply(
        "notice_already_answered",
        {"notice_id": visit.notice_id, "number": "CN-2026-0001", "state": "acknowledged",
         "by": "factory/NB-EVERGREEN:Li Wei", "at": acknowledged_at.isoformat()},
    )
    assert visit.snapshot() == before


# ---------------------------------------------------------------------------------------
# Done, verified, reopened.
# ---------------------------------------------------------------------------------------


async def test_reporting_done_needs_a_photo(visit: Visit) -> None:
    await drive(visit, S.ACKNOWLEDGED)
    before = visit.snapshot()

    reply = await visit.by("factory", ReportDone(visit.ids[TARGET], photos=()))

    assert reply == Reply("evidence_required", {}, ok=False)
    assert visit.snapshot() == before


async def test_the_factory_reports_done_with_photos_and_the_buyer_verifies(visit: Visit) -> None:
    await drive(visit, S.ACKNOWLEDGED)

    done = await visit.by("factory", ReportDone(visit.ids[TARGET], photos=(PHOTO, "b" * 64)))

    assert done == Reply("done_reported", {"instruction_id": visit.ids[TARGET]})
    instruction = await visit.instruction()
    assert (instruction.state, instruction.evidence) == (S.DONE, (PHOTO, "b" * 64))
    assert visit.outbox()[-1] == (
        "buyer", "done_reported",
        f'{{"instruction_id": {visit.ids[TARGET]}, "photos": ["{PHOTO}", "{"b" * 64}"], "round": 1}}')

    verified = await visit.by("buyer", VerifyInstruction(visit.ids[TARGET]))

    assert verified == Reply("instruction_verified", {"instruction_id": visit.ids[TARGET]})
    assert (await visit.instruction()).state is S.VERIFIED


@pytest.mark.parametrize("reason", ["", "  "])
async def test_reopening_needs_a_reason(visit: Visit, reason: str) -> None:
    await drive(visit, S.DONE)
    before = visit.snapshot()

    reply = await visit.by("buyer", ReopenInstruction(visit.ids[TARGET], reason=reason))

    assert reply == Reply("text_required", {"field": "reason"}, ok=False)
    assert visit.snapshot() == before


async def test_the_buyer_reopens_with_a_reason_the_factory_is_told_and_reports_done_again(visit: Visit) -> None:
    await drive(visit, S.DONE)

    reopened = await visit.by("buyer", ReopenInstruction(visit.ids[TARGET], reason="Crawled units still on the line."))

    assert reopened == Reply("instruction_reopened", {"instruction_id": visit.ids[TARGET]})
    instruction = await visit.instruction()
    assert (instruction.state, instruction.reason) == (S.REOPENED, "Crawled units still on the line.")
    assert visit.outbox()[-1] == (
        "factory NB-EVERGREEN", "instruction_reopened", f'{{"instruction_id": {visit.ids[TARGET]}}}'
    )

    again = await visit.by("factory", ReportDone(visit.ids[TARGET], photos=("c" * 64,)))

    assert again.ok
    instruction = await visit.instruction()
    assert (instruction.state, instruction.evidence) == (S.DONE, ("c" * 64,))


async def test_each_done_report_keeps_its_own_photos_with_who_when_and_where(visit: Visit) -> None:
    """A reopen and a new done report do not overwrite the first one's photos: each round stays."""
    await drive(visit, S.ACKNOWLEDGED)
    target = visit.ids[TARGET]
    taken = datetime(2026, 11, 25, 9, 30)
    await visit.by("factory", ReportDone(target, photos=(PHOTO,), captured={PHOTO: taken}), platform=Platform.TELEGRAM)
    first = visit.clock.now()
    await visit.by("factory", ReportDone(target, photos=("b" * 64, PHOTO)), platform=Platform.TELEGRAM)  # one more
    await visit.by("buyer", ReopenInstruction(target, reason="Still crawling."))
    await visit.by("factory", ReportDone(target, photos=("c" * 64,)), platform=Platform.SLACK)
    second = visit.clock.now()

    async with visit.app.store.unit_of_work() as uow:
        rounds = await uow.evidence.rounds(target)
    factory = "factory/NB-EVERGREEN:Li Wei"
    assert [(r.number, r.hashes, r.reported.by, r.reported.at, r.reported.platform) for r in rounds] == [
        (1, (PHOTO, "b" * 64), factory, first, Platform.TELEGRAM),
        (2, ("c" * 64,), factory, second, Platform.SLACK),
    ]
    assert rounds[0].photos[0].captured_at == taken and rounds[0].photos[1].captured_at is None
    assert (await visit.instruction()).evidence == ("c" * 64,)
    assert visit.outbox()[-1][1:] == ("done_reported", f'{{"instruction_id": {target}, "photos": ["{"c" * 64}"], "round": 2}}')


async def test_a_done_report_shows_the_photos_it_came_with_and_a_later_one_shows_its_own(visit: Visit) -> None:
    """The rest of an album reaches the bot before the outbox delivers the report: the report
    still shows only its own photos, the later one comes with its own message, none twice."""
    await drive(visit, S.ACKNOWLEDGED)
    target = visit.ids[TARGET]
    await visit.by("factory", ReportDone(target, photos=(PHOTO,)), platform=Platform.TELEGRAM)
    await visit.by("factory", ReportDone(target, photos=("b" * 64,)), platform=Platform.TELEGRAM)

    owed = [(kind, json.loads(payload)) for _, kind, payload in visit.outbox()[-2:]]
    async with visit.app.store.unit_of_work() as uow:
        shown = [[sha for _, sha in (await load_view(uow, visit.app.settings, kind, payload)).shown_photos]
                 for kind, payload in owed]
    assert [kind for kind, _ in owed] == ["done_reported", "more_evidence"]
    assert PHOTO in shown[0] and "b" * 64 not in shown[0]
    assert shown[1] == ["b" * 64]


async def test_the_audit_snapshots_carry_the_evidence_and_the_chinese_note(visit: Visit) -> None:
    await drive(visit, S.DONE)

    events = {e.action: e for e in await visit.audit()}

    assert events["report_done"].before["evidence"] == [] and events["report_done"].after["evidence"] == [PHOTO]
    instruction = await visit.instruction()
    assert instruction.note_zh and events["approve"].after["note_zh"] == instruction.note_zh


async def test_evidence_reported_before_its_history_was_kept_becomes_the_first_round(visit: Visit) -> None:
    """Migration 0015 on a database whose instructions already carry evidence."""
    await drive(visit, S.ACKNOWLEDGED)
    await visit.by("factory", ReportDone(visit.ids[TARGET], photos=(PHOTO, "b" * 64)), platform=Platform.TELEGRAM)
    reported = visit.clock.now()
    await visit.by("buyer", VerifyInstruction(visit.ids[TARGET]))
    path = path_from_url(visit.app.config.storage.url)
    with sqlite3.connect(path) as db:  # as it was before 0015
        db.executescript("DROP TABLE evidence_photos; DROP INDEX inbox_request_key;"
                         " DELETE FROM schema_migrations WHERE version = 15;")

    store = await SqliteStore.open(path)
    try:
        async with store.unit_of_work() as uow:
            (first,) = await uow.evidence.rounds(visit.ids[TARGET])
    finally:
        await store.close()

    assert (first.number, first.hashes) == (1, (PHOTO, "b" * 64))
    assert (first.reported.by, first.reported.at, first.reported.platform) == ("factory/NB-EVERGREEN:Li Wei", reported, Platform.TELEGRAM)


# ---------------------------------------------------------------------------------------
# The audit trail.
# ---------------------------------------------------------------------------------------


async def test_every_step_of_an_instruction_is_in_the_audit_trail_with_who_when_and_where(visit: Visit) -> None:
    target = visit.ids[TARGET]
    posted_at = visit.clock.now()

    async def step(who: str, command, platform: Platform):
        reply = await visit.by(who, command, platform=platform)
        assert reply.ok, reply
        return visit.clock.now()

    approved = await step("buyer", ApproveInstruction(target), Platform.TELEGRAM)
    await reject_all_but(visit, TARGET)
    sent = await step("buyer", SendNotice(visit.visit_id), Platform.SLACK)
    visit.notice_id = (await visit.instruction()).notice_id
    acknowledged = await step("factory", AcknowledgeNotice(visit.notice_id), Platform.TELEGRAM)
    done = await step("factory", ReportDone(target, photos=(PHOTO,)), Platform.TELEGRAM)
    reopened = await step("buyer", ReopenInstruction(target, reason="Still crawling."), Platform.CONSOLE)
    done_again = await step("factory", ReportDone(target, photos=(PHOTO,)), Platform.SLACK)
    verified = await step("buyer", VerifyInstruction(target), Platform.TELEGRAM)

    events = [
        (e.action, e.actor, e.platform, e.at, e.before and e.before["state"], e.after["state"])
        for e in await visit.audit()
    ]
    buyer, factory, inspector = "buyer:Anna Schmidt", "factory/NB-EVERGREEN:Li Wei", "inspector:Chen Jing"
    assert events == [
        ("propose", inspector, Platform.CONSOLE, posted_at, None, "proposed"),
        ("approve", buyer, Platform.TELEGRAM, approved, "proposed", "approved"),
        ("send", buyer, Platform.SLACK, sent, "approved", "sent"),
        ("acknowledge", factory, Platform.TELEGRAM, acknowledged, "sent", "acknowledged"),
        ("report_done", factory, Platform.TELEGRAM, done, "acknowledged", "done"),
        ("reopen", buyer, Platform.CONSOLE, reopened, "done", "reopened"),
        ("report_done", factory, Platform.SLACK, done_again, "reopened", "done"),
        ("verify", buyer, Platform.TELEGRAM, verified, "done", "verified"),
    ]
    notice_events = [
        (e.action, e.actor, e.platform, e.at, e.after["state"]) for e in await visit.audit("notice", visit.notice_id)
    ]
    assert notice_events == [
        ("send", buyer, Platform.SLACK, sent, "sent"),
        ("acknowledge", factory, Platform.TELEGRAM, acknowledged, "acknowledged"),
    ]


async def test_a_refused_step_leaves_no_audit_event(visit: Visit) -> None:
    await visit.by("buyer", RejectInstruction(visit.ids[TARGET], reason="Not needed."))

    await visit.by("buyer", ApproveInstruction(visit.ids[TARGET]))
    await visit.by("factory", ApproveInstruction(visit.ids[TARGET]))

    assert [e.action for e in await visit.audit()] == ["propose", "reject"]


# ---------------------------------------------------------------------------------------
# Editing an instruction.
# ---------------------------------------------------------------------------------------


async def test_the_buyers_new_note_replaces_the_old_one_and_drops_the_chinese_version(visit: Visit) -> None:
    assert (await visit.instruction()).note_zh is not None

    reply = await visit.by("buyer", EditInstruction(visit.ids[TARGET], note="  Sort twice; keep crawled units apart. "))

    assert reply == Reply("instruction_edited", {"instruction_id": visit.ids[TARGET]})
    instruction = await visit.instruction()
    assert (instruction.state, instruction.note, instruction.note_zh) == (
        S.EDITED, "Sort twice; keep crawled units apart.", None,
    )
    assert visit.outbox()[-1] == ("buyer", "instruction_decided", f'{{"instruction_id": {visit.ids[TARGET]}}}')


async def test_changing_only_the_due_date_keeps_both_notes(visit: Visit) -> None:
    original = await visit.instruction()

    reply = await visit.by("buyer", EditInstruction(visit.ids[TARGET], due=date(2026, 12, 2)))

    assert reply.ok
    edited = await visit.instruction()
    assert (edited.due, edited.note, edited.note_zh) == (date(2026, 12, 2), original.note, original.note_zh)


async def test_the_buyer_changes_the_parameters_of_an_instruction(visit: Visit) -> None:
    reply = await visit.by("buyer", EditInstruction(visit.ids["findings.1"], params={"marking": "Made in P.R. China"}))

    assert reply.ok
    assert (await visit.instruction("findings.1")).params == {"marking": "Made in P.R. China"}


@pytest.mark.parametrize(
    ("params", "problem_fields"),
    [
        ({"marking": "   "}, {"marking"}),
        ({}, {"marking"}),
        ({"marking": "Made in China", "colour": "red"}, {"colour"}),
    ],
    ids=["blank", "missing", "unknown"],
)
async def test_invalid_parameters_are_refused_and_nothing_changes(
    visit: Visit, params: dict, problem_fields: set[str]
) -> None:
    before = visit.snapshot()

    reply = await visit.by("buyer", EditInstruction(visit.ids["findings.1"], params=params))

    assert (reply.ok, reply.code, set(reply.params["problems"])) == (False, "invalid_params", problem_fields)
    assert visit.snapshot() == before
    assert (await visit.instruction("findings.1")).state is S.PROPOSED


async def test_the_buyer_reads_which_parameter_is_wrong_in_their_language(visit: Visit) -> None:
    params = {"marking": " ", "colour": "red"}

    reply = await visit.by("buyer", EditInstruction(visit.ids["findings.1"], params=params))

    assert reply_text(reply, Language("en_GB")) == (
        "Please check: colour: unknown parameter for add_country_of_origin; allowed: marking; "
        "marking: must be non-empty text, got ' '"
    )
    assert reply_text(reply, Language(CHINESE)) == (
        "请检查：colour：add_country_of_origin不接受此参数；可用参数：marking；"
        "marking：应填写文字，不能为空，实际填写为' '"
    )


async def test_a_due_date_before_the_visit_is_refused(visit: Visit) -> None:
    before = visit.snapshot()

    reply = await visit.by("buyer", EditInstruction(visit.ids[TARGET], due=date(2026, 11, 23)))

    assert reply == Reply("due_before_visit", {"due": "2026-11-23", "visit_date": "2026-11-24"}, ok=False)
    assert visit.snapshot() == before


async def test_a_due_date_on_the_visit_day_is_accepted(visit: Visit) -> None:
    reply = await visit.by("buyer", EditInstruction(visit.ids[TARGET], due=date(2026, 11, 24)))

    assert reply.ok
    assert (await visit.instruction()).due == date(2026, 11, 24)
