"""Someone the bot does not act for yet, acting: they redeem a buyer's invitation, or, in a
factory's chat, ask the buyer to confirm them as its contact. They act as a stranger, known
by their platform account alone, whom handlers.rights lets give these two commands and
nothing else. What changes is audited in its transaction; what is refused is audited too
(handlers.refusals.Recorded), under the account that tried."""

from __future__ import annotations

from handlers import refusals
from handlers.commands import AskToAct, RedeemInvite
from handlers.context import Context
from handlers.model import (BindingRequest, BindingVia, Identity, Person, PlatformAccount, RedeemExpired, RedeemOk,
                            RedeemResult, RedeemUnknown, RedeemUsed, RequestOutcome, Role)
from handlers.people import ENTITY, account_key
from handlers.refusals import Recorded, Refusal
from handlers.results import Reply
from handlers.routing import Destination, Routing

FACTORY_LOCALE = "zh_Hans_CN"  # what a new factory contact reads until they say otherwise (messages.i18n.CHINESE)
NOT_REDEEMED = {RedeemUnknown: "unknown_invite", RedeemExpired: "expired_invite", RedeemUsed: "used_invite"}


def stranger(account: PlatformAccount, name: str | None = None) -> Person:
    """Someone the bot does not act for, as the audit trail names them: by what they call
    themselves, or by their user id where the platform does not say."""
    return Person(name=contact_name(name or "", account), role=Role.STRANGER, bound=account)


def contact_name(name: str, account: PlatformAccount) -> str:
    """The name someone gave their account, as a Person holds it: one line, at most 200
    characters; their user id when it is blank."""
    return " ".join(name.split())[:200] or account.user_id


async def redeem(command: RedeemInvite, ctx: Context) -> Reply:
    """Uses the code once and binds the account to its factory, with the audit event. A code
    that is unknown, used or expired, or whose factory was taken out of followup.toml,
    stays as it was and the attempt is recorded as refused."""
    account = ctx.actor.person.bound
    name = contact_name(command.name, account)
    result = await ctx.uow.invites.redeem(command.code.strip(), account.platform, account.user_id, ctx.now)
    factory = ctx.settings.factories.get(result.factory_id) if isinstance(result, RedeemOk) else None
    if factory is None:
        raise _not_redeemed(account, name, RedeemUnknown() if isinstance(result, RedeemOk) else result)
    contact = Person(name=name, role=Role.FACTORY, factory=factory.id, locale=FACTORY_LOCALE,
                     timezone=factory.timezone, bound=account)
    await ctx.uow.bindings.bind(contact, ctx.now, BindingVia.INVITE, by=result.created_by)
    await ctx.uow.audit.record(actor=contact.key, actor_user_id=account.user_id, platform=account.platform, at=ctx.now,
                               entity=ENTITY, entity_id=account_key(account), action="join", before=None,
                               after={"factory": factory.id, "name": name, "invited_by": result.created_by})
    return Reply("contact_joined", {"name": name, "factory": factory.id})


def _not_redeemed(account: PlatformAccount, name: str, result: RedeemResult) -> Recorded:
    who = Identity.stranger(account.platform, account.user_id, name)
    expired = {"expires_at": result.expires_at.isoformat()} if isinstance(result, RedeemExpired) else {}
    return Recorded(Refusal(who, account.platform, account.user_id, "join", NOT_REDEEMED[type(result)]), **expired)


async def ask_to_act(command: AskToAct, ctx: Context) -> Reply:
    """In a factory's chat, the buyer is asked (once: an open request stands) to confirm the
    person as its contact, and what they tried is refused until then. Someone the buyer
    refused or revoked stays refused and asks nobody; outside a factory's chat they are
    only a stranger."""
    account = ctx.actor.person.bound
    binding = await ctx.uow.bindings.get(account.platform, account.user_id)
    if binding is not None and binding.revoked is not None:
        raise Recorded(_refusal(ctx, binding.person.identity, command, "revoked"))
    chat = _factory_chat(ctx.settings.routing, account, command.channel)
    if chat is None:
        raise Recorded(_refusal(ctx, ctx.actor.person.identity, command, "stranger"))
    request = await _request(command, chat, ctx)
    refused = _refusal(ctx, request.person.identity, command,
                       "refused_by_buyer" if request.outcome is RequestOutcome.REFUSED else "awaiting_confirmation",
                       request=request.id)
    if request.outcome is RequestOutcome.REFUSED:
        raise Recorded(refused, request=request.id, factory=request.person.factory)
    await refusals.record(ctx.uow, refused, ctx.now)
    return Reply("awaiting_confirmation", {"request": request.id, "factory": request.person.factory})


async def _request(command: AskToAct, chat: tuple[str, Destination], ctx: Context) -> BindingRequest:
    """The person's open (or refused) request, else a new one for the chat's factory: its
    contacts' language and time zone, the name the platform gives the person, audited."""
    account = ctx.actor.person.bound
    latest = await ctx.uow.binding_requests.latest(account.platform, account.user_id)
    if latest is not None and latest.outcome is not RequestOutcome.CONFIRMED:
        if latest.channel is None:  # carried over from before confirmations: it asks here
            await ctx.uow.binding_requests.asked_in(latest.id, command.channel)
        return latest
    factory_id, destination = chat
    person = Person(name=contact_name(command.name, account), role=Role.FACTORY, factory=factory_id,
                    locale=destination.locale, timezone=destination.timezone, bound=account)
    request = await ctx.uow.binding_requests.open(person, command.channel, ctx.now)
    await ctx.audit(ENTITY, account_key(account), "ask_to_act", None, {
        "factory": factory_id, "name": person.name, "channel": command.channel, "request": request.id})
    return request


def _factory_chat(routing: Routing, account: PlatformAccount, channel: str | None) -> tuple[str, Destination] | None:
    """The factory whose chat `channel` is on the account's platform, and that chat."""
    return next(((factory_id, chat) for factory_id, chats in routing.factories.items() for chat in chats
                 if chat.platform is account.platform and chat.address == channel), None)


def _refusal(ctx: Context, who: Identity, command: AskToAct, reason: str, **details: object) -> Refusal:
    return Refusal(who, ctx.actor.platform, ctx.actor.user_id, command.attempted, reason, details=details)
