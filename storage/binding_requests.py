"""Requests to act for a factory, put to the buyer: someone who is nobody's contact acted in
a factory's Slack channel. Each account has at most one open request; the buyer's answer
(confirmed or refused, by whom, when) stays with it."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from handlers.model import BindingRequest, Decision, Person, Platform, RequestOutcome
from storage.bindings import person_from_row, person_json
from storage.codec import datetime_from_text, datetime_to_text, decision_to_columns, optional_decision_from_columns
from storage.transaction import Transaction

COLUMNS = ("id, platform, user_id, person, channel, requested_at, outcome, decided_by, decided_at, decided_platform")


class BindingRequests:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def open(self, person: Person, channel: str | None, at: datetime) -> BindingRequest:
        """A new open request. The caller has checked there is none (`latest`); a second
        open one for the account violates the table's unique index."""
        account = person.bound
        request_id = await self._tx.insert(
            "INSERT INTO binding_requests (platform, user_id, person, channel, requested_at) VALUES (?, ?, ?, ?, ?)",
            (account.platform.value, account.user_id, person_json(person), channel, datetime_to_text(at)),
        )
        return BindingRequest(request_id, person, channel, at)

    async def asked_in(self, request_id: int, channel: str) -> None:
        """Where the person asked last: an open request carried over from before confirmations
        knows no channel until its person acts again."""
        await self._tx.write("UPDATE binding_requests SET channel = ? WHERE id = ?", (channel, request_id))

    async def decide(self, request_id: int, outcome: RequestOutcome, decision: Decision) -> None:
        await self._tx.write(
            "UPDATE binding_requests SET outcome = ?, decided_by = ?, decided_at = ?, decided_platform = ?"
            " WHERE id = ? AND outcome IS NULL",
            (outcome.value, *decision_to_columns(decision), request_id),
        )

    async def get(self, request_id: int) -> BindingRequest | None:
        row = await self._tx.one(f"SELECT {COLUMNS} FROM binding_requests WHERE id = ?", (request_id,))
        return None if row is None else _request(row)

    async def latest(self, platform: Platform, user_id: str) -> BindingRequest | None:
        """The account's newest request: the open one if there is one."""
        row = await self._tx.one(
            f"SELECT {COLUMNS} FROM binding_requests WHERE platform = ? AND user_id = ? ORDER BY id DESC LIMIT 1",
            (platform.value, user_id),
        )
        return None if row is None else _request(row)

    async def still_open(self) -> list[BindingRequest]:
        rows = await self._tx.all(f"SELECT {COLUMNS} FROM binding_requests WHERE outcome IS NULL ORDER BY id")
        return [_request(row) for row in rows]


def _request(row: sqlite3.Row) -> BindingRequest:
    return BindingRequest(
        id=row["id"],
        person=person_from_row(row),
        channel=row["channel"],
        requested_at=datetime_from_text(row["requested_at"]),
        outcome=None if row["outcome"] is None else RequestOutcome(row["outcome"]),
        decided=optional_decision_from_columns(row["decided_by"], row["decided_at"], row["decided_platform"]),
    )
