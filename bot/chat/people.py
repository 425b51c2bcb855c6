"""Binding people the same way on every platform: a buyer's invitation, redeemed once by the
contact it was meant for; the buyer's people commands (confirm, refuse, revoke), whose
refusals are recorded like every other; and the bilingual answers a factory contact, whose
language the bot cannot know yet, is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.app import App
from bot.chat.directory import Directory
from handlers import rights
from handlers.catalog import N_
from handlers.commands import Actor, Command
from handlers.model import Binding, BindingVia, Factory, Person, PlatformAccount, Role
from handlers.people import ENTITY, account_key
from handlers.results import Reply
from messages.i18n import CHINESE, ENGLISH, Language
from storage import RedeemExpired, RedeemOk, RedeemResult, RedeemUnknown, RedeemUsed

ONLY_BUYERS = N_("Only buyers can invite factory contacts.")
INVITE_USAGE = N_("Usage: %(command)s FACTORY_ID. Configured factories: %(factories)s")

WELCOME = N_("Welcome, %(name)s. You are now registered as a contact of %(factory)s. "
             "Corrective notices will reach you here; ask “PO-123 进度” for an order's status.")
INVITE_UNKNOWN = N_("This invitation is not valid. Please ask the buyer for a new one.")
INVITE_EXPIRED = N_("This invitation expired on %(expires)s. Please ask the buyer for a new one.")
INVITE_USED = N_("This invitation has already been used; each one binds one person only. Please ask the buyer "
                 "for a new one.")
ALREADY_REGISTERED = N_("You are already registered with this bot; this invitation stays unused.")
REVOKED = N_("The buyer revoked your access as a contact of %(factory)s on %(at)s. Ask the buyer if this is a "
             "mistake.")


REFUSALS = {RedeemUnknown: "unknown_invite", RedeemExpired: "expired_invite", RedeemUsed: "used_invite"}


@dataclass(frozen=True)
class Joined:
    """What redeeming a code came to: `result` as the store judged it, and who was bound."""

    result: RedeemResult
    contact: Person | None = None


def bilingual(message: str, zone: str = "Asia/Shanghai", **params: object) -> str:
    """Chinese, then English: for someone the bot knows no language of yet, most often a
    factory contact. A value that differs by language is given as a (Chinese, English) pair."""
    def rendered(locale: str, index: int) -> str:
        language = Language(locale, zone)
        values = {k: (v[index] if isinstance(v, tuple) else v) for k, v in params.items()}
        return language.gettext(message) % values
    return f"{rendered(CHINESE, 0)}\n{rendered(ENGLISH, 1)}"


def contact_name(name: str, account: PlatformAccount) -> str:
    """The name a contact gave their account, as a Person holds it: one line, at most 200
    characters; their user id when it is blank."""
    return " ".join(name.split())[:200] or account.user_id


def invite_refused(reply: Reply, language: Language, command: str, factories: dict[str, Factory]) -> str:
    """Why the bus made no invitation: only buyers invite (handlers.rights); otherwise the
    factory was not named right, so which ones there are."""
    if reply.code in rights.REASONS:
        return language.gettext(ONLY_BUYERS)
    return language.gettext(INVITE_USAGE) % {"command": command, "factories": ", ".join(factories)}


async def join(app: App, directory: Directory, code: str, account: PlatformAccount, name: str) -> Joined:
    """Uses the code once and binds the account to its factory, with the audit event; a code
    that is unknown, used or expired changes nothing and is recorded as refused."""
    now = app.bus.clock.now()
    name = contact_name(name, account)
    async with app.store.unit_of_work() as uow:
        result = await uow.invites.redeem(code.strip(), account.platform, account.user_id, now)
        if isinstance(result, RedeemOk) and result.factory_id not in app.settings.factories:
            result = RedeemUnknown()  # its factory was taken out of followup.toml: the code stays unused
        if isinstance(result, RedeemOk):
            factory = app.settings.factories[result.factory_id]
            contact = Person(name=name, role=Role.FACTORY, factory=factory.id, locale=CHINESE,
                             timezone=factory.timezone, bound=account)
            await uow.bindings.bind(contact, now, BindingVia.INVITE, by=result.created_by)
            await uow.audit.record(actor=contact.key, actor_user_id=account.user_id, platform=account.platform, at=now,
                                   entity=ENTITY, entity_id=account_key(account), action="join", before=None,
                                   after={"factory": factory.id, "name": name, "invited_by": result.created_by})
            await uow.commit()
            return Joined(result, contact)
    await directory.refused(now, "join", REFUSALS[type(result)], account=account, name=name)
    return Joined(result)


def joined_text(joined: Joined, factories: dict[str, Factory]) -> str:
    """Welcome in Chinese for the new factory contact; a refusal in Chinese and English."""
    match joined.result:
        case RedeemOk(factory_id=factory_id):
            factory = factories[factory_id]
            language = Language(CHINESE, factory.timezone)
            return language.gettext(WELCOME) % {"name": joined.contact.name, "factory": factory.name_zh}
        case RedeemExpired(expires_at=expires_at):
            moments = (Language(CHINESE, "Asia/Shanghai").moment(expires_at), Language(ENGLISH).moment(expires_at))
            return bilingual(INVITE_EXPIRED, expires=moments)
        case RedeemUsed():
            return bilingual(INVITE_USED)
        case RedeemUnknown():
            return bilingual(INVITE_UNKNOWN)


def revoked_text(binding: Binding, factories: dict[str, Factory]) -> str:
    """What a revoked contact is told when they try to act, in their language."""
    person = binding.person
    language = Language(person.locale, person.timezone)
    factory = factories.get(person.factory)
    name = (factory.name_zh if language.is_chinese else factory.name) if factory else person.factory
    return language.gettext(REVOKED) % {"factory": name, "at": language.moment(binding.revoked.at)}


async def handle(app: App, directory: Directory, command: Command, actor: Actor,
                 update_key: str | None = None) -> Reply:
    """A people command through the bus, its refusal recorded (`audit_refused`)."""
    reply = await app.bus.handle(command, actor, update_key=update_key)
    await audit_refused(app, directory, command, actor, reply)
    return reply


async def audit_refused(app: App, directory: Directory, command: Command, actor: Actor, reply: Reply) -> None:
    """A people command's refusal (no such contact, a name that fits two) is recorded, as the
    bus records one for who asked (not a buyer: handlers.rights)."""
    if not reply.ok and reply.code not in rights.REASONS:
        account = None if actor.user_id is None else PlatformAccount(platform=actor.platform, user_id=actor.user_id)
        await directory.refused(app.bus.clock.now(), type(command).__name__, reply.code, account=account,
                                who=actor.person)
