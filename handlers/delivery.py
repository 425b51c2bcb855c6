"""A message that cannot be delivered: failed for good with its audit event, and the buyer
told which message to whom failed and why, all in one transaction. And the way back: an
operator who fixed the cause requeues it.

The reasons are codes chosen by the platform adapters (bot/outbox/failures.py); the domain only
records them and decides who hears about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.context import Settings
from handlers.model import OutgoingMessage, Platform
from handlers.model.message_kinds import MessageKind

ALERT = MessageKind.DELIVERY_FAILED
DISPATCHER = "system:outbox"


@dataclass(frozen=True)
class Undeliverable:
    reason: str
    error: str  # what the platform said, for the operator; never shown to the buyer
    holds_destination: bool


async def fail_delivery(uow, settings: Settings, now: datetime, message: OutgoingMessage,
                        failure: Undeliverable) -> bool:
    """Returns whether the buyer is alerted: in their chats, or, when the failed message was
    for one of them, on the other platforms (their chat there, else their private chat; none:
    only logged, as an alert in the same chat would fail the same way). A failed alert alerts
    nobody, so alerts never go round in a loop."""
    await uow.outbox.fail(message.id, now, failure.reason, failure.error, failure.holds_destination)
    await uow.audit.record(
        actor=DISPATCHER, platform=message.platform, at=now, entity="outbox", entity_id=message.id,
        action="delivery_failed", before=None,
        after={"kind": message.kind, "destination": message.destination, "reason": failure.reason,
               "error": failure.error, "holds_destination": failure.holds_destination},
    )
    if message.kind == ALERT:
        return False
    payload = {"outbox_id": message.id, "reason": failure.reason, "holds": failure.holds_destination}
    routing = settings.routing
    alerts = routing.to_buyer_elsewhere(message.platform, ALERT, payload) \
        if routing.is_buyer(message.platform, message.destination) else routing.to_buyer(ALERT, payload)
    for alert in alerts:
        await uow.outbox.add(alert)
    return bool(alerts)


class NotRequeued(Exception):
    """Why a message cannot be requeued, in words for the operator."""


async def requeue(uow, now: datetime, message_id: int, operator: str) -> OutgoingMessage:
    """Makes a failed (or retrying) message due at once; the ones held behind it follow."""
    found = await uow.outbox.owed(now, only=message_id)
    if not found:
        sent = await uow.outbox.get(message_id)
        raise NotRequeued(f"message {message_id} was sent at {sent.sent_at}" if sent
                          else f"there is no message {message_id}")
    owed = found[0]
    if owed.state == "held":
        raise NotRequeued(f"message {message_id} waits behind message {owed.behind}; requeue that one")
    await uow.outbox.requeue(message_id)
    await uow.audit.record(
        actor=operator, platform=Platform.CONSOLE, at=now, entity="outbox", entity_id=message_id,
        action="delivery_requeued", before={"state": owed.state, "reason": owed.failure_reason}, after=None,
    )
    return owed.message
