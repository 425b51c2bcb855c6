"""The locks a unit of work takes before it reads what it is about to change.

SQLite needs none of them: BEGIN IMMEDIATE makes each unit of work the only writer, so every
method here is free there (storage.transaction). PostgreSQL runs units of work of all
replicas side by side, and these are what keep each read-then-write sound
(docs/claims.md lists every such spot):

- `target`: what a command aims at. An instruction, a notice and a visit all lock their
  visit's row (FOR NO KEY UPDATE: rows referencing the visit can still be inserted), so that
  approving one instruction, approving all and sending the notice of one visit go one at a
  time, while other visits' go on; a binding request locks its row; anything else (an order,
  a factory, a contact, an account) a lock on its name.
- `update`: an update handled by two replicas at once (a redelivery, the start-up replay)
  is handled by one; the other then finds its remembered answer.
- `key`: a lock on a name, for what has no row yet (an order about to be created).

A unit of work takes `update` first, then `prompts`, then `target`, then whatever its repositories lock
inside (a year's notice numbers, a chat's outbox queue): always in that order, so two units
of work never wait for each other in a circle.
"""

from __future__ import annotations

from handlers.model import Platform
from handlers.model.orders import reference_key
from storage.pending import prompt_lock
from storage.transaction import Transaction

# What locks the visit an instruction, a notice or a visit belongs to, and a binding request.
_ROWS = {
    "visit": "SELECT id FROM visits WHERE id = ?",
    "instruction": "SELECT id FROM visits WHERE id = (SELECT visit_id FROM instructions WHERE id = ?)",
    "notice": "SELECT id FROM visits WHERE id = (SELECT visit_id FROM notices WHERE id = ?)",
    "binding_request": "SELECT id FROM binding_requests WHERE id = ?",
}


class Locks:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def target(self, target: str) -> None:
        """`target` as handlers.refusals.target_of names it: `notice:7`, `order:PO-1`, …"""
        kind, _, name = target.partition(":")
        if (rows := _ROWS.get(kind)) is not None and name.isdigit():
            await self._tx.lock_rows(rows, (int(name),))
        elif kind == "order":
            await self.order(name)
        else:
            await self._tx.lock(target)

    async def order(self, reference: str) -> None:
        """An order's lock, by its reference as people type it (case and separators aside)."""
        await self._tx.lock(f"order:{reference_key(reference)}")

    async def prompts(self, platform: Platform, chat_id: str, user_id: str, keys: list[str]) -> None:
        """The questions an answer takes and keeps open (storage.pending), sorted: an answer
        waits for another one to the same question, and finds what that one left open."""
        for key in sorted(set(keys)):
            await self._tx.lock(prompt_lock(platform, chat_id, user_id, key))

    async def update(self, key: str) -> None:
        await self._tx.lock(f"update:{key}")

    async def key(self, key: str) -> None:
        await self._tx.lock(key)
