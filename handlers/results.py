"""What a handler answers the person who acted: a code naming a message template, and its
parameters. Rendering it in the person's language is the job of `messages/`."""

from __future__ import annotations

from dataclasses import dataclass, field

ALREADY = "already"  # the answer to a repeated tap: done before, nothing done now


@dataclass(frozen=True)
class Reply:
    code: str
    params: dict = field(default_factory=dict)
    ok: bool = True

    @property
    def changed(self) -> bool:
        """Whether the command took effect, and so may have left messages to deliver: neither
        refused nor a repeat answered with who did it already (handlers/transitions.py)."""
        return self.ok and self.code != ALREADY

    def as_dict(self) -> dict:
        return {"code": self.code, "params": self.params, "ok": self.ok}

    @classmethod
    def from_dict(cls, data: dict) -> Reply:
        return cls(data["code"], data["params"], data["ok"])


class Refused(Exception):
    """A request the person may not make or that does not fit the current state.

    Raised inside a unit of work, it rolls the work back: a refusal never changes data.
    """

    def __init__(self, code: str, **params: object):
        self.reply = Reply(code, dict(params), ok=False)
        super().__init__(f"{code} {params}")
