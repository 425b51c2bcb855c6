"""Who reads the chat an answer lands in, and so whose rights an answer there may follow.

An answer follows the asker's rights, but a chat is read by everyone in it, so an answer in a
chat may show only what every member may see. Who the members are is known from the
configuration (`Routing`), alike on every platform:

- the buyer's chat: the buyer side, who may see every factory;
- a factory's chat: that factory's contacts and the buyer side, so that factory's view;
- a private chat (Telegram's private chat, a Slack DM, a reply only the asker sees): the asker;
- any other group or channel the bot is in: members unknown, so no factory's view at all.

What a person may see is a `Sight` (handlers.sight): the factories whose orders they may see,
None for every factory (buyers, inspectors, admins), none for a stranger. What the readers of
a chat share is the intersection of their sights; `Audience.reader` turns it into the person
an answer in the chat is made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from handlers.model import Person, Platform, Role
from handlers.sight import Sight, sight_of
from handlers.routing import Destination, Routing

EVERY_FACTORY: Sight = None
NO_FACTORY: Sight = frozenset()


def shared(one: Sight, other: Sight) -> Sight:
    """What two readers may both see."""
    if one is EVERY_FACTORY:
        return other
    if other is EVERY_FACTORY:
        return one
    return one & other


@dataclass(frozen=True)
class Audience:
    """The readers of one chat: what all of them may see, and the language they read."""

    sight: Sight
    private: bool = False  # the asker alone reads it
    locale: str | None = None  # the chat's language; None: the asker's (a private or unknown chat)
    timezone: str = "UTC"

    def reader(self, asker: Person) -> Person | None:
        """The person an answer in this chat is made for: the asker, when every reader may see
        all the asker may; otherwise someone who sees only what the asker and the chat share,
        reading the chat's language (in a factory's chat, one of its contacts); None when they
        share nothing, as in a group nobody configured."""
        if self.private:
            return asker
        mine = sight_of(asker)
        common = shared(mine, self.sight)
        if common == mine:
            return asker
        if not common:
            return None
        (factory,) = common  # a chat's sight is every factory, one or none; a person's too
        return Person(name=f"{factory} chat", role=Role.FACTORY, factory=factory,
                      locale=self.locale or asker.locale, timezone=self.timezone)


PRIVATE = Audience(EVERY_FACTORY, private=True)
UNKNOWN = Audience(NO_FACTORY)


def audience_of(routing: Routing, platform: Platform, address: str, private: bool) -> Audience:
    """The readers of a chat. A configured chat is read by those it was configured for, even
    when the platform calls it private (a buyer's own private chat set as the buyer's chat);
    a chat configured for several (one group for two factories) by what they all share."""
    groups: list[tuple[Sight, Destination]] = [(EVERY_FACTORY, d) for d in routing.buyer if _is(d, platform, address)]
    groups += [(frozenset({factory_id}), d) for factory_id, chats in routing.factories.items()
               for d in chats if _is(d, platform, address)]
    if not groups:
        return PRIVATE if private else UNKNOWN
    sight = reduce(shared, (s for s, _ in groups))
    language = groups[-1][1]  # a factory's, where there is one: its people read only Chinese
    return Audience(sight, locale=language.locale, timezone=language.timezone)


def _is(destination: Destination, platform: Platform, address: str) -> bool:
    return destination.platform is platform and destination.address == address
