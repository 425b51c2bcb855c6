"""The outbox keeps the visits it renders (handlers/posted_visits.py): a burst of decisions on
one visit reads and parses its report once and analyses it once, since neither changes once
posted; a configuration reloaded analyses it again, and only the visits used last are kept."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.config import Config
from handlers.commands import ApproveInstruction
from handlers.model import InstructionState, Role
from handlers.posted_visits import PostedVisits
from storage.instructions import Instructions
from tests.conftest import actor, example_report, post_example
from tests.test_store import POSTED, VERDICT


@dataclass
class CountingVisits:
    """The store's visits, counting how often each is read."""

    visits: object
    reads: list[int] = field(default_factory=list)

    async def get(self, visit_id: int):
        self.reads.append(visit_id)
        return await self.visits.get(visit_id)


@dataclass
class Reading:
    visits: CountingVisits


async def test_a_visit_is_read_and_analysed_once_while_kept(app, config: Config) -> None:
    report, photos = example_report(config)
    async with app.store.unit_of_work() as uow:
        ids = [(await uow.visits.add(report, photos, POSTED, VERDICT)).id for _ in range(3)]
        await uow.commit()
    factory, thresholds = app.settings.factories[report.order.factory], app.settings.thresholds
    kept = PostedVisits(kept=2)
    async with app.store.unit_of_work() as uow:
        reading = Reading(CountingVisits(uow.visits))
        first = await kept.get(reading, ids[0])
        analysis = kept.analysis(first, factory, thresholds)

        assert await kept.get(reading, ids[0]) is first and kept.analysis(first, factory, thresholds) is analysis
        assert reading.visits.reads == [ids[0]]
        reloaded = factory.model_copy()
        assert kept.analysis(first, reloaded, thresholds) is not analysis  # another configuration
        assert kept.analysis(first, reloaded, thresholds) == analysis

        await kept.get(reading, ids[1])
        await kept.get(reading, ids[0])  # the most recently used stays
        await kept.get(reading, ids[2])
        await kept.get(reading, ids[0])
        await kept.get(reading, ids[1])  # the least recently used went
        assert reading.visits.reads == [ids[0], ids[1], ids[2], ids[1]]
        assert await kept.get(reading, 10_000) is None


async def test_a_visits_instructions_are_read_again_only_once_one_of_them_changed(
    app, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox shows each decision of a burst beside every instruction of its visit: kept
    with their version, they are read once while none changes, and again after any change,
    a decision through the bus or a row written any other way (the version is counted up by
    the store itself, migration 0027)."""
    visit_id = await post_example(app, config)
    async with app.store.unit_of_work() as uow:
        first, second, third = [i.id for i in await uow.instructions.for_visit(visit_id)][:3]
    reads: list[int] = []
    versioned = Instructions.versioned

    async def counted(instructions: Instructions, visit: int):
        reads.append(visit)
        return await versioned(instructions, visit)

    monkeypatch.setattr(Instructions, "versioned", counted)
    kept = PostedVisits()

    async def shown(instruction_id: int):
        async with app.store.unit_of_work() as uow:
            return await kept.instructions(uow, instruction_id)

    before = await shown(first)
    assert await shown(second) is before and await shown(third) is before
    assert reads == [visit_id]

    assert (await app.bus.handle(ApproveInstruction(first), actor(config, Role.BUYER))).ok
    decided = await shown(second)
    assert reads == [visit_id, visit_id]
    assert [i.state for i in decided if i.id == first] == [InstructionState.APPROVED]
    assert await shown(third) is decided

    async with app.store.unit_of_work() as uow:
        await uow._tx.write("UPDATE instructions SET note = 'reworded' WHERE id = ?", (third,))  # noqa: SLF001
        await uow.commit()
    assert [i.note for i in await shown(first) if i.id == third] == ["reworded"]
    assert reads == [visit_id] * 3
    assert await shown(10_000) == ()

