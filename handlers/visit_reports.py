"""The buyer's visit report PDF asked for in chat ("Visit report (PDF)" beside the findings
summary): queued for the outbox, which renders it off the loop and sends it as a document.

It is the buyer side's record (handlers/registry.py), so it goes only where every reader may
see all of it: the buyer's chat on the platform asked from, unless that chat is shared with a
factory (handlers.queries.audience), and otherwise the asker's private chat there, as a status
answer's full text does. It is written in the asker's language and time zone, whoever else
reads the chat. Asking changes nothing but the outbox; the request is audited with it.

A report is asked for once: a second tap while the same visit's report to the same chat is
still in the outbox, or arrived there within REPEAT_WINDOW, is told it is on its way and
queues nothing (a double tap, or a colleague in the same chat a moment later). The same
update handled twice is answered from the bus's memory (handlers.bus), once.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.commands import SendVisitReport
from handlers.context import Context
from handlers.model import OutgoingMessage, Person, Platform
from handlers.model.message_kinds import MessageKind
from handlers.queries.audience import EVERY_FACTORY, audience_of
from handlers.results import Refused, Reply
from handlers.routing import Routing

REPEAT_WINDOW = timedelta(minutes=1)


async def send_report(command: SendVisitReport, ctx: Context) -> Reply:
    visit = await ctx.uow.visits.get(command.visit_id)
    if visit is None:
        raise Refused("unknown_visit", visit_id=command.visit_id)
    person, platform = ctx.actor.person, ctx.actor.platform
    address = reader_chat(ctx.settings.routing, person, platform)
    if address is None:
        raise Refused("visit_report_nowhere", order=visit.order_reference)
    owed = await ctx.uow.outbox.on_its_way(platform, address, MessageKind.VISIT_REPORT, ctx.now - REPEAT_WINDOW)
    if any(m.payload.get("visit_id") == visit.id for m in owed):
        return Reply("visit_report_on_its_way", {"order": visit.order_reference})
    message = OutgoingMessage(platform, address, MessageKind.VISIT_REPORT, {"visit_id": visit.id}, person.locale,
                              person.timezone)
    await ctx.enqueue([message])
    await ctx.audit("visit", visit.id, "send_visit_report", None, {"to": f"{platform.value}:{address}"})
    return Reply("visit_report_coming", {"order": visit.order_reference})


def reader_chat(routing: Routing, person: Person, platform: Platform) -> str | None:
    """The buyer's chat on `platform` when only the buyer side reads it, as everyone who may
    ask does (a chat that is also a factory's is read by its contacts: handlers.queries.
    audience); else the asker's private chat there (None without an account on it)."""
    for chat in routing.buyer:
        if chat.platform is platform and audience_of(routing, platform, chat.address, False).sight is EVERY_FACTORY:
            return chat.address
    if platform is Platform.CONSOLE:
        return person.name
    return person.account_on(platform)
