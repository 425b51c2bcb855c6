"""Who may read which factory's orders, for every answer (status, orders, factories) and every
chat (handlers.queries.audience). Apart from who may give which command (handlers.rights),
which reads the registry of every handler: a handler may ask who reads a chat without
importing itself through the registry.
"""

from __future__ import annotations

from handlers.model import Person, Role

BUYER_SIDE = frozenset({Role.BUYER, Role.INSPECTOR, Role.ADMIN})  # who may read every factory's orders

Sight = frozenset[str] | None  # the factories one may see; None: every factory


def sight_of(person: Person) -> Sight:
    """The factories whose orders `person` may read: every one (None) for the buyer side, its
    own for a factory contact, none for a stranger (not being a factory's contact is not
    being the buyer's)."""
    if person.role in BUYER_SIDE:
        return None
    return frozenset({person.factory}) if person.role is Role.FACTORY else frozenset()


def may_see_factory(person: Person, factory_id: str) -> bool:
    sight = sight_of(person)
    return sight is None or factory_id in sight


def own_factory(person: Person) -> str | None:
    """The one factory whose orders to fetch for a factory contact; None (every factory's) for
    anyone else, which the caller narrows with `may_see_factory`."""
    return person.factory if person.role is Role.FACTORY else None
