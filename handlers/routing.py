"""Where the bot's messages go: the buyer's chats and each factory's chats, per platform."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.model import OutgoingMessage, Person, Platform
from handlers.model.message_kinds import MessageKind


@dataclass(frozen=True)
class Destination:
    """`crowded`: a chat where messages are scarce (a Telegram group takes twenty a minute),
    so a visit's findings go in as few messages as hold them rather than one each."""

    platform: Platform
    address: str
    locale: str
    timezone: str = "UTC"
    crowded: bool = False


@dataclass(frozen=True)
class Routing:
    buyer: tuple[Destination, ...] = ()
    factories: dict[str, tuple[Destination, ...]] = field(default_factory=dict)
    managers: dict[str, tuple[Destination, ...]] = field(default_factory=dict)  # by factory id
    buyers_private: tuple[Destination, ...] = ()  # each configured buyer's private chats

    def to_buyer(self, kind: MessageKind, payload: dict) -> list[OutgoingMessage]:
        return [_message(d, kind, payload) for d in self.buyer]

    def findings_to_buyer(self, visit_id: int, instructions: dict[str, int | None]) -> list[OutgoingMessage]:
        """A message per finding (`instructions`: each source's proposed instruction, if any),
        or, to a crowded chat, one for them all, which its surface shows several to a message."""
        messages = []
        for d in self.buyer:
            if d.crowded:
                messages.append(_message(d, MessageKind.FINDINGS, {"visit_id": visit_id, "sources": list(instructions)}))
            else:
                messages += [_message(d, MessageKind.FINDING, {"visit_id": visit_id, "source": source,
                                                               "instruction_id": instruction})
                             for source, instruction in instructions.items()]
        return messages

    def to_buyer_elsewhere(self, platform: Platform, kind: MessageKind, payload: dict) -> list[OutgoingMessage]:
        """The buyer's chats on the platforms other than `platform`; on one where there is no
        buyer's chat, the buyers' private chats there (a buyer's account in the config)."""
        chats = [d for d in self.buyer if d.platform != platform]
        covered = {d.platform for d in chats} | {platform}
        private = [d for d in self.buyers_private if d.platform not in covered]
        return [_message(d, kind, payload) for d in (*chats, *private)]

    def is_buyer(self, platform: Platform, address: str) -> bool:
        return any(d.platform == platform and d.address == address for d in self.buyer)

    def to_factory(
        self, factory_id: str, kind: MessageKind, payload: dict, bound: list[tuple[Platform, str, Person]] = ()
    ) -> list[OutgoingMessage]:
        """The factory's configured chats; on a platform where it has none, the private chats
        of the contacts who joined by invitation."""
        configured = self.factories.get(factory_id, ())
        covered = {d.platform for d in configured}
        private = [
            Destination(platform, user_id, person.locale, person.timezone)
            for platform, user_id, person in bound
            if platform not in covered
        ]
        return [_message(d, kind, payload) for d in (*configured, *private)]

    def notice_locale(self, factory_id: str, platform: Platform, address: str) -> str | None:
        """The language the factory's notices draw their buttons in, for a contact writing from
        chat `address` on `platform`: that chat's, when it is one of the factory's; else the
        factory's chat there; None when it has none there (its notices then reach the contact's
        private chat, in the contact's language)."""
        chats = [d for d in self.factories.get(factory_id, ()) if d.platform is platform]
        chat = next((d for d in chats if d.address == address), chats[0] if chats else None)
        return None if chat is None else chat.locale

    def to_manager(self, factory_id: str, kind: MessageKind, payload: dict) -> list[OutgoingMessage]:
        """The private chats of the factory's manager contact, where one is configured."""
        return [_message(d, kind, payload) for d in self.managers.get(factory_id, ())]


def _message(destination: Destination, kind: MessageKind, payload: dict) -> OutgoingMessage:
    return OutgoingMessage(
        destination.platform, destination.address, kind, payload, destination.locale, destination.timezone
    )
