"""Factory contacts bound by a buyer — by invitation or by confirming a request — rather
than configured in followup.toml: who such a platform user is lives here.

The whole `Person` is stored, as JSON, and validated again on the way out: a binding
that no longer fits the model fails loudly instead of granting a half-read role. Its
account comes from the row's own columns, so the JSON cannot claim another one. A revoked
binding stays (for `followup people` and the record) but names nobody.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from handlers.model import Binding, BindingVia, Decision, Person, Platform, PlatformAccount, Role
from storage.codec import (
    datetime_from_text,
    datetime_to_text,
    decision_to_columns,
    json_from_text,
    json_to_text,
    optional_decision_from_columns,
)
from storage.transaction import Transaction

COLUMNS = ("platform, user_id, person, bound_at, via, bound_by, revoked_by, revoked_at, revoked_platform")


class Bindings:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def bind(self, person: Person, at: datetime, via: BindingVia, by: str) -> None:
        """A platform user is one person: binding them again (after a revocation, with a
        new invitation) replaces who they were and lifts the revocation."""
        account = person.bound
        if account is None or person.role is not Role.FACTORY:
            raise ValueError(f"only a factory contact with a platform account is bound, not {person.key}")
        await self._tx.write(
            "INSERT INTO bindings (platform, user_id, person, bound_at, via, bound_by) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, user_id) DO UPDATE SET person = excluded.person, bound_at = excluded.bound_at,"
            " via = excluded.via, bound_by = excluded.bound_by,"
            " revoked_by = NULL, revoked_at = NULL, revoked_platform = NULL",
            (account.platform.value, account.user_id, person_json(person), datetime_to_text(at), via.value, by),
        )

    async def revoke(self, account: PlatformAccount, decision: Decision) -> None:
        await self._tx.write(
            "UPDATE bindings SET revoked_by = ?, revoked_at = ?, revoked_platform = ?"
            " WHERE platform = ? AND user_id = ? AND revoked_at IS NULL",
            (*decision_to_columns(decision), account.platform.value, account.user_id),
        )

    async def person(self, platform: Platform, user_id: str) -> Person | None:
        """Who the platform user is, unless they were never bound or have been revoked."""
        binding = await self.get(platform, user_id)
        return None if binding is None or binding.revoked else binding.person

    async def get(self, platform: Platform, user_id: str) -> Binding | None:
        """The binding, revoked or not."""
        row = await self._tx.one(
            f"SELECT {COLUMNS} FROM bindings WHERE platform = ? AND user_id = ?", (platform.value, user_id)
        )
        return None if row is None else _binding(row)

    async def every(self) -> list[Binding]:
        """Every binding, revoked ones too, by factory then in order of binding."""
        rows = await self._tx.all(f"SELECT {COLUMNS} FROM bindings ORDER BY factory_id, bound_at, platform, user_id")
        return [_binding(row) for row in rows]

    async def for_factory(self, factory_id: str) -> list[tuple[Platform, str, Person]]:
        """(platform, user_id, person) of everyone bound to the factory and not revoked, in
        order of binding: where its messages go when it has no chat on a platform."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM bindings WHERE factory_id = ? AND revoked_at IS NULL"
            " ORDER BY bound_at, platform, user_id",
            (factory_id,),
        )
        return [(Platform(row["platform"]), row["user_id"], _binding(row).person) for row in rows]


def person_json(person: Person) -> str:
    """The person without their account, which the row's own columns hold."""
    return json_to_text(person.model_dump(mode="json", exclude={"bound"}))


def person_from_row(row: sqlite3.Row) -> Person:
    """The stored person with the account of the row it was stored under."""
    account = PlatformAccount(platform=Platform(row["platform"]), user_id=row["user_id"])
    return Person.model_validate({**json_from_text(row["person"]), "bound": account.model_dump()})


def _binding(row: sqlite3.Row) -> Binding:
    return Binding(
        person=person_from_row(row),
        bound_at=datetime_from_text(row["bound_at"]),
        via=BindingVia(row["via"]),
        bound_by=row["bound_by"],
        revoked=optional_decision_from_columns(row["revoked_by"], row["revoked_at"], row["revoked_platform"]),
    )
