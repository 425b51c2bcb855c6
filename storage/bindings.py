"""People who joined by invite: not in followup.toml, so who a platform user is lives here.

The whole `Person` is stored, as JSON, and validated again on the way out: a binding
that no longer fits the model fails loudly instead of granting a half-read role.
"""

from __future__ import annotations

from datetime import datetime

from handlers.model import Person, Platform
from storage.codec import datetime_to_text, json_from_text, json_to_text
from storage.transaction import Transaction


class Bindings:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def bind(self, platform: Platform, user_id: str, person: Person, at: datetime) -> None:
        """A platform user is one person: binding them again replaces who they were."""
        await self._tx.write(
            "INSERT INTO bindings (platform, user_id, person, bound_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (platform, user_id) DO UPDATE SET person = excluded.person, bound_at = excluded.bound_at",
            (platform.value, user_id, json_to_text(person.model_dump(mode="json")), datetime_to_text(at)),
        )

    async def person(self, platform: Platform, user_id: str) -> Person | None:
        row = await self._tx.one(
            "SELECT person FROM bindings WHERE platform = ? AND user_id = ?", (platform.value, user_id)
        )
        return None if row is None else Person.model_validate(json_from_text(row["person"]))

    async def for_factory(self, factory_id: str) -> list[tuple[Platform, str, Person]]:
        """(platform, user_id, person) of everyone bound to the factory, in order of binding."""
        rows = await self._tx.all(
            "SELECT platform, user_id, person FROM bindings WHERE factory_id = ?"
            " ORDER BY bound_at, platform, user_id",
            (factory_id,),
        )
        return [
            (Platform(row["platform"]), row["user_id"], Person.model_validate(json_from_text(row["person"])))
            for row in rows
        ]
