"""A message that only changes what earlier messages show (a decision rewrites its finding's
message and gives the summary its buttons; an answered notice swaps its buttons) shows the
state at its delivery, not at its making. When the same message, kind and payload, waits
behind it in its chat's queue, that one will show everything this one would, as it stands
later: this one is settled without a call. Five decisions on one finding within a few
milliseconds make one edit, not five: Telegram refuses frequent edits of one message, and each
edit was a Bot API call, a view loaded and rendered, on the core the taps are answered on. The
later message is stored, so a crash in between loses nothing (bot/outbox/summary_refresh.py
does the same for the summary's buttons alone)."""

from __future__ import annotations

from bot.outbox.plan import PLANS, EditEarlier, RefreshItems, RefreshSummary, SwapButtons
from handlers.model import OutgoingMessage

IN_PLACE = frozenset(kind.value for kind, steps in PLANS.items()
                     if all(isinstance(s, EditEarlier | SwapButtons | RefreshItems | RefreshSummary) for s in steps))


async def repeated_later(uow, message: OutgoingMessage) -> bool:
    """Whether a later copy of `message` in its queue shows all it would (see above)."""
    return message.kind in IN_PLACE and await uow.outbox.repeated_later(message)
