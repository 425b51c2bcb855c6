"""Factory contacts the buyer binds and unbinds: inviting one, confirming or refusing someone's
request to act for a factory, and revoking a contact at once. Each change is audited under the
contact's account ("slack:U0WANG"), so the record follows the person, not a name."""

from __future__ import annotations

from datetime import timedelta

from handlers.commands import ConfirmBinding, InviteContact, RefuseBinding, RevokeContact
from handlers.context import Context
from handlers.model import Binding, BindingRequest, BindingVia, Person, PlatformAccount, RequestOutcome
from handlers.results import Refused, Reply

ENTITY = "person"
INVITE_VALIDITY = timedelta(hours=72)


def account_key(account: PlatformAccount) -> str:
    """The audit trail's entity id for a platform account: `telegram:5551234`, `slack:U0WANG`."""
    return f"{account.platform.value}:{account.user_id}"


async def invite(command: InviteContact, ctx: Context) -> Reply:
    """A new one-time code for the factory, recorded against the buyer who asked for it; the
    audit keeps only its first characters, so the trail never lets anyone redeem it."""
    factory = ctx.settings.factories.get(command.factory_id)
    if factory is None:
        raise Refused("unknown_factory", factory=command.factory_id)
    expires_at = ctx.now + INVITE_VALIDITY
    code = await ctx.uow.invites.create(factory.id, ctx.actor.person.key, ctx.now, expires_at)
    await ctx.audit("factory", factory.id, "invite", None, {"expires_at": expires_at.isoformat(), "code": f"{code[:4]}…"})
    return Reply("contact_invited", {"code": code, "factory": factory.id, "expires_at": expires_at.isoformat()})


async def confirm(command: ConfirmBinding, ctx: Context) -> Reply:
    request = await _open_request(command.request_id, ctx)
    person = request.person
    if person.factory not in ctx.settings.factories:
        raise Refused("unknown_factory", factory=person.factory)
    await ctx.uow.bindings.bind(person, ctx.now, BindingVia.CONFIRMATION, by=ctx.actor.person.key)
    await ctx.uow.binding_requests.decide(request.id, RequestOutcome.CONFIRMED, ctx.decision())
    await ctx.audit(ENTITY, account_key(person.bound), "confirm_binding", None, _snapshot(person, request=request.id))
    return Reply("binding_confirmed", {"who": person.key, "factory": person.factory})


async def refuse(command: RefuseBinding, ctx: Context) -> Reply:
    request = await _open_request(command.request_id, ctx)
    person = request.person
    await ctx.uow.binding_requests.decide(request.id, RequestOutcome.REFUSED, ctx.decision())
    await ctx.audit(ENTITY, account_key(person.bound), "refuse_binding", None, _snapshot(person, request=request.id))
    return Reply("binding_refused", {"who": person.key, "factory": person.factory})


async def revoke(command: RevokeContact, ctx: Context) -> Reply:
    """Revokes the one bound contact `command.name_or_id` names; anything else is refused
    with what the buyer needs to name the right one."""
    bindings = await ctx.uow.bindings.every()
    active = [b for b in bindings if b.revoked is None]
    if not command.name_or_id.strip():
        raise Refused("which_contact", contacts=[b.person.key for b in active])
    found = matching(command.name_or_id, bindings)
    current = [b for b in found if b.revoked is None]
    if len(current) > 1:
        raise Refused("ambiguous_contact", typed=command.name_or_id, contacts=[b.person.key for b in current])
    if not current:
        raise _not_revocable(command.name_or_id, found, ctx.settings.people, active)
    (binding,) = current
    await ctx.uow.bindings.revoke(binding.account, ctx.decision())
    await ctx.audit(ENTITY, account_key(binding.account), "revoke", _snapshot(binding.person, via=binding.via.value,
                                                                                  bound_by=binding.bound_by), None)
    return Reply("contact_revoked", {"who": binding.person.key, "factory": binding.person.factory})


def matching(typed: str, bindings: list[Binding]) -> list[Binding]:
    """The bindings `typed` names: by platform user id (as typed, as a Slack mention
    `<@U0WANG>`, or `telegram:5551234`), else by name, ignoring case and spacing."""
    account = _account_id(typed)
    by_account = [b for b in bindings if account in (b.account.user_id, f"{b.account.platform.value}:{b.account.user_id}")]
    if by_account:
        return by_account
    name = _normal(typed)
    return [b for b in bindings if _normal(b.person.name) == name]


def _not_revocable(typed: str, found: list[Binding], configured: tuple[Person, ...], active: list[Binding]) -> Refused:
    if found:
        latest = found[-1]
        return Refused("already_revoked", who=latest.person.key, by=latest.revoked.by, at=latest.revoked.at)
    named = [p for p in configured if _normal(p.name) == _normal(typed)
             or _account_id(typed) in (str(p.telegram_user_id), p.slack_user_id)]
    if named:
        return Refused("configured_contact", who=named[0].key)
    return Refused("unknown_contact", typed=typed, contacts=[b.person.key for b in active])


async def _open_request(request_id: int, ctx: Context) -> BindingRequest:
    request = await ctx.uow.binding_requests.get(request_id)
    if request is None:
        raise Refused("unknown_binding_request")
    if not request.is_open:
        raise Refused("binding_already_decided", who=request.person.key, outcome=request.outcome.value,
                      by=request.decided.by, at=request.decided.at)
    return request


def _snapshot(person: Person, **more: object) -> dict:
    return {"platform": person.bound.platform.value, "user_id": person.bound.user_id, "name": person.name,
            "factory": person.factory, **more}


def _account_id(typed: str) -> str:
    text = typed.strip()
    if text.startswith("<@") and text.endswith(">"):  # how Slack sends a mention typed in a command
        text = text[2:-1].partition("|")[0]
    return text.removeprefix("@")


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()

