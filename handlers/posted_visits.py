"""Posted visits kept by whoever renders them over and over (the outbox): a visit's report
and photos never change once posted (storage/visits.py has no update), nor does its analysis
for one factory and thresholds. Read, parsed and analysed again for each decision, a
hundred-finding report made every tap of a burst on one visit cost milliseconds of the core the
taps are answered on. What does change is kept only with what says it changed: a visit's
instructions with their version (storage/instructions.py `visit_version`), read again once it
moved; notices are never kept here."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from handlers.analysis.analyze import Analysis, analyze
from handlers.model import Factory, Instruction, StoredVisit

# Visits decided on at once are few: a buyer works through one or two at a time.
KEPT = 8


@dataclass
class _Kept:
    visit: StoredVisit
    # What it was analysed with: a reloaded configuration analyses it again.
    analysed_with: tuple[Factory, object] | None = None
    analysis: Analysis | None = None


class PostedVisits:
    def __init__(self, kept: int = KEPT) -> None:
        """`kept`: how many visits, the most recently used."""
        self._size = kept
        self._kept: OrderedDict[int, _Kept] = OrderedDict()
        self._instructions: OrderedDict[int, tuple[int, tuple[Instruction, ...]]] = OrderedDict()

    async def get(self, uow, visit_id: int) -> StoredVisit | None:
        if (kept := self._kept.get(visit_id)) is not None:
            self._kept.move_to_end(visit_id)
            return kept.visit
        visit = await uow.visits.get(visit_id)
        if visit is not None:
            self._kept[visit_id] = _Kept(visit)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return visit

    def analysis(self, visit: StoredVisit, factory: Factory, thresholds) -> Analysis:
        """The visit's analysis, kept with it while it is kept."""
        kept = self._kept.get(visit.id)
        if kept is None or kept.visit is not visit:
            return analyze(visit.report, factory, thresholds)
        if kept.analysed_with is None or any(a is not b for a, b in zip(kept.analysed_with, (factory, thresholds))):
            kept.analysis, kept.analysed_with = analyze(visit.report, factory, thresholds), (factory, thresholds)
        return kept.analysis

    async def instructions(self, uow, instruction_id: int) -> tuple[Instruction, ...]:
        """Every instruction of the visit `instruction_id` belongs to (none: no such instruction):
        those kept while their version stands, else read again and kept. A burst of decisions on
        a hundred-finding visit read them all for each decision's message; delivered after the
        burst, every message but the first now reads one version."""
        found = await uow.instructions.visit_version(instruction_id)
        if found is None:
            return ()
        visit_id, version = found
        kept = self._instructions.get(visit_id)
        if kept is None or kept[0] != version:
            kept = self._instructions[visit_id] = await uow.instructions.versioned(visit_id)
        self._instructions.move_to_end(visit_id)
        while len(self._instructions) > self._size:
            self._instructions.popitem(last=False)
        return kept[1]
