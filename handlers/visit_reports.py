"""The buyer's visit report PDF asked for in chat ("Visit report (PDF)" beside the findings
summary): queued for the outbox, which renders it off the loop and sends it as a document.

It is the buyer side's record (handlers/registry.py), so it goes only where every reader may
see all of it: the buyer's chat on the platform asked from, unless that chat is shared with a
factory (handlers.queries.audience), and otherwise the asker's private chat there, as a status
answer's full text does. It is written in the asker's language and time zone, whoever else
reads the chat. Asking changes nothing but the outbox; the request is audited with it.
"""

from __future__ import annotations

from handlers.commands import SendVisitReport
from handlers.context import Context
from handlers.model import OutgoingMessage, Person, Platform
from handlers.model.message_kinds import MessageKind
from handlers.results import Refused, Reply
from handlers.routing import Routing


async def send_report(command: SendVisitReport, ctx: Context) -> Reply:
    visit = await ctx.uow.visits.get(command.visit_id)
    if visit is None:
        raise Refused("unknown_visit", visit_id=command.visit_id)
    person, platform = ctx.actor.person, ctx.actor.platform
    address = reader_chat(ctx.settings.routing, person, platform)
    if address is None:
        raise Refused("visit_report_nowhere", order=visit.order_reference)
    message = OutgoingMessage(platform, address, MessageKind.VISIT_REPORT, {"visit_id": visit.id}, person.locale,
                              person.timezone)
    await ctx.enqueue([message])
    await ctx.audit("visit", visit.id, "send_visit_report", None, {"to": f"{platform.value}:{address}"})
    return Reply("visit_report_coming", {"order": visit.order_reference})


def reader_chat(routing: Routing, person: Person, platform: Platform) -> str | None:
    """The buyer's chat on `platform` when only the buyer side reads it, as everyone who may
    ask does (a chat that is also a factory's is read by its contacts: handlers.queries.
    audience); else the asker's private chat there (None without an account on it)."""
    factories = {(d.platform, d.address) for chats in routing.factories.values() for d in chats}
    for chat in routing.buyer:
        if chat.platform is platform and (platform, chat.address) not in factories:
            return chat.address
    if platform is Platform.CONSOLE:
        return person.name
    return person.account_on(platform)
