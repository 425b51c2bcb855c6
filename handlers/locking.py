"""Which lock a command takes before it reads what it changes (storage.locks; docs/claims.md).

One lock per command, the aggregate it aims at: every check-then-change of a command (a tap
checked against the state it changes, approve-all, a notice sent once) happens under it, so
two replicas handling commands on one visit take turns while other visits' go on. On SQLite
the lock costs nothing: its units of work are one at a time anyway.
"""

from __future__ import annotations

from handlers import commands as c
from handlers.commands import Actor
from handlers.refusals import target_of


def lock_of(command: c.Command, actor: Actor) -> str:
    """What handlers.refusals.target_of says the command aims at; for a command without one,
    the draft or order form it works on, else the account of who gives it (redeeming an
    invite, asking to act, importing orders: each order imported is locked as it is read)."""
    if (target := target_of(command)) is not None:
        return target
    if isinstance(command, c.SubmitVisitDraft):
        return f"draft:{command.draft_id}"
    if isinstance(command, c.OpenVisitForm):
        return f"order:{command.reference}"
    return f"account:{actor.person.key}"
