"""Delivers the outbox: each message due is claimed, rendered from the current state, handed
to its platform's adapter, then marked sent. A crash between the change and delivery loses
nothing, because the message was committed with the change.

- Order: only the oldest unsent message of a destination is ever claimed, so a message
  waiting for its retry, or failed for a reason about its chat, holds the later ones.
- Chats at once: up to `at_once` destinations are delivered side by side, one message at a
  time each, so one chat's rate limit (the outbox, not the client, waits out retry_after)
  or a slow upload holds up only that chat.
- Taps first: the dispatcher shares the event loop with the chats' taps; the claims filling a
  round's free slots, made together in one short unit of work, wait until the updates the chat
  runtimes count in `foreground` are no backlog and a turn of the loop is quiet, a tenth of a
  second at most (bot/background.py `give_way`), and a message that a later
  copy of it in its queue shows is settled without a call (bot/outbox/latest_only.py).
  Deliveries claimed together start together: which of two chats reaches its platform first
  is not promised, only each chat's own order.
- Pacing: a chat whose next send would go over its platform's flood limits (the adapter's
  `ready_in`, bot/outbox/pacing.py) is not claimed until it may go, so it holds no slot; the
  round lasts while such a chat has a message due, looking again at least every `PACED_POLL`.
- Bookkeeping: a message delivered is marked sent in the transaction of the round's next
  claims, which follows at once (a quiet turn of the loop at most): one commit, and one fsync,
  a delivery rather than two. A crash in between sends that message again, as a crash between
  sending and marking always did (see Replicas).
- Replicas: a message is claimed in a write transaction, for a short `lease` renewed while
  the send is in flight; several dispatchers on one database never send it both (on PostgreSQL,
  by per-chat locks, not one for the whole store: replicas deliver side by side, and a tap
  never waits for a delivery's bookkeeping; docs/claims.md). A replica
  that dies mid-send leaves a claim that its successor on the same machine releases at once
  (bot/outbox/replica.py), or that runs out; the message (that one only) is sent again.
- Failures: the adapter says whether a failure is transient (retried with backoff, or after
  the server's retry_after) or permanent (failed, recorded, the buyer alerted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from bot.background import Foreground, give_way
from bot.outbox.backoff import Backoff
from bot.outbox.failures import Failure, Permanent, Reason, Transient, describe
from bot.outbox.latest_only import repeated_later
from bot.outbox.pacing import DELIVERY_DEADLINE
from bot.outbox.progress import Progress
from bot.outbox.replica import Replica
from handlers.clock import Clock
from handlers.context import Settings
from handlers.delivery import Undeliverable, fail_delivery
from handlers.model import OutgoingMessage, Platform
from handlers.posted_visits import PostedVisits
from handlers.views import View, load_view
from storage.outbox import Claim

log = logging.getLogger(__name__)

# A claim's lease, renewed every third of it while the send is in flight: short, so that the
# claims of a replica that died on another machine run out soon.
LEASE = timedelta(seconds=30)
# One delivery may take this long (real time) before it is abandoned as a transient failure;
# a paced delivery this long from its last send on (bot/outbox/pacing.py DELIVERY_DEADLINE).
SEND_TIMEOUT = 240.0
CHATS_AT_ONCE = 4
# How often a running dispatcher tells the store which platforms it delivers (migration 0011).
SEEN_EVERY = timedelta(minutes=1)
# How often it looks for claims of dead processes: at its first round (a predecessor killed
# mid-send), then now and then (a sibling on the same machine); a lease runs out anyway.
TIDY_EVERY = timedelta(seconds=10)
# How long a round waits at most, with only paced chats left, before it looks for new messages.
PACED_POLL = 0.5


class Outcome(Enum):
    """A delivery that did not end in `Sent`."""

    DESTINATION_WAITS = "destination waits"  # to be retried, or failed for a reason about the chat
    MESSAGE_DROPPED = "message dropped"  # failed for its own content: the chat carries on


@dataclass(frozen=True)
class Sent:
    """A message delivered, to be marked sent with the round's next claims."""

    message_id: int
    at: datetime
    reference: str | None


class Adapter(Protocol):
    platform: Platform

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress) -> str | None:
        """Sends the message, its parts through `progress`; returns the platform's reference."""

    def classify(self, error: Exception) -> Failure | None:
        """What a failure of `deliver` means; None for an error the adapter does not know."""

    def ready_in(self, destination: str) -> float:
        """Seconds until the destination may be sent to within the platform's flood limits."""


class _Held:
    """The destinations not to claim now: being sent to, or paced. Asked by the claim for each
    chat with a message due, it keeps how soon the first paced one may go."""

    def __init__(self, busy: set[tuple[Platform, str]], adapters: dict[Platform, Adapter]):
        self.busy = busy
        self.adapters = adapters
        self.soonest: float | None = None

    def __contains__(self, where: tuple[Platform, str]) -> bool:
        if where in self.busy:
            return True
        if (wait := self.adapters[where[0]].ready_in(where[1])) <= 0:
            return False
        self.soonest = wait if self.soonest is None else min(self.soonest, wait)
        return True


class Dispatcher:
    def __init__(self, store, settings: Settings, adapters: dict[Platform, Adapter], clock: Clock,
                 backoff: Backoff = Backoff(), replica: str | None = None, lease: timedelta = LEASE,
                 send_timeout: float = SEND_TIMEOUT, at_once: int = CHATS_AT_ONCE):
        self.store = store
        self.settings = settings
        self.adapters = adapters
        self.clock = clock
        self.backoff = backoff
        self.replica = replica or str(Replica.this_process())
        self.lease = lease
        self.send_timeout = send_timeout
        self.at_once = at_once
        # Claims already keep two runs from sending a message twice; this keeps one process
        # from racing itself for the same messages.
        self._one_at_a_time = asyncio.Lock()
        self._seen: tuple[datetime, frozenset[Platform]] | None = None
        self._tidied: datetime | None = None
        self._visits = PostedVisits()  # a burst of decisions on a visit reads and analyses its report once
        self.foreground = Foreground()  # the updates people wait on, counted by the chat runtimes

    def add_adapter(self, adapter: Adapter) -> None:
        """A platform that starts after the core (its client is built at start-up)."""
        self.adapters[adapter.platform] = adapter

    async def deliver_pending(self) -> int:
        """Delivers what is due on the platforms this process runs; returns how many. A
        destination whose message failed in this run is not tried again until the next."""
        async with self._one_at_a_time:
            await self._tidy()
            return await self._round()

    async def stop(self) -> None:
        """A clean stop: claims let go (a send cut off is repeated by the next run, as after a
        crash) and this dispatcher no longer counted as delivering."""
        async with self.store.unit_of_work() as uow:
            await uow.outbox.release(self.replica)
            await uow.deliverers.gone(self.replica)
            await uow.commit()

    async def _round(self) -> int:
        delivered = 0
        busy: set[tuple[Platform, str]] = set()  # being sent now, or waiting for the next round
        sending: dict[asyncio.Task, tuple[Platform, str]] = {}
        sent: list[Sent] = []  # delivered, marked with the next claims
        try:
            while True:
                held = _Held(busy, self.adapters)
                for claim in await self._next(held, self.at_once - len(sending), sent):
                    where = (claim.message.platform, claim.message.destination)
                    busy.add(where)
                    sending[asyncio.create_task(self._deliver(claim), name=f"deliver {claim.message.id}")] = where
                paced = None if held.soonest is None else min(held.soonest, PACED_POLL)
                if not sending:
                    if paced is None:
                        return delivered
                    await asyncio.sleep(paced)
                    continue
                done, _ = await asyncio.wait(sending, timeout=paced, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    where = sending.pop(task)
                    outcome = _outcome(task)
                    if isinstance(outcome, Sent):
                        sent.append(outcome)
                        delivered += 1
                    if outcome is not Outcome.DESTINATION_WAITS:
                        busy.discard(where)
        finally:
            for task in sending:
                task.cancel()
            sent += [done for done in await asyncio.gather(*sending, return_exceptions=True) if isinstance(done, Sent)]
            if sent:  # a round cut short: what it delivered is marked still
                await self._claim(set(), 0, sent)

    async def announce(self) -> None:
        """Tells the store, about once a minute, which platforms this running dispatcher delivers
        (for `followup outbox`); the running bot's delivery loop calls it, a one-off command not.
        When they change (at start), messages owed on other platforms are logged: they wait."""
        now, platforms = self.clock.now(), frozenset(self.adapters)
        if self._seen is not None and self._seen[1] == platforms and now - self._seen[0] < SEEN_EVERY:
            return
        async with self.store.unit_of_work() as uow:
            await uow.deliverers.seen(self.replica, list(platforms), now)
            owed = await uow.outbox.counts() if self._seen is None or self._seen[1] != platforms else {}
            await uow.commit()
        self._seen = (now, platforms)
        for platform, count in sorted(owed.items()):
            if platform not in platforms:
                log.warning("outbox messages for %s wait (%d): this bot does not run %s (no token); see"
                            " `followup outbox`", platform, count, platform)

    async def _tidy(self) -> None:
        """Releases the claims of processes known to be dead (a predecessor killed mid-send)."""
        now = self.clock.now()
        if self._tidied is not None and now - self._tidied < TIDY_EVERY:
            return
        self._tidied = now
        async with self.store.unit_of_work() as uow:
            others = set(await uow.outbox.claimants(now)) | set(await uow.deliverers.replicas())
            dead = [c for c in others - {self.replica} if (r := Replica.parse(c)) is not None and r.is_dead()]
            for claimant in dead:
                if released := await uow.outbox.release(claimant):
                    log.info("released the outbox claims of %s, a process that is gone (%d)", claimant, released)
                await uow.deliverers.gone(claimant)
            if dead:
                await uow.commit()

    async def _next(self, skip: _Held, free: int, sent: list[Sent]) -> list[Claim]:
        """Up to `free` messages to deliver, to as many destinations, claimed together once the
        taps in flight had their turn, and the messages `sent` marked so. Fewer means nothing
        else is due now: the round waits for a delivery to finish before it looks again, where
        claiming one at a time looked once more after each claim, in vain in a burst to one
        chat, and gave way again to do so."""
        if free <= 0 and not sent:
            return []
        await give_way(foreground=self.foreground)
        return await self._claim(skip, free, sent)

    async def _claim(self, skip: Container[tuple[Platform, str]], up_to: int, sent: list[Sent]) -> list[Claim]:
        """The messages `sent` marked so (emptied once committed), then up to `up_to` messages to
        deliver, the oldest due first; those a later copy of them shows are settled on the way,
        in the same transaction (bot/outbox/latest_only.py), and their chats' next messages
        looked for again. A short unit of work: point reads and writes, on the loop. One that
        found nothing and had nothing to mark writes nothing and is not committed, so it never
        goes to the store's thread."""
        now, claims, settled = self.clock.now(), [], False
        async with self.store.unit_of_work(short=True) as uow:
            for done in sent:
                await uow.outbox.mark_sent(done.message_id, done.at, done.reference)
            while len(claims) < up_to:
                found = await uow.outbox.claim_due(list(self.adapters), now, self.replica, now + self.lease, skip,
                                                   up_to - len(claims))
                settled_now = False
                for claim in found:
                    if await repeated_later(uow, claim.message):
                        await uow.outbox.mark_sent(claim.message.id, now)
                        settled = settled_now = True
                    else:
                        claims.append(claim)
                if not settled_now:  # else a chat settled has a next message, maybe due
                    break
            if claims or settled or sent:
                await uow.commit()
        sent.clear()
        return claims

    async def _deliver(self, claim: Claim) -> Outcome | Sent:
        message = claim.message
        adapter = self.adapters[message.platform]
        deadline = asyncio.timeout(self.send_timeout)
        paced = DELIVERY_DEADLINE.set((deadline, self.send_timeout))
        try:
            async with self.store.unit_of_work() as uow:
                view = await load_view(uow, self.settings, message.kind, message.payload, self._visits)
            async with deadline, self._leased(message):
                reference = await adapter.deliver(message, view, Progress(self.store, message.id, claim.parts))
        except Exception as exc:  # noqa: BLE001 - every failure is classified, recorded and logged
            if deadline.expired():
                failure = Transient(f"took longer than {self.send_timeout:g} s")
            else:
                failure = adapter.classify(exc) or self._unexpected(message, exc)
            return await self._failed(claim, failure)
        finally:
            DELIVERY_DEADLINE.reset(paced)
        return Sent(message.id, self.clock.now(), reference)

    @contextlib.asynccontextmanager
    async def _leased(self, message: OutgoingMessage):
        """The claim on `message` renewed while the block runs."""
        renewing = asyncio.create_task(self._renew(message), name=f"lease {message.id}")
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _renew(self, message: OutgoingMessage) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.store.unit_of_work(short=True) as uow:
                    held = await uow.outbox.renew(message.id, self.replica, self.clock.now() + self.lease)
                    await uow.commit()
            except Exception:  # noqa: BLE001 - the next renewal tries again; the send goes on
                log.warning("could not renew the claim on outbox message %s", message.id, exc_info=True)
                continue
            if not held:
                log.warning("outbox message %s: claim lost while sending (another replica may send it too)",
                            message.id)
                return

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
        async with self.store.unit_of_work(short=True) as uow:
            alerted = await fail_delivery(uow, self.settings, now, message, undeliverable)
            await uow.commit()
        if not alerted:
            log.error("outbox message %s: nobody to alert (an alert itself, or for the buyer, who has no chat on"
                      " another platform); see `followup outbox`", message.id)
        return Outcome.DESTINATION_WAITS if failure.holds_destination else Outcome.MESSAGE_DROPPED

    async def _retry_later(self, message: OutgoingMessage, failure: Transient, now) -> None:
        at = now + self.backoff.delay(message.attempts + 1, failure.retry_after)
        log.warning("outbox message %s (%s to %s on %s) failed (attempt %s), next attempt at %s: %s", message.id,
                    message.kind, message.destination, message.platform, message.attempts + 1, at.isoformat(),
                    failure.detail)
        async with self.store.unit_of_work(short=True) as uow:
            await uow.outbox.reschedule(message.id, now, at, failure.detail)
            await uow.commit()



def _outcome(task: asyncio.Task) -> Outcome | Sent:
    """A delivery's outcome; one that broke (the store unreachable …) is logged and its chat
    waits for the next round, its claim running out."""
    if (error := task.exception()) is not None:
        log.error("delivering outbox message failed (%s); the chat waits for the next round", task.get_name(),
                  exc_info=error)
        return Outcome.DESTINATION_WAITS
    return task.result()
