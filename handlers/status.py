"""Answers to "what's the status of PO-123?" and the portfolio, ordered by what needs
attention first. Read-only: a status query never changes anything."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from handlers.analysis.analyze import Analysis, Status, analyze
from handlers.context import Settings
from handlers.model import (
    Factory,
    Instruction,
    InstructionState,
    Notice,
    NoticeState,
    Person,
    Role,
    StoredVisit,
)

_STATUS_RANK = {Status.LATE: 0, Status.AT_RISK: 1, Status.ON_TRACK: 2}


@dataclass(frozen=True)
class OrderStatus:
    visit: StoredVisit
    factory: Factory
    analysis: Analysis
    instructions: tuple[Instruction, ...]
    notices: tuple[Notice, ...]

    def instruction_counts(self) -> dict[str, int]:
        """How many instructions are in each state, in lifecycle order, zeros left out."""
        counts = {state.value: 0 for state in InstructionState}
        for instruction in self.instructions:
            counts[instruction.state.value] += 1
        return {state: n for state, n in counts.items() if n}

    @property
    def undecided(self) -> int:
        return sum(1 for i in self.instructions if i.is_undecided)

    @property
    def disputed(self) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.state is NoticeState.DISPUTED)

    @property
    def awaiting_acknowledgement(self) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.state is NoticeState.SENT)

    def attention(self) -> tuple:
        """Sort key: disputes first, then late, at risk, undecided, unacknowledged."""
        return (
            not self.disputed,
            _STATUS_RANK[self.analysis.status],
            not self.undecided,
            not self.awaiting_acknowledgement,
            self.visit.order_reference,
        )


@dataclass(frozen=True)
class UnknownOrder:
    reference: str
    suggestions: tuple[str, ...]


async def order_status(store, settings: Settings, person: Person, reference: str) -> OrderStatus | UnknownOrder:
    async with store.unit_of_work() as uow:
        visible = [v for v in await uow.visits.latest_per_order() if _may_see(person, v)]
        match = next((v for v in visible if v.order_reference.casefold() == reference.casefold()), None)
        if match is None:
            return UnknownOrder(reference, _closest(reference, [v.order_reference for v in visible]))
        return await _status_of(uow, settings, match, person)


async def portfolio(store, settings: Settings, person: Person) -> list[OrderStatus]:
    async with store.unit_of_work() as uow:
        visible = [v for v in await uow.visits.latest_per_order() if _may_see(person, v)]
        statuses = [await _status_of(uow, settings, v, person) for v in visible]
    return sorted(statuses, key=OrderStatus.attention)


async def _status_of(uow, settings: Settings, visit: StoredVisit, person: Person) -> OrderStatus:
    factory = settings.factories[visit.factory_id]
    instructions = await uow.instructions.for_visit(visit.id)
    if person.role is Role.FACTORY:
        # The buyer's deliberation is not the factory's business: only what was sent to it.
        instructions = [i for i in instructions if i.notice_id is not None]
    return OrderStatus(
        visit=visit,
        factory=factory,
        analysis=analyze(visit.report, factory, settings.thresholds),
        instructions=tuple(instructions),
        notices=tuple(await uow.notices.for_visit(visit.id)),
    )


def _may_see(person: Person, visit: StoredVisit) -> bool:
    return person.role is not Role.FACTORY or visit.factory_id == person.factory


def _closest(reference: str, references: list[str]) -> tuple[str, ...]:
    by_fold = {r.casefold(): r for r in references}
    close = difflib.get_close_matches(reference.casefold(), list(by_fold), n=3, cutoff=0.5)
    return tuple(by_fold[c] for c in close)
