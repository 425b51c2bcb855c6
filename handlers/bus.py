"""The one way into the core: authorise, handle in one transaction, remember the update.

Every adapter (console, Telegram, Slack, web page) hands its commands here. A command
carrying an update key that was handled before gets the first answer again and changes
nothing, so a redelivered Telegram update or a retried Slack event has one effect.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from handlers import commands as c
from handlers import commitments, decisions, escalation, evidence, notices, people, visits
from handlers.orders import importing
from handlers.clock import Clock
from handlers.commands import Actor
from handlers.context import Context, Settings
from handlers.results import Refused, Reply
from handlers.rights import authorise

log = logging.getLogger(__name__)

Handler = Callable[[Any, Context], Awaitable[Reply]]

HANDLERS: dict[type, Handler] = {
    c.PostVisit: visits.post_visit,
    c.ImportOrders: importing.import_orders,
    c.ApproveInstruction: decisions.approve,
    c.EditInstruction: decisions.edit,
    c.RejectInstruction: decisions.reject,
    c.SendNotice: notices.send,
    c.AcknowledgeNotice: notices.acknowledge,
    c.DisputeNotice: notices.dispute,
    c.ReportDone: evidence.report_done,
    c.VerifyInstruction: evidence.verify,
    c.ReopenInstruction: evidence.reopen,
    c.RemindFactory: escalation.remind,
    c.EscalateToManager: escalation.escalate_to_manager,
    c.ExtendDeadline: escalation.extend,
    c.CancelNotice: escalation.cancel,
    c.CommitToDate: commitments.commit,
    c.AcceptCommitment: commitments.accept,
    c.DeclineCommitment: commitments.decline,
    c.ConfirmBinding: people.confirm,
    c.RefuseBinding: people.refuse,
    c.RevokeContact: people.revoke,
}


class MessageBus:
    def __init__(self, store, clock: Clock, settings: Settings):
        self.store = store
        self.clock = clock
        self.settings = settings

    async def handle(self, command: c.Command, actor: Actor, update_key: str | None = None) -> Reply:
        async with self.store.unit_of_work() as uow:
            if update_key and (earlier := await uow.updates.result_of(update_key)) is not None:
                return Reply.from_dict(earlier)
            try:
                await authorise(command, actor, uow)
                ctx = Context(uow, actor, self.clock.now(), self.settings)
                reply = await HANDLERS[type(command)](command, ctx)
            except Refused as refused:
                log.info("refused %s for %s: %s", type(command).__name__, actor.person.key, refused)
                return refused.reply
            if update_key:
                await uow.updates.remember(update_key, reply.as_dict(), ctx.now)
            await uow.commit()
            return reply
