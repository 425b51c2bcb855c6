"""Judging an order's latest visit into the verdict kept with it (handlers.model.verdicts), so the portfolio
ranks and lists thousands of orders from a few stored figures instead of reading and analysing
every report on every page.

A verdict is only as current as what it was judged under: the factory's calendar and settings,
the [analysis] thresholds, and the analysis itself (`ANALYSIS_VERSION`). The store keeps, per
factory, the `basis` its verdicts were judged under; `rejudge` judges a factory's orders afresh
when the configured basis differs (after an upgrade or a config change), so a listing never
disagrees with the status answer, which always analyses afresh.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from handlers.analysis.analyze import Analysis, analyze
from handlers.context import Settings
from handlers.model import Factory, Thresholds
from handlers.model.report import VisitReport
from handlers.model.verdicts import Verdict

# Bump when `analyze` would judge a stored report differently, so stored verdicts are redone.
ANALYSIS_VERSION = 2
# Visits judged per read when rejudging: bounds the reports held in memory at once.
BATCH = 100


def verdict_of(analysis: Analysis) -> Verdict:
    progress = analysis.progress
    return Verdict(analysis.status, progress.verified_pct, progress.reported_pct, progress.gap_pts,
                   tuple(option for option, _ in analysis.options), analysis.schedule.projected_completion)


def judge(report: VisitReport, factory: Factory, thresholds: Thresholds) -> Verdict:
    return verdict_of(analyze(report, factory, thresholds))


@lru_cache(maxsize=4096)
def basis(factory: Factory, thresholds: Thresholds) -> str:
    """A digest of everything a verdict on this factory's orders depends on besides the report.
    The whole factory, not only its calendar: a needless rejudging after renaming a chat costs
    a moment once, a stale verdict misleads every day. Cached: configs are frozen."""
    judged_under = {"analysis": ANALYSIS_VERSION, "factory": factory.model_dump(mode="json"),
                    "thresholds": thresholds.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(judged_under, sort_keys=True).encode()).hexdigest()[:32]


async def rejudge(store, settings: Settings) -> int:
    """Judges afresh the latest visit of every order of each factory whose stored basis is not
    the configured one, a factory per transaction (the bot keeps answering in between), and
    records the new basis with its verdicts. Returns how many visits were judged; usually 0,
    after one query."""
    factories, thresholds = settings.factories, settings.thresholds
    wanted = {factory_id: basis(factory, thresholds) for factory_id, factory in factories.items()}
    async with store.unit_of_work() as uow:
        stored = await uow.verdicts.bases()
    judged = 0
    for factory_id in sorted(f for f, b in wanted.items() if stored.get(f) != b):
        async with store.unit_of_work() as uow:
            ids = await uow.verdicts.latest_visits(factory_id)
            for start in range(0, len(ids), BATCH):
                visits = await uow.visits.get_many(ids[start:start + BATCH])
                for visit in visits.values():
                    await uow.verdicts.store(visit.id, judge(visit.report, factories[factory_id], thresholds))
            await uow.verdicts.record_basis(factory_id, wanted[factory_id])
            await uow.commit()
        judged += len(ids)
    return judged
