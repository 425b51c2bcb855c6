"""The one way into the core: authorise, handle in one transaction, remember the update.

Each command first locks the update it comes with and then what it aims at
(handlers/locking.py): on PostgreSQL, where replicas handle commands side by side, that is
what makes its checks hold until its change commits.

Every adapter (console, Telegram, Slack, the command line) hands its commands here. A command
carrying an update key that was handled before gets the first answer again and changes
nothing, so a redelivered Telegram update or a retried Slack event has one effect. An answer
to a question the bot asked (handlers/prompts.py) takes the question in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers import commands as c
from handlers import refusals
from handlers.clock import Clock
from handlers.commands import Actor
from handlers.context import Context, Settings
from handlers.deferred_writes import DeferredWrites
from handlers.locking import lock_of
from handlers.model.reading import WriteNeeded
from handlers.prompts import ASK_AGAIN, Prompt
from handlers.results import ALREADY, Refused, Reply
from handlers.refusals import Recorded, Refusal
from handlers.registry import COMMANDS
from handlers.rights import Forbidden, authorise, check_role

log = logging.getLogger(__name__)

CommandFor = Callable[[str, int], "c.Command | None"]  # (action, target) asked for -> the answer's command
BeforeCommit = Callable[[], Awaitable[None]]
Rider = Callable[[object], Awaitable[None]]  # given the unit of work about to commit a change
SEEN = 4096  # targets the bus remembers having handled a command on (`MessageBus.handle`)

class MessageBus:
    def __init__(self, store, clock: Clock, settings: Settings):
        self.store = store
        self.clock = clock
        self.settings = settings
        self.repeats = RepeatKeys(store, clock, self.ride_in)
        self._riders: list[Rider] = [self.repeats.ride]
        self._changes = 0  # changes whose bookkeeping was taken to ride in their commit, so far
        self._committing = 0  # of those, the ones whose commit has not returned yet
        self._seen: dict[str, None] = {}  # targets handled here, oldest first, at most SEEN

    def ride_along(self, rider: Rider) -> None:
        """`rider` writes its bookkeeping in every transaction that commits a change, before
        the commit (handlers/deferred_writes.py)."""
        self._riders.append(rider)

    async def ride_in(self, uow) -> None:
        """The bookkeeping waiting, written in `uow`, a transaction about to commit."""
        for ride in self._riders:
            await ride(uow)

    async def may(self, command: c.Command, actor: Actor, update_key: str | None = None) -> Reply | None:
        """None when `actor` may give `command` on its target; else the refusal, audited as
        `handle` audits it. Asked before the bot asks for words or photos, so nobody types or
        uploads what would be refused. The refusal is remembered for `update_key`: handling or
        asking again for the same update answers it from memory, audited once."""
        async with self.store.reading() as uow:
            if update_key and (earlier := await uow.updates.result_of(update_key)) is not None:
                reply = Reply.from_dict(earlier)
                return None if reply.ok else reply
            try:
                await authorise(command, actor, uow)
            except Forbidden as forbidden:
                log.info("refused %s for %s: %s", type(command).__name__, actor.person.key, forbidden)
                reply, refusal = forbidden.reply, refusal_of(command, actor, forbidden)
            else:
                return None
        await self._audit(refusal, reply, update_key)
        return reply

    async def may_give(self, kind: type[c.Command], actor: Actor) -> Reply | None:
        """None when `actor`'s role may give commands of `kind` at all; else the refusal,
        audited. Asked before taking in what such a command is made of (a visit report's
        files), when there is no target yet to judge."""
        try:
            check_role(kind, actor)
        except Forbidden as forbidden:
            log.info("refused %s for %s: %s", kind.__name__, actor.person.key, forbidden)
            refusal = Refusal(actor.person.identity, actor.platform, actor.user_id, kind.__name__, forbidden.reply.code)
            await self._audit(refusal, forbidden.reply, None)
            return forbidden.reply
        return None

    async def handle(self, command: c.Command, actor: Actor, update_key: str | None = None,
                     before_commit: BeforeCommit | None = None) -> Reply:
        """`before_commit` runs once the command is accepted, inside its transaction: what it
        keeps outside the database (a photo file) is kept exactly when the change is; a tap
        lets its chat's next tap go (bot/telegram/chat_order.py).

        A repeat ("already", handlers/transitions.py) is answered from what the transaction
        read, which commits nothing: its key rides in the next change committed, or is written
        with other repeats' soon after (`RepeatKeys`). It is in every change this process
        commits after the read; the update handled again before it is written (a crash
        meanwhile) is read again, from a state nothing here changed.

        A short command on a target handled here before (a repeat is likely) is first tried as
        a read (`_from_read`), which never waits for the writer; what would change something is
        then done here, as a write. On a target new here (the first approval of each finding in
        a burst) the read would be wasted: it cost each first approval 0.12-0.2 ms of the loop."""
        short, decided = COMMANDS[type(command)].short, None
        if short and self._seen_before(lock_of(command, actor)):
            decided = await self._from_read(command, actor, update_key)
        if decided is None:
            async with self.store.unit_of_work(short=short) as uow:
                decided = await self._decide(uow, command, actor, update_key)
                if decided.applied and decided.reply.code != ALREADY:
                    await self._commit(uow, decided.reply, update_key, before_commit)
                elif decided.applied and update_key:  # kept before the store is let go: no change commits without it
                    self.repeats.add((update_key, decided.reply))
        if decided.refusal is not None:
            await self._audit(decided.refusal, decided.reply, update_key)
        return decided.reply

    def _seen_before(self, target: str) -> bool:
        """Whether a command on `target` was handled here before; remembered from now on, the
        oldest forgotten past SEEN. A hint only: either way the answer is the same."""
        seen = self._seen.pop(target, False) is None
        self._seen[target] = None
        if len(self._seen) > SEEN:
            del self._seen[next(iter(self._seen))]
        return seen

    async def _from_read(self, command: c.Command, actor: Actor, update_key: str | None) -> Decided | None:
        """What `handle` decides when that needs no write: the update's earlier answer, a repeat
        ("already"), or a refusal (audited afterwards, as `handle` audits it); None when the
        command would change something, or when a change of this process may have been
        committing unseen by the read. Such a change may be one the command must see: a chat's
        next tap is decided while the last one's change commits (bot/telegram/chat_order.py),
        and a read before that commit would refuse, or answer, from the state before the tap.
        And a repeat's key must be in every change committed after the state it was answered
        from; one whose bookkeeping was taken before the key was queued would not carry it."""
        if self._committing:
            return None
        changes = self._changes
        try:
            async with self.store.reading() as uow:
                decided = await self._decide(uow, command, actor, update_key)
        except WriteNeeded:
            return None
        if self._committing or self._changes != changes:
            return None
        if decided.applied:
            if decided.reply.code != ALREADY:
                return None
            if update_key:
                self.repeats.add((update_key, decided.reply))
        return decided

    async def _decide(self, uow, command: c.Command, actor: Actor, update_key: str | None) -> Decided:
        if update_key and (earlier := await _earlier(uow, update_key)) is not None:
            return Decided(Reply.from_dict(earlier))
        try:
            return Decided(await self._apply(uow, command, actor), applied=True)
        except Refused as refused:
            return Decided(refused.reply, refusal=audited_as(command, actor, refused))

    async def answer(self, prompt: Prompt, actor: Actor, update_key: str, command_for: CommandFor,
                     keep_as: str | None = None, before_commit: BeforeCommit | None = None) -> Reply | None:
        """Answers the question the bot asked at `prompt` with the command `command_for(action,
        target)` makes of it: the question is taken, and the command applied, in one transaction.
        None, leaving the question as it was, when nothing waits there or the input does not
        answer that kind of question (`command_for` gives None). An answer that does not answer
        (`ASK_AGAIN`) leaves it open; any other refusal closes it. `keep_as` keeps the question
        open under another key for what follows (the rest of an album, more photos in a thread)."""
        async with self.store.unit_of_work() as uow:
            if (earlier := await _earlier(uow, update_key)) is not None:
                return Reply.from_dict(earlier)
            await uow.locks.prompts(prompt.platform, prompt.chat, prompt.user,
                                    [prompt.key] if keep_as is None else [prompt.key, keep_as])
            asked = await uow.pending.take(prompt.platform, prompt.chat, prompt.user, prompt.key)
            command = None if asked is None else command_for(*asked)
            if command is None:
                return None
            try:
                reply = await self._apply(uow, command, actor)
            except Refused as refused:
                reply, refusal = refused.reply, audited_as(command, actor, refused)
            else:
                if keep_as is not None:
                    action, target = asked
                    await uow.pending.expect(prompt.platform, prompt.chat, prompt.user, keep_as, action, target,
                                             self.clock.now())
                await self._commit(uow, reply, update_key, before_commit)
                return reply
        if reply.code not in ASK_AGAIN:
            await self._close(prompt, reply, update_key, refusal)  # rights never ask again
        return reply

    async def handled(self, update_key: str) -> Reply | None:
        """The answer an update got when it was handled, or None if it never was: a platform's
        redelivery, or the replay of an update stored before a crash, is answered the same."""
        async with self.store.reading() as uow:
            earlier = await uow.updates.result_of(update_key)
        return None if earlier is None else Reply.from_dict(earlier)

    async def _apply(self, uow, command: c.Command, actor: Actor) -> Reply:
        try:
            await uow.locks.target(lock_of(command, actor))  # before anything it changes is read
            await authorise(command, actor, uow)
            ctx = Context(uow, actor, self.clock.now(), self.settings)
            return await COMMANDS[type(command)].handler(command, ctx)
        except Refused as refused:
            log.info("refused %s for %s: %s", type(command).__name__, actor.person.key, refused)
            raise

    async def _commit(self, uow, reply: Reply, update_key: str | None, before_commit: BeforeCommit | None) -> None:
        if update_key:
            await uow.updates.remember(update_key, reply.as_dict(), self.clock.now())
        self._changes += 1
        self._committing += 1  # before `before_commit`, which may let a chat's next tap go
        try:
            if before_commit is not None:
                await before_commit()
            await self.ride_in(uow)
            await uow.commit()
        finally:
            self._committing -= 1

    async def _close(self, prompt: Prompt, reply: Reply, update_key: str, refusal: Refusal | None) -> None:
        """A refused answer closes its question, with the refusal remembered for the update
        (and audited, when the person's rights refused it): the refused command changed
        nothing, so this needs no place in its transaction."""
        async with self.store.unit_of_work(short=True) as uow:
            if await _earlier(uow, update_key) is not None:
                return
            await uow.locks.prompts(prompt.platform, prompt.chat, prompt.user, [prompt.key])
            await uow.pending.take(prompt.platform, prompt.chat, prompt.user, prompt.key)
            if refusal is not None:
                await refusals.record(uow, refusal, self.clock.now())
            await uow.updates.remember(update_key, reply.as_dict(), self.clock.now())
            await uow.commit()

    async def _audit(self, refusal: Refusal, reply: Reply, update_key: str | None) -> None:
        """A command the person's rights refused is audited, in a transaction of its own (its
        own work was rolled back), with the refusal remembered for the update: a redelivered
        update is refused again from memory, and audited once."""
        async with self.store.unit_of_work(short=True) as uow:
            if update_key and await _earlier(uow, update_key) is not None:
                return
            await refusals.record(uow, refusal, self.clock.now())
            if update_key:
                await uow.updates.remember(update_key, reply.as_dict(), self.clock.now())
            await uow.commit()


@dataclass(frozen=True)
class Decided:
    """A command's answer as its unit of work decided it: `applied` when its handler answered
    (a change to commit, or a repeat), else the update's earlier answer or a refusal, with what
    the audit trail keeps of it (`refusal`, audited once the unit of work is let go)."""

    reply: Reply
    applied: bool = False
    refusal: Refusal | None = None


class RepeatKeys(DeferredWrites[tuple[str, Reply]]):
    """The keys of repeats answered from a read, and their answers, written late (see
    `MessageBus.handle`)."""

    name = "keys of repeated updates"

    def __init__(self, store, clock: Clock, ride_all) -> None:
        super().__init__(store, ride_all)
        self.clock = clock

    async def write(self, uow, batch: list[tuple[str, Reply]]) -> None:
        await uow.updates.keep_all({key: reply.as_dict() for key, reply in batch}, self.clock.now())


async def _earlier(uow, update_key: str) -> dict | None:
    """The answer remembered for the update, read under the update's lock (storage.locks): a
    replica handling the same update meanwhile is waited for, and its answer found, so the
    update is handled once."""
    await uow.locks.update(update_key)
    return await uow.updates.result_of(update_key)


def audited_as(command: c.Command, actor: Actor, refused: Refused) -> Refusal | None:
    """What the audit trail keeps of `refused`: a refusal of the person's rights, or one its
    handler recorded; None for an answer about the state of things ("already approved")."""
    if isinstance(refused, Forbidden):
        return refusal_of(command, actor, refused)
    if isinstance(refused, Recorded):
        return refused.refusal
    return None


def refusal_of(command: c.Command, actor: Actor, forbidden: Forbidden) -> Refusal:
    return Refusal(actor.person.identity, actor.platform, actor.user_id, type(command).__name__,
                   forbidden.reply.code, refusals.target_of(command))
