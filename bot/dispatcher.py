"""Delivers the outbox: each message due is claimed, rendered from the current state, handed
to its platform's adapter, then marked sent. A crash between the change and delivery loses
nothing, because the message was committed with the change.

- Order: only the oldest unsent message of a destination is ever claimed, so a message
  waiting for its retry, or failed for a reason about its chat, holds the later ones.
- Replicas: a message is claimed in a write transaction, for `lease`, before it is sent;
  several dispatchers on one database never send it both. A replica that dies mid-send
  leaves a claim that runs out, and the message (that one only) is sent again.
- Failures: the adapter says whether a failure is transient (retried with backoff, or after
  the server's retry_after) or permanent (failed, recorded, the buyer alerted).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from datetime import timedelta
from enum import Enum
from typing import Protocol

from bot.backoff import Backoff
from bot.failures import Failure, Permanent, Reason, Transient, describe
from bot.progress import Progress
from handlers.clock import Clock
from handlers.context import Settings
from handlers.delivery import Undeliverable, fail_delivery
from handlers.model import OutgoingMessage, Platform
from handlers.views import View, load_view
from storage.outbox import Claim

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# One delivery may take this long (real time) before it is abandoned as a transient failure:
# well inside the lease, so no other replica can take the message over while it is sent.
SEND_TIMEOUT = 240.0


class Outcome(Enum):
    SENT = "sent"
    DESTINATION_WAITS = "destination waits"  # to be retried, or failed for a reason about the chat
    MESSAGE_DROPPED = "message dropped"  # failed for its own content: the chat carries on


class Adapter(Protocol):
    platform: Platform

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress) -> str | None:
        """Sends the message, its parts through `progress`; returns the platform's reference."""

    def classify(self, error: Exception) -> Failure | None:
        """What a failure of `deliver` means; None for an error the adapter does not know."""


def replica_name() -> str:
    """Who holds a claim: the host, the process and a random part (a restarted process is
    another replica: it must not take over its predecessor's claims before they run out)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Dispatcher:
    def __init__(self, store, settings: Settings, adapters: dict[Platform, Adapter], clock: Clock,
                 backoff: Backoff = Backoff(), replica: str | None = None, lease: timedelta = LEASE,
                 send_timeout: float = SEND_TIMEOUT):
        self.store = store
        self.settings = settings
        self.adapters = adapters
        self.clock = clock
        self.backoff = backoff
        self.replica = replica or replica_name()
        self.lease = lease
        self.send_timeout = send_timeout
        # Claims already keep two runs from sending a message twice; this keeps one process
        # from racing itself for the same messages.
        self._one_at_a_time = asyncio.Lock()

    def add_adapter(self, adapter: Adapter) -> None:
        """A platform that starts after the core (its client is built at start-up)."""
        self.adapters[adapter.platform] = adapter

    async def deliver_pending(self) -> int:
        """Delivers what is due on the platforms this process runs; returns how many. A
        destination whose message failed in this run is not tried again until the next."""
        async with self._one_at_a_time:
            delivered = 0
            waiting: set[tuple[Platform, str]] = set()
            while (claim := await self._claim(frozenset(waiting))) is not None:
                outcome = await self._deliver(claim)
                if outcome is Outcome.SENT:
                    delivered += 1
                elif outcome is Outcome.DESTINATION_WAITS:
                    waiting.add((claim.message.platform, claim.message.destination))
            return delivered

    async def _claim(self, skip: frozenset[tuple[Platform, str]]) -> Claim | None:
        now = self.clock.now()
        async with self.store.unit_of_work() as uow:
            claim = await uow.outbox.claim_next(list(self.adapters), now, self.replica, now + self.lease, skip)
            await uow.commit()
        return claim

    async def _deliver(self, claim: Claim) -> Outcome:
        message = claim.message
        adapter = self.adapters[message.platform]
        deadline = asyncio.timeout(self.send_timeout)
        try:
            async with self.store.unit_of_work() as uow:
                view = await load_view(uow, self.settings, message.kind, message.payload)
            async with deadline:
                reference = await adapter.deliver(message, view, Progress(self.store, message.id, claim.parts))
        except Exception as exc:  # noqa: BLE001 - every failure is classified, recorded and logged
            if deadline.expired():
                failure = Transient(f"took longer than {self.send_timeout:g} s")
            else:
                failure = adapter.classify(exc) or self._unexpected(message, exc)
            return await self._failed(claim, failure)
        async with self.store.unit_of_work() as uow:
            await uow.outbox.mark_sent(message.id, self.clock.now(), reference)
            await uow.commit()
        return Outcome.SENT

    def _unexpected(self, message: OutgoingMessage, exc: Exception) -> Transient:
        """An error no adapter knows (a bug, a library change): tried again like a transient
        one, with its traceback in the log, until the day's ceiling makes it `gave_up`."""
        log.exception("delivering outbox message %s (%s to %s on %s) failed unexpectedly", message.id,
                      message.kind, message.destination, message.platform)
        return Transient(describe(exc))

    async def _failed(self, claim: Claim, failure: Failure) -> Outcome:
        message, now = claim.message, self.clock.now()
        if isinstance(failure, Transient) and claim.retrying_since is not None \
                and now - claim.retrying_since >= self.backoff.give_up_after:
            failure = Permanent(Reason.GAVE_UP, failure.detail)
        if isinstance(failure, Transient):
            await self._retry_later(message, failure, now)
            return Outcome.DESTINATION_WAITS
        log.error("outbox message %s (%s to %s on %s) failed permanently, %s: %s", message.id, message.kind,
                  message.destination, message.platform, failure.reason, failure.detail)
        undeliverable = Undeliverable(failure.reason.value, failure.detail, failure.holds_destination)
        async with self.store.unit_of_work() as uow:
            alerted = await fail_delivery(uow, self.settings, now, message, undeliverable)
            await uow.commit()
        if not alerted:
            log.error("outbox message %s was for the buyer: nobody else to alert; see `followup outbox`", message.id)
        return Outcome.DESTINATION_WAITS if failure.holds_destination else Outcome.MESSAGE_DROPPED

    async def _retry_later(self, message: OutgoingMessage, failure: Transient, now) -> None:
        at = now + self.backoff.delay(message.attempts + 1, failure.retry_after)
        log.warning("outbox message %s (%s to %s on %s) failed (attempt %s), next attempt at %s: %s", message.id,
                    message.kind, message.destination, message.platform, message.attempts + 1, at.isoformat(),
                    failure.detail)
        async with self.store.unit_of_work() as uow:
            await uow.outbox.reschedule(message.id, now, at, failure.detail)
            await uow.commit()

