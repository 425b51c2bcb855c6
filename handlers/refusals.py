"""The audit trail of what someone was not allowed: a command their rights refused, a question
answered with less than they asked (another factory's order, a chat that may not read it all),
anything tried by someone the bot does not act for.

A refusal changes nothing, so its work is rolled back; the refusal itself is written in a
transaction of its own, filed under who tried (action 'refused'), so "who tried what, on what,
from where, and why not" can be answered later without the refused change ever being kept.
What the person is told is decided elsewhere and never depends on this record: a refused
question about another factory's order reads exactly like one about an order that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.model import Identity, Platform, PlatformAccount
from handlers.people import ENTITY, account_key
from handlers.results import Refused

ACTION = "refused"
# Why a question was answered with less than was asked (the asker's rights, the chat's readers).
NOT_YOURS = "not_your_factory"  # another factory's order: answered as an unknown one
NARROWED = "narrowed_in_chat"  # the chat got what all its readers may see; the asker the rest privately
WITHHELD = "withheld_in_chat"  # the chat's readers share none of it: the chat got a note alone


@dataclass(frozen=True)
class Refusal:
    """Who (`identity`, and their `user_id` on `platform` when they acted on one) tried
    `attempted` (a command's name, a question like "status") on `target`, and `reason`."""

    identity: Identity
    platform: Platform
    user_id: str | None
    attempted: str
    reason: str
    target: str | None = None
    details: dict | None = None

    @property
    def filed_under(self) -> str:
        """The person entity the refusal is kept with: their platform account where they
        acted on one, their key otherwise (the console, the CLI)."""
        if self.user_id is None:
            return self.identity.key
        return account_key(PlatformAccount(platform=self.platform, user_id=self.user_id))


class Recorded(Refused):
    """A refusal a handler judged, kept in the audit trail as `refusal` says: the bus rolls the
    command's work back and writes it, as it writes a refusal of the person's rights."""

    def __init__(self, refusal: Refusal, **params: object):
        super().__init__(refusal.reason, **params)
        self.refusal = refusal


async def record(uow, refusal: Refusal, at: datetime) -> None:
    """Writes `refusal` in `uow`, which the caller commits (with the update it answers, if any)."""
    target = {} if refusal.target is None else {"target": refusal.target}
    await uow.audit.record(
        actor=refusal.identity.key, actor_user_id=refusal.user_id, platform=refusal.platform, at=at,
        entity=ENTITY, entity_id=refusal.filed_under, action=ACTION, before=None,
        after={"attempted": refusal.attempted, "reason": refusal.reason, **target, **(refusal.details or {})},
    )


async def audit(store, refusal: Refusal, at: datetime) -> None:
    """Records `refusal` in a transaction of its own."""
    async with store.unit_of_work() as uow:
        await record(uow, refusal, at)
        await uow.commit()


def target_of(command: object) -> str | None:
    """What a command was aimed at, as `notice:7`, `instruction:12`, `visit:3`, `order:PO-1`,
    `binding_request:2`, `contact:NAME` or `factory:ID`; None for a command with no single target."""
    for field, kind in (("notice_id", "notice"), ("instruction_id", "instruction"), ("visit_id", "visit"),
                        ("request_id", "binding_request"), ("name_or_id", "contact"), ("factory_id", "factory")):
        if (value := getattr(command, field, None)) is not None:
            return f"{kind}:{value}"
    report = getattr(command, "report", None)
    return None if report is None else f"order:{report.order.reference}"
