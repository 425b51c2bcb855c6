"""A burst of decisions on one visit, on Telegram: the buyer approves finding after finding
faster than the outbox delivers. Each finding's message shows its own decision (one edit each:
that is what the buyer reads), and the summary's buttons are refreshed once for the burst, not
once per decision: Telegram refuses frequent edits of one message, and each was a Bot API call
on the core that answers the taps. The summary always ends showing the last state, and a crash
in the middle of the burst loses nothing: the refresh left to a later message is owed in the store.

The real python-telegram-bot client against the fake Bot API; the clock is a fake one.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from bot.outbox.dispatcher import LEASE
from handlers.commands import ApproveInstruction, EditInstruction, RejectInstruction
from handlers.model import Instruction, Platform, Role
from storage.outbox import Outbox
from tests.conftest import actor
from tests.fake_telegram import SentMessage
from tests.telegram_world import BUYER_CHAT
from tests.test_delivery_telegram import Delivery, delivering, outbox_table

pytestmark = pytest.mark.usefixtures("direct_to_fakes")


async def approve(world: Delivery, instructions: list[Instruction]) -> None:
    """The buyer's taps on Approve, each decided and committed before the outbox delivers any."""
    buyer = actor(world.config, Role.BUYER, Platform.TELEGRAM)
    for instruction in instructions:
        assert (await world.app.bus.handle(ApproveInstruction(instruction.id), buyer)).ok


async def instructions_of(world: Delivery, visit_id: int) -> list[Instruction]:
    async with world.app.store.unit_of_work() as uow:
        return await uow.instructions.for_visit(visit_id)


def summary(world: Delivery) -> SentMessage:
    return world.fake.transcript(BUYER_CHAT)[0]


def summary_refreshes(world: Delivery) -> int:
    """Bot API calls that changed the summary's buttons."""
    return sum(int(call["message_id"]) == summary(world).message_id
               for call in world.fake.calls("editMessageReplyMarkup"))


def findings_approved(world: Delivery) -> int:
    return sum("Decision: approved" in m.plain for m in world.fake.transcript(BUYER_CHAT))


async def test_five_approvals_in_a_burst_edit_five_findings_and_refresh_the_summary_once(config, clock) -> None:
    async with delivering(config, clock) as world:
        visit_id = await world.example_delivered()
        instructions = await instructions_of(world, visit_id)
        assert "Approve all (7)" in summary(world).buttons

        await approve(world, instructions[:5])
        await world.deliver_until_done()

        assert len(world.fake.calls("editMessageText")) == 5 and findings_approved(world) == 5
        assert summary_refreshes(world) == 1
        assert "Approve all (2)" in summary(world).buttons

        await approve(world, instructions[5:6])  # a decision alone refreshes the summary itself
        await world.deliver_until_done()

        assert summary_refreshes(world) == 2
        assert "Approve all (1)" in summary(world).buttons


async def test_a_burst_reads_the_queue_behind_its_first_decision_and_its_last_only(
    config, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a later message refreshes the summary was a read of the chat's queue behind each
    decision, in a unit of work of its own: the last one found is remembered, and every decision
    before it is known to leave the refresh to it."""
    reads = []
    last_behind = Outbox.last_behind

    async def counted(outbox: Outbox, message, *args):
        reads.append(message.id)
        return await last_behind(outbox, message, *args)

    monkeypatch.setattr(Outbox, "last_behind", counted)
    async with delivering(config, clock) as world:
        visit_id = await world.example_delivered()
        await approve(world, (await instructions_of(world, visit_id))[:5])
        decisions = [row["id"] for row in outbox_table(world.app) if row["kind"] == "instruction_decided"]
        reads.clear()

        await world.deliver_until_done()

        assert reads == [decisions[0], decisions[-1]]
        assert summary_refreshes(world) == 1 and "Approve all (2)" in summary(world).buttons


async def test_five_decisions_on_one_finding_in_a_burst_edit_its_message_once_showing_the_last(config,
                                                                                              clock) -> None:
    async with delivering(config, clock) as world:
        visit_id = await world.example_delivered()
        first = (await instructions_of(world, visit_id))[0]
        buyer = actor(world.config, Role.BUYER, Platform.TELEGRAM)
        for command in (ApproveInstruction(first.id), EditInstruction(first.id, note="Check every carton"),
                        EditInstruction(first.id, note="Check every carton again"),
                        EditInstruction(first.id, note="Check every carton twice"),
                        RejectInstruction(first.id, reason="Wrong finding")):
            assert (await world.app.bus.handle(command, buyer)).ok

        await world.deliver_until_done()

        assert len(world.fake.calls("editMessageText")) == 1
        shown = next(m for m in world.fake.transcript(BUYER_CHAT) if "Check every carton twice" in m.plain)
        assert "Decision: rejected" in shown.plain
        assert summary_refreshes(world) == 1
        assert all(row["sent_at"] for row in outbox_table(world.app))  # the four before it settled, none lost


async def test_a_crash_in_the_middle_of_a_burst_leaves_the_summary_showing_the_last_state(config, clock) -> None:
    async with delivering(config, clock) as world:
        crashed = world.app
        visit_id = await world.example_delivered()
        await approve(world, await instructions_of(world, visit_id))

        def stall_the_fourth(method: str, params: dict) -> None:
            if method == "editMessageText" and len(world.fake.calls(method)) == 3:
                world.fake.stall_next(method, seconds=30, handled=True)  # shown; the answer never comes
        world.fake.observers.append(stall_the_fourth)
        sending = asyncio.create_task(crashed.dispatcher.deliver_pending())
        await world.fake.wait_for(lambda: len(world.fake.calls("editMessageText")) == 4)
        sending.cancel()  # the process dies before it hears back
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        assert summary_refreshes(world) == 0  # left to the decisions still owed
        restarted = await world.start_replica()
        clock.advance(seconds=LEASE.total_seconds())  # the dead process's claim runs out

        await restarted.dispatcher.deliver_pending()

        assert findings_approved(world) == 7
        assert summary_refreshes(world) == 1
        assert "Send notice (7)" in summary(world).buttons
        assert all(row["sent_at"] for row in outbox_table(restarted))
