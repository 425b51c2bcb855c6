"""What every handler works with: the unit of work, who acts, the time, and where messages go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.commands import Actor
from handlers.model import Decision, Factory, Person, Thresholds
from handlers.model.message_kinds import MessageKind
from handlers.routing import Routing


@dataclass(frozen=True)
class Settings:
    factories: dict[str, Factory]
    thresholds: Thresholds
    routing: Routing
    people: tuple[Person, ...] = ()  # those of followup.toml; bound ones are in the store


@dataclass(frozen=True)
class Context:
    uow: Any  # storage's UnitOfWork; typed loosely so the domain does not import storage
    actor: Actor
    now: datetime
    settings: Settings

    def decision(self) -> Decision:
        return Decision(self.actor.person.key, self.now, self.actor.platform)

    async def audit(self, entity: str, entity_id: int | str, action: str, before: Any, after: Any) -> None:
        await self.uow.audit.record(
            actor=self.actor.person.key,
            actor_user_id=self.actor.user_id,
            platform=self.actor.platform,
            at=self.now,
            entity=entity,
            entity_id=entity_id,
            action=action,
            before=before,
            after=after,
        )

    async def to_factory(self, factory_id: str, kind: MessageKind, payload: dict) -> None:
        bound = await self.uow.bindings.for_factory(factory_id)
        await self.enqueue(self.settings.routing.to_factory(factory_id, kind, payload, bound))

    async def about_instruction_to_factory(self, instruction_id: int, kind: MessageKind) -> None:
        """Tells the factory of the instruction's visit about it (`to_factory`), its factory read
        alone: reading the visit parsed its whole report."""
        factory_id = await self.uow.instructions.factory_of(instruction_id)
        await self.to_factory(factory_id, kind, {"instruction_id": instruction_id})

    async def enqueue(self, messages: list) -> None:
        for message in messages:
            await self.uow.outbox.add(message)
