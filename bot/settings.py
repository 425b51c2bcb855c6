"""What the handlers are told of the configuration (handlers.context.Settings): the factories,
the thresholds, the people, and where each kind of message goes on every configured platform.

Apart from bot/app.py so that a command that only reads the store (bot/reader.py: `followup
orders`, `status`, `notices`, `outbox`) builds the same settings without importing the bus,
the outbox's dispatcher and the console that the composition root wires."""

from __future__ import annotations

from bot.config import ROBOTS, Config
from handlers.context import Settings
from handlers.model import Factory, Person, Platform, Role
from handlers.routing import Destination, Routing
from messages.i18n import CHINESE


def settings_for(config: Config, console_active: bool) -> Settings:
    """The handlers' settings; `console_active`: the console platform runs in this process."""
    return Settings(
        factories={f.id: f for f in config.factories},
        thresholds=config.analysis,
        routing=routing_for(config, console_active),
        people=config.people,
    )


def routing_for(config: Config, console_active: bool) -> Routing:
    """Buyer and factory chats on every configured platform; the console when it runs."""
    buyer = next((p for p in config.people if p.role is Role.BUYER), None)
    locale, zone = (buyer.locale, buyer.timezone) if buyer else ("en", "UTC")
    buyer_chats = []
    if console_active:
        buyer_chats.append(Destination(Platform.CONSOLE, "buyer", locale, zone))
    if config.telegram.buyer_chat_id is not None:
        from bot.telegram.limits import is_group  # with Telegram's pacing: only where Telegram is configured

        chat = config.telegram.buyer_chat_id
        buyer_chats.append(Destination(Platform.TELEGRAM, str(chat), locale, zone, crowded=is_group(chat)))
    if config.slack.buyer_channel:
        buyer_chats.append(Destination(Platform.SLACK, config.slack.buyer_channel, locale, zone))
    factories = {}
    for factory in config.factories:
        chats = []
        if console_active:
            chats.append(Destination(Platform.CONSOLE, f"factory {factory.id}", CHINESE, factory.timezone))
        if factory.telegram_chat_id is not None:
            chats.append(Destination(Platform.TELEGRAM, str(factory.telegram_chat_id), CHINESE, factory.timezone))
        if factory.slack_channel:
            chats.append(Destination(Platform.SLACK, factory.slack_channel, CHINESE, factory.timezone))
        chats += [Destination(robot.platform, factory.id, CHINESE, factory.timezone)
                  for robot in ROBOTS if robot.configured(factory)]
        factories[factory.id] = (*chats, *_mailbox(factory))
    buyers_private = tuple(d for p in config.people if p.role is Role.BUYER for d in _private_chats(p, console_active))
    return Routing(tuple(buyer_chats), factories, _manager_chats(config, console_active), buyers_private)


def _manager_chats(config: Config, console_active: bool) -> dict[str, tuple[Destination, ...]]:
    """Each factory manager's private chats, for the buyer's escalation; and the factory's
    e-mail, which the manager reads where no chat reaches them (a factory in mainland China)."""
    people = {(p.factory, p.name): p for p in config.people if p.role is Role.FACTORY}
    managers = {}
    for factory in config.factories:
        manager = people.get((factory.id, factory.manager))
        if manager is not None:
            managers[factory.id] = (*_private_chats(manager, console_active), *_mailbox(factory))
    return managers


def _mailbox(factory: Factory) -> tuple[Destination, ...]:
    """The factory's e-mail addresses, one destination: one mail to them all."""
    return (Destination(Platform.EMAIL, ",".join(factory.email), CHINESE, factory.timezone),) if factory.email else ()


def _private_chats(person: Person, console_active: bool) -> tuple[Destination, ...]:
    """A configured person's private chats with the bot, on each platform they have an account."""
    addresses = [
        (Platform.CONSOLE, person.name if console_active else None),
        (Platform.TELEGRAM, None if person.telegram_user_id is None else str(person.telegram_user_id)),
        (Platform.SLACK, person.slack_user_id),
    ]
    return tuple(Destination(platform, address, person.locale, person.timezone)
                 for platform, address in addresses if address)
