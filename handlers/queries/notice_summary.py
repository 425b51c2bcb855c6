"""Where each notice stands, for the operator's `followup notices` and the status views:
sent, answered by whom and when, how often the factory was reminded, what is overdue, done
and verified. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.chasing import ESCALATION, REMINDER
from handlers.context import Settings
from handlers.model import Decision, InstructionState, Notice
from handlers.working_hours import factory_today


@dataclass(frozen=True)
class NoticeSummary:
    notice: Notice
    factory_name: str
    reminders: int
    escalated: bool
    instructions: int
    overdue: int
    done: int  # reported done, awaiting verification
    verified: int
    reopened: int

    @property
    def acknowledged(self) -> Decision | None:
        return self.notice.answered if self.notice.state.value == "acknowledged" else None

    def past_deadline(self, now: datetime) -> bool:
        deadline = self.notice.acknowledge_by
        return self.notice.state.value == "sent" and deadline is not None and now > deadline

    def as_json(self, now: datetime) -> dict:
        n = self.notice
        return {
            "number": n.number,
            "version": n.version,
            "order": n.order_reference,
            "factory": n.factory_id,
            "state": n.state.value,
            "sent_at": n.sent.at.isoformat(),
            "sent_by": n.sent.by,
            "acknowledge_by": None if n.acknowledge_by is None else n.acknowledge_by.isoformat(),
            "past_deadline": self.past_deadline(now),
            "answered_at": None if n.answered is None else n.answered.at.isoformat(),
            "answered_by": None if n.answered is None else n.answered.by,
            "acknowledged_at": None if self.acknowledged is None else self.acknowledged.at.isoformat(),
            "dispute_reason": n.dispute_reason,
            "reminders": self.reminders,
            "escalated": self.escalated,
            "instructions": {"total": self.instructions, "overdue": self.overdue, "done": self.done,
                             "verified": self.verified, "reopened": self.reopened},
        }


async def summarise(uow, settings: Settings, now: datetime, notices: list[Notice]) -> list[NoticeSummary]:
    summaries = []
    for notice in notices:
        factory = settings.factories.get(notice.factory_id)
        today = factory_today(now, factory) if factory else now.date()
        instructions = await uow.instructions.for_notice(notice.id)
        follow_ups = await uow.follow_ups.for_notice(notice.id)
        states = [i.state for i in instructions]
        summaries.append(NoticeSummary(
            notice=notice,
            factory_name=factory.name if factory else notice.factory_id,
            reminders=sum(1 for f in follow_ups if f.kind == REMINDER),
            escalated=any(f.kind == ESCALATION for f in follow_ups),
            instructions=len(instructions),
            overdue=sum(1 for i in instructions if i.is_overdue(today)),
            done=states.count(InstructionState.DONE),
            verified=states.count(InstructionState.VERIFIED),
            reopened=states.count(InstructionState.REOPENED),
        ))
    return summaries
