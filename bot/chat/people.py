"""Binding people the same way on every platform, in words: what redeeming a buyer's
invitation came to (handlers.strangers); the buyer's people commands (confirm, refuse, revoke), whose
refusals are recorded like every other; and the bilingual answers a factory contact, whose
language the bot cannot know yet, is given.
"""

from __future__ import annotations

from datetime import datetime

from bot.app import App
from bot.chat.directory import Directory
from handlers import rights
from handlers.catalog import N_
from handlers.commands import Actor, Command
from handlers.model import Binding, Factory, PlatformAccount
from handlers.results import Reply
from messages.i18n import CHINESE, ENGLISH, Language

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


def bilingual(message: str, zone: str = "Asia/Shanghai", **params: object) -> str:
    """Chinese, then English: for someone the bot knows no language of yet, most often a
    factory contact. A value that differs by language is given as a (Chinese, English) pair."""
    def rendered(locale: str, index: int) -> str:
        language = Language(locale, zone)
        values = {k: (v[index] if isinstance(v, tuple) else v) for k, v in params.items()}
        return language.gettext(message) % values
    return f"{rendered(CHINESE, 0)}\n{rendered(ENGLISH, 1)}"


def invite_refused(reply: Reply, language: Language, command: str, factories: dict[str, Factory]) -> str:
    """Why the bus made no invitation: only buyers invite (handlers.rights); otherwise the
    factory was not named right, so which ones there are."""
    if reply.code in rights.REASONS:
        return language.gettext(ONLY_BUYERS)
    return language.gettext(INVITE_USAGE) % {"command": command, "factories": ", ".join(factories)}


def joined_text(reply: Reply, factories: dict[str, Factory]) -> str:
    """Welcome in Chinese for the new factory contact (handlers.strangers.redeem); why the code
    bound nobody, in Chinese and English."""
    match reply.code:
        case "contact_joined":
            factory = factories[reply.params["factory"]]
            language = Language(CHINESE, factory.timezone)
            return language.gettext(WELCOME) % {"name": reply.params["name"], "factory": factory.name_zh}
        case "expired_invite":
            expires_at = datetime.fromisoformat(reply.params["expires_at"])
            moments = (Language(CHINESE, "Asia/Shanghai").moment(expires_at), Language(ENGLISH).moment(expires_at))
            return bilingual(INVITE_EXPIRED, expires=moments)
        case "used_invite":
            return bilingual(INVITE_USED)
        case _:  # unknown_invite
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
