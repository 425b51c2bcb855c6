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


# (destination, visit) pairs whose last refreshing message is remembered: a chat's burst is on
# one visit or two; more are forgotten, the oldest first, and looked for again.
KEPT = 64


class SummaryRefresh:
    def __init__(self, store) -> None:
        self.store = store
        # The last message queued to a chat that refreshes a visit's summary, as last read: every
        # message before it leaves the refresh to it without reading the queue again, since it
        # cannot be delivered, nor settled, before them (a chat's messages go in order). Read for
        # each message, the queue behind it was one more unit of work per decision of a burst.
        self._last: dict[tuple[str, int], int] = {}

    async def left_to_a_later_message(self, message: OutgoingMessage, visit_id: int) -> bool:
        """Whether a message queued behind `message` refreshes the visit's summary again."""
        if message.id is None:  # not from the outbox: nothing queued behind it
            return False
        where = (message.destination, visit_id)
        if self._last.get(where, 0) > message.id:
            return True
        async with self.store.unit_of_work(short=True) as uow:
            last = await uow.outbox.last_behind(message, REFRESHING, visit_id)
        self._last.pop(where, None)
        if last is None:
            return False
        self._last[where] = last
        while len(self._last) > KEPT:
            del self._last[next(iter(self._last))]
        return True
