"""Commands given at once through three replicas' buses on one database, on both engines.

On PostgreSQL nothing locks the whole store: each command locks the update it comes with
and the visit (or other aggregate) it aims at (handlers/locking.py, storage.locks). These
tests give the same or related commands through three stores at once and check what one
replica alone would leave: a tap checked against the state it changes takes effect once,
approve-all and single approvals decide each instruction once, a notice is sent once and
numbered without a gap, an update handled by two replicas has one effect, a chasing pass
run by every replica reminds once; and a command on one visit does not wait for a unit of
work holding another visit.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.settings import routing_for
from handlers.bus import MessageBus
from handlers.chasing import chase
from handlers.commands import (
    AcknowledgeNotice,
    ApproveAllInstructions,
    ApproveInstruction,
    PostVisit,
    SendNotice,
)
from handlers.context import Settings
from handlers.model import Platform, Role
from tests.conftest import actor, example_report
from tests.fakes import FakeClock
from tests.store_engines import another, postgres_url, store  # noqa: F401  (fixtures)

BOUND = 60  # seconds: a generous bound on a wait that must not happen, not a timing claim


@pytest.fixture
async def buses(store, config):  # noqa: F811
    """Three buses, each on a store of its own on one database, as three replicas."""
    stores = [store, await another(store), await another(store)]
    settings = Settings(factories={f.id: f for f in config.factories}, thresholds=config.analysis,
                        routing=routing_for(config, console_active=True), people=config.people)
    clock = FakeClock()
    yield [MessageBus(s, clock, settings) for s in stores]
    for other in stores[1:]:
        await other.close()


async def post(bus: MessageBus, config, reference: str | None = None) -> int:
    report, photos = example_report(config)
    if reference is not None:
        report = report.model_copy(update={"order": report.order.model_copy(update={"reference": reference})})
    reply = await bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
    assert reply.ok, reply
    return reply.params["visit_id"]


async def instructions_of(bus: MessageBus, visit_id: int) -> list:
    async with bus.store.unit_of_work() as uow:
        return await uow.instructions.for_visit(visit_id)


async def actions_on(bus: MessageBus, entity: str, entity_id: int) -> list[str]:
    async with bus.store.unit_of_work() as uow:
        return [e.action for e in await uow.audit.for_entity(entity, entity_id)]


async def test_one_instruction_approved_through_three_replicas_at_once_is_approved_once(buses, config) -> None:
    visit_id = await post(buses[0], config)
    first = (await instructions_of(buses[0], visit_id))[0]
    buyer = actor(config, Role.BUYER)

    replies = await asyncio.gather(*(bus.handle(ApproveInstruction(first.id), buyer) for bus in buses))

    assert len({reply.code for reply in replies}) == 2, replies  # approved, then "already approved" twice
    assert (await actions_on(buses[0], "instruction", first.id)).count("approve") == 1


async def test_approve_all_and_single_approvals_at_once_decide_each_instruction_once(buses, config) -> None:
    visit_id = await post(buses[0], config)
    instructions = await instructions_of(buses[0], visit_id)
    buyer = actor(config, Role.BUYER)

    await asyncio.gather(buses[0].handle(ApproveAllInstructions(visit_id), buyer),
                         buses[1].handle(ApproveAllInstructions(visit_id), buyer),
                         *(buses[2].handle(ApproveInstruction(i.id), buyer) for i in instructions))

    for instruction in instructions:
        assert (await actions_on(buses[0], "instruction", instruction.id)).count("approve") == 1


async def test_notices_sent_at_once_are_sent_once_each_and_numbered_without_a_gap(buses, config) -> None:
    buyer = actor(config, Role.BUYER)
    visits = [await post(buses[0], config, f"PO-2026-{n:04d}") for n in range(1, 4)]
    for visit_id in visits:
        assert (await buses[0].handle(ApproveAllInstructions(visit_id), buyer)).ok

    replies = await asyncio.gather(*(bus.handle(SendNotice(v), buyer) for v in visits for bus in buses))

    sent = {reply.params["notice_id"] for reply in replies if "notice_id" in reply.params}
    assert len(sent) == len(visits), replies
    async with buses[0].store.unit_of_work() as uow:
        numbers = sorted([(await uow.notices.get(n)).number for n in sent])
    assert [number.rsplit("-", 1)[1] for number in numbers] == ["0001", "0002", "0003"]


async def test_an_update_handled_by_three_replicas_at_once_has_one_effect(buses, config) -> None:
    visit_id = await post(buses[0], config)
    first = (await instructions_of(buses[0], visit_id))[0]
    buyer = actor(config, Role.BUYER)

    replies = await asyncio.gather(*(bus.handle(ApproveInstruction(first.id), buyer, "telegram:77") for bus in buses))

    assert all(reply == replies[0] for reply in replies) and replies[0].ok
    assert (await actions_on(buses[0], "instruction", first.id)).count("approve") == 1


async def test_a_chasing_pass_run_by_every_replica_reminds_once(buses, config) -> None:
    buyer, visit_id = actor(config, Role.BUYER), await post(buses[0], config)
    assert (await buses[0].handle(ApproveAllInstructions(visit_id), buyer)).ok
    notice_id = (await buses[0].handle(SendNotice(visit_id), buyer)).params["notice_id"]
    clock = buses[0].clock
    async with buses[0].store.unit_of_work() as uow:
        deadline = (await uow.notices.get(notice_id)).acknowledge_by
    # A working morning (10:00 in Ningbo) two days after the deadline: a reminder and the
    # escalation are due, once each.
    clock.moment = (deadline + timedelta(days=2)).replace(hour=2, minute=0)

    done = await asyncio.gather(*(chase(bus.store, clock, bus.settings) for bus in buses))

    assert (sum(d.reminders for d in done), sum(d.escalations for d in done)) == (1, 1)
    actions = await actions_on(buses[0], "notice", notice_id)
    assert (actions.count("reminder"), actions.count("escalation")) == (1, 1)


async def test_a_command_on_one_visit_does_not_wait_for_work_held_open_on_another(buses, config) -> None:
    """Structure, not timing: the second visit's approval completes while the first visit's
    unit of work is still open, which a lock on the whole store would forbid (SQLite has one,
    its BEGIN IMMEDIATE: PostgreSQL only)."""
    if "Sqlite" in type(buses[0].store).__name__:
        pytest.skip("SQLite has one writer at a time by design")
    one, other = await post(buses[0], config, "PO-2026-0001"), await post(buses[0], config, "PO-2026-0002")
    elsewhere = (await instructions_of(buses[0], other))[0]
    async with buses[0].store.unit_of_work() as held:
        await held.locks.target(f"visit:{one}")
        await held.audit.record(actor="test", platform=Platform.CONSOLE, at=buses[0].clock.now(), entity="visit",
                                entity_id=one, action="held", before=None, after=None)
        reply = await asyncio.wait_for(buses[1].handle(ApproveInstruction(elsewhere.id), actor(config, Role.BUYER)),
                                       BOUND)
        await held.commit()
    assert reply.ok, reply


async def test_an_acknowledgement_from_two_replicas_at_once_is_recorded_once(buses, config) -> None:
    buyer, visit_id = actor(config, Role.BUYER), await post(buses[0], config)
    assert (await buses[0].handle(ApproveAllInstructions(visit_id), buyer)).ok
    notice_id = (await buses[0].handle(SendNotice(visit_id), buyer)).params["notice_id"]
    factory = actor(config, Role.FACTORY)

    replies = await asyncio.gather(*(bus.handle(AcknowledgeNotice(notice_id), factory) for bus in buses))

    assert len({reply.code for reply in replies}) == 2, replies  # acknowledged, then "already" twice
    assert (await actions_on(buses[0], "notice", notice_id)).count("acknowledge") == 1
