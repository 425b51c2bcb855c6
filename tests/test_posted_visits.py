"""The outbox keeps the visits it renders (handlers/posted_visits.py): a burst of decisions on
one visit reads and parses its report once and analyses it once, since neither changes once
posted; a configuration reloaded analyses it again, and only the visits used last are kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Config
from handlers.posted_visits import PostedVisits
from tests.conftest import example_report
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
