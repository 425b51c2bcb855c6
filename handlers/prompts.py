"""A question the bot asked one person and is waiting on: their next words or photos answer it.

Dispute asks for a reason, Edit for the new wording, a completion date for a date, "done, with
photos" for photos. The answer is a command like any other, and the bus takes the question in
the same transaction as the command's effect (`MessageBus.answer`): a crash can never close a
question without its answer taking effect, nor apply an answer and leave its question open.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.model import Platform


@dataclass(frozen=True)
class Prompt:
    """Where the bot waits for `user`'s answer: the prompt message they reply to, or the
    thread or album the answer arrives in."""

    platform: Platform
    chat: str
    user: str
    key: str


# Answers that do not answer (nothing written, not a date, a date in the past, words too long,
# no photo): the question stays open and the person simply answers it again.
ASK_AGAIN = frozenset({"text_required", "text_too_long", "evidence_required", "bad_date", "commitment_in_past"})
