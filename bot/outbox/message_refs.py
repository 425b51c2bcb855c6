"""Which platform message shows what, so a later change edits that message instead of
posting a new one: a finding's instruction, a notice, a visit's summary (Slack threads)."""

from __future__ import annotations

from handlers.clock import Clock
from handlers.model import Platform
from handlers.model.message_kinds import MessageKind
from handlers.views import View


def subject_of(view: View) -> str | None:
    if view.kind in (MessageKind.NOTICE, MessageKind.NOTICE_CLOSED):
        return f"notice:{view.notice.id}"
    if view.kind is MessageKind.VISIT_SUMMARY:
        return f"visit:{view.visit.id}"
    if view.kind in (MessageKind.FINDING, MessageKind.INSTRUCTION_DECIDED) and view.items and view.item.instruction:
        return f"instruction:{view.item.instruction.id}"
    return None


def shown_finding(visit_id: int, source: str) -> str:
    """The subject of one finding among several in a crowded chat's message, whether or not it
    carries an instruction: a rewrite of that message shows every finding it showed."""
    return f"finding:{visit_id}:{source}"


def findings_shown(subjects: list[str]) -> list[str]:
    """The sources of the findings a message shows, from its subjects (`shown_finding`)."""
    return [s.split(":", 2)[2] for s in subjects if s.startswith("finding:")]


class MessageRefs:
    def __init__(self, store, platform: Platform, clock: Clock):
        self.store = store
        self.platform = platform
        self.clock = clock

    async def find(self, destination: str, subject: str | None) -> str | None:
        if subject is None:
            return None
        async with self.store.unit_of_work(short=True) as uow:
            return await uow.message_refs.find(self.platform, destination, subject)

    async def find_shown(self, destination: str, subject: str | None) -> tuple[str | None, list[str]]:
        """The message that shows `subject` and every subject it shows (one, or a crowded chat's
        several findings), read together: an edit needs both, and each read is a turn of the
        store the taps wait for."""
        if subject is None:
            return None, []
        async with self.store.unit_of_work(short=True) as uow:
            reference = await uow.message_refs.find(self.platform, destination, subject)
            if reference is None:
                return None, []
            return reference, await uow.message_refs.sharing(self.platform, destination, reference)

    async def remember(self, destination: str, subject: str, reference: str) -> None:
        async with self.store.unit_of_work(short=True) as uow:
            await uow.message_refs.remember(self.platform, destination, subject, reference, self.clock.now())
            await uow.commit()
