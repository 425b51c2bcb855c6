"""A tap that changes nothing is answered from a read, beside the writer (issue 17), on both
engines: a repeat takes no write transaction and is answered while another task holds the
writer (SQLite) or the locks a write takes (PostgreSQL); a tap that changes something is
still one write with its audit, and one on what this process never handled is not tried as a
read; a read overtaken by a change, of another store or of this process, is done again as a
write. Held by counting and by events, never by timing.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import asyncpg
import pytest

from bot.settings import routing_for
from handlers.bus import MessageBus
from handlers.commands import ApproveInstruction, PostVisit, RejectInstruction
from handlers.context import Settings
from handlers.model import Role
from handlers.model.reading import WriteNeeded
from handlers.results import ALREADY
from tests.conftest import actor, example_report
from tests.fakes import FakeClock
from tests.store_engines import another, postgres_url, store  # noqa: F401  (fixtures)

BOUND = 60  # seconds: a generous bound on a wait that must not happen, not a timing claim


def bus_on(on, config) -> MessageBus:
    settings = Settings(factories={f.id: f for f in config.factories}, thresholds=config.analysis,
                        routing=routing_for(config, console_active=True), people=config.people)
    return MessageBus(on, FakeClock(), settings)


@pytest.fixture
async def bus(store, config) -> MessageBus:  # noqa: F811
    return bus_on(store, config)


async def first_instruction(bus: MessageBus, config) -> int:
    report, photos = example_report(config)
    visit_id = (await bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))).params["visit_id"]
    async with bus.store.unit_of_work() as uow:
        return (await uow.instructions.for_visit(visit_id))[0].id


async def approved(bus: MessageBus, config, update_key: str = "tap:1") -> int:
    instruction = await first_instruction(bus, config)
    assert (await bus.handle(ApproveInstruction(instruction), actor(config, Role.BUYER), update_key)).ok
    return instruction


def writes_counted(db) -> list[str]:
    """The store's write units of work from now on, each as opened ("open") and committed."""
    seen, opened = [], db.unit_of_work

    def unit_of_work(short: bool = False):
        uow = opened(short)
        seen.append("open")
        commit = uow.commit

        async def counted_commit() -> None:
            await commit()
            seen.append("commit")

        uow.commit = counted_commit
        return uow

    db.unit_of_work = unit_of_work
    return seen


async def kept(db, key: str) -> dict | None:
    async with db.reading() as uow:
        return await uow.updates.result_of(key)


async def approvals(db, instruction: int) -> int:
    async with db.reading() as uow:
        return [e.action for e in await uow.audit.for_entity("instruction", instruction)].count("approve")


async def test_a_repeated_tap_takes_no_write_transaction(bus: MessageBus, config) -> None:
    instruction = await approved(bus, config)
    writes = writes_counted(bus.store)
    repeat = await bus.handle(ApproveInstruction(instruction), actor(config, Role.BUYER), "tap:2")
    assert repeat.code == ALREADY and writes == []
    assert await bus.handled("tap:1") is not None and writes == []  # the update's earlier answer: a read too
    await bus.repeats.drain()
    assert await kept(bus.store, "tap:2") == repeat.as_dict() and writes == ["open", "commit"]


async def test_a_repeated_tap_is_answered_while_a_write_holds_the_store(bus: MessageBus, config) -> None:
    instruction = await approved(bus, config)
    held, release = asyncio.Event(), asyncio.Event()

    async def write_in_progress() -> None:
        """Holds the writer (SQLite), and on PostgreSQL the locks an approval of this
        instruction and this update would wait for."""
        async with bus.store.unit_of_work() as uow:
            await uow.locks.update("tap:2")
            await uow.locks.target(f"instruction:{instruction}")
            held.set()
            await release.wait()

    holder = asyncio.create_task(write_in_progress())
    await held.wait()
    repeat = asyncio.create_task(bus.handle(ApproveInstruction(instruction), actor(config, Role.BUYER), "tap:2"))
    done, _ = await asyncio.wait({repeat}, timeout=BOUND)
    release.set()
    await holder
    assert repeat in done and repeat.result().code == ALREADY


async def test_a_tap_that_changes_something_is_one_write_with_its_audit(bus: MessageBus, config) -> None:
    instruction = await first_instruction(bus, config)
    writes = writes_counted(bus.store)
    reply = await bus.handle(ApproveInstruction(instruction), actor(config, Role.BUYER), "tap:1")
    assert reply.ok and reply.code != ALREADY
    assert writes == ["open", "commit"]
    assert await approvals(bus.store, instruction) == 1 and await kept(bus.store, "tap:1") == reply.as_dict()


async def test_a_tap_on_what_this_process_never_handled_is_not_tried_as_a_read(bus: MessageBus, config) -> None:
    """A first approval would only waste the read: it goes straight to the write."""
    instruction, reads = await first_instruction(bus, config), []
    reading = bus.store.reading

    def counted():
        reads.append("read")
        return reading()

    bus.store.reading = counted
    assert (await bus.handle(ApproveInstruction(instruction), actor(config, Role.BUYER), "tap:1")).code != ALREADY
    assert reads == []
    assert (await bus.handle(ApproveInstruction(instruction), actor(config, Role.BUYER), "tap:2")).code == ALREADY
    assert reads == ["read"]


async def test_a_read_overtaken_by_another_stores_change_is_done_again_as_a_write(bus: MessageBus, config) -> None:
    """The read finds the instruction approved, so a Reject would change it; before the
    write, another replica (or a CLI command) rejects it: the write reads it again and answers
    "already", and it is rejected once."""
    instruction, buyer = await approved(bus, config), actor(config, Role.BUYER)
    other = await another(bus.store)
    reading = bus.store.reading

    @asynccontextmanager
    async def overtaken():
        try:
            async with reading() as uow:
                yield uow
        except WriteNeeded:
            assert (await bus_on(other, config).handle(RejectInstruction(instruction, "wrong supplier"), buyer)).ok
            raise

    bus.store.reading = overtaken
    try:
        reply = await bus.handle(RejectInstruction(instruction, "wrong carton"), buyer, "tap:2")
    finally:
        await other.close()
    assert reply.code == ALREADY and reply.params["state"] == "rejected"
    async with bus.store.reading() as uow:
        assert [e.action for e in await uow.audit.for_entity("instruction", instruction)].count("reject") == 1


async def test_a_repeat_while_a_change_of_this_process_commits_is_not_read_but_done_as_a_write_after_it(
        bus: MessageBus, config) -> None:
    """A read then would not hold that change: it could refuse what the change allows (a chat's
    next tap is decided while the last one's change commits: bot/telegram/chat_order.py), and a
    repeat's key could not ride in that commit (its bookkeeping was taken already). So the
    repeat waits for the writer and is answered from what the change did: the instruction
    rejected, not "already approved"."""
    instruction = await approved(bus, config)
    buyer, riding, release, reads = actor(config, Role.BUYER), asyncio.Event(), asyncio.Event(), []
    reading = bus.store.reading

    async def slow_rider(uow) -> None:
        riding.set()
        await release.wait()

    def counted_read():
        reads.append("read")
        return reading()

    bus.ride_along(slow_rider)
    rejected = asyncio.create_task(bus.handle(RejectInstruction(instruction, "wrong supplier"), buyer, "tap:2"))
    await riding.wait()
    bus.store.reading = counted_read
    repeat = asyncio.create_task(bus.handle(ApproveInstruction(instruction), buyer, "tap:3"))
    for _ in range(10):
        await asyncio.sleep(0)  # the repeat goes as far as it can: to the writer the rejection holds
    assert reads == [] and not repeat.done()
    release.set()
    assert (await rejected).ok
    reply = await repeat
    assert reply.code == "illegal_transition" and reply.params["state"] == "rejected"
    assert reads == []


async def test_nothing_is_written_through_a_read(bus: MessageBus, config) -> None:
    instruction = await first_instruction(bus, config)
    async with bus.store.reading() as uow:
        with pytest.raises(WriteNeeded):
            await uow.updates.remember("tap:9", {"code": "x", "params": {}, "ok": True}, bus.clock.now())
        with pytest.raises(RuntimeError):
            await uow.commit()
    assert await kept(bus.store, "tap:9") is None and await approvals(bus.store, instruction) == 0


async def test_a_read_after_the_store_is_closed_is_refused(store, config) -> None:  # noqa: F811
    """The reading connection is closed with the store, as the writing one is."""
    other = await another(store)
    async with other.reading() as uow:
        assert await uow.updates.result_of("tap:1") is None
    await other.close()
    with pytest.raises((RuntimeError, asyncpg.InterfaceError), match="closed"):
        async with other.reading():
            pass

