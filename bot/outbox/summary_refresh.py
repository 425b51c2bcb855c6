"""A burst of decisions on one visit refreshes its summary's buttons once, not once per
decision: a message whose plan refreshes the summary leaves it to a later one queued to the
same chat about the same visit. That one is delivered after it (a chat's messages go in
order) and shows the state at its own delivery, which includes this change; it is stored, so
a crash in between loses nothing. Telegram refuses frequent edits of one message anyway, and
each refresh cost a Bot API call on the core the taps are answered on."""

from __future__ import annotations

from bot.outbox.plan import PLANS, RefreshSummary
from handlers.model import OutgoingMessage

REFRESHING = sorted(kind.value for kind, steps in PLANS.items() if any(isinstance(s, RefreshSummary) for s in steps))


class SummaryRefresh:
    def __init__(self, store) -> None:
        self.store = store

    async def left_to_a_later_message(self, message: OutgoingMessage, visit_id: int) -> bool:
        """Whether a message queued behind `message` refreshes the visit's summary again."""
        if message.id is None:  # not from the outbox: nothing queued behind it
            return False
        async with self.store.unit_of_work(short=True) as uow:
            return await uow.outbox.behind(message, REFRESHING, visit_id)
