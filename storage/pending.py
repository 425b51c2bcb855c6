"""Text or photos the bot asked a person for and is still waiting on.

After Edit, Dispute, a completion date or "done, with photos" the bot sends a prompt the
person should reply to; the reply to that prompt carries the answer. Some clients send a
plain message instead of a reply, so the newest prompt waiting on that person in that chat
can be looked up too. The bus takes a prompt in the transaction of the command that answers
it (handlers/prompts.py).
"""

from __future__ import annotations

from datetime import datetime

from handlers.model import Platform
from storage.codec import datetime_to_text
from storage.transaction import Transaction


class PendingInputs:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def expect(
        self,
        platform: Platform,
        chat_id: str,
        user_id: str,
        prompt_message_id: str,
        action: str,
        target: int,
        at: datetime,
    ) -> None:
        """Wait for `user_id`'s answer to the prompt; expecting the same prompt again replaces
        it and makes it the newest."""
        # Delete, then insert: the prompt gets a new id, the newest (SQLite's INSERT OR
        # REPLACE, written so that PostgreSQL runs it too), under the prompt's lock, lest two
        # replicas both find nothing to delete and both insert.
        await self._tx.lock(prompt_lock(platform, chat_id, user_id, prompt_message_id))
        await self._tx.write(
            "DELETE FROM pending_inputs WHERE platform = ? AND chat_id = ? AND user_id = ? AND prompt_message_id = ?",
            (platform.value, chat_id, user_id, prompt_message_id),
        )
        await self._tx.write(
            "INSERT INTO pending_inputs"
            " (platform, chat_id, user_id, prompt_message_id, action, target, asked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (platform.value, chat_id, user_id, prompt_message_id, action, target, datetime_to_text(at)),
        )

    async def take(
        self, platform: Platform, chat_id: str, user_id: str, prompt_message_id: str
    ) -> tuple[str, int] | None:
        """(action, target) the prompt was for, no longer pending; None if nothing waits on
        that prompt for that person (someone else replied, or it was answered already)."""
        row = await self._tx.one(
            "DELETE FROM pending_inputs"
            " WHERE platform = ? AND chat_id = ? AND user_id = ? AND prompt_message_id = ?"
            " RETURNING action, target",
            (platform.value, chat_id, user_id, prompt_message_id),
        )
        return None if row is None else (row["action"], row["target"])

    async def asked(
        self, platform: Platform, chat_id: str, user_id: str, prompt_message_id: str
    ) -> tuple[str, int] | None:
        """(action, target) the prompt waits for, left pending: what an answer would be for."""
        row = await self._tx.one(
            "SELECT action, target FROM pending_inputs"
            " WHERE platform = ? AND chat_id = ? AND user_id = ? AND prompt_message_id = ?",
            (platform.value, chat_id, user_id, prompt_message_id),
        )
        return None if row is None else (row["action"], row["target"])

    async def latest(self, platform: Platform, chat_id: str, user_id: str) -> tuple[str, int, str] | None:
        """(action, target, prompt_message_id) of the newest prompt waiting on the person in
        that chat, left pending: `take` it by its prompt id once the text is used."""
        row = await self._tx.one(
            "SELECT action, target, prompt_message_id FROM pending_inputs"
            " WHERE platform = ? AND chat_id = ? AND user_id = ? ORDER BY id DESC LIMIT 1",
            (platform.value, chat_id, user_id),
        )
        return None if row is None else (row["action"], row["target"], row["prompt_message_id"])


def prompt_lock(platform: Platform, chat_id: str, user_id: str, prompt_message_id: str) -> str:
    """The lock of one question waiting for its answer: taken by `expect`, and by an answer
    before it takes the question (storage.locks)."""
    return f"pending:{platform.value}:{chat_id}:{user_id}:{prompt_message_id}"
