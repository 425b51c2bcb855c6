"""Fakes for the tests: a clock you advance, a console that records what it printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.console import ConsoleAdapter
from bot.progress import Progress
from handlers.model import OutgoingMessage
from handlers.views import View


@dataclass
class FakeClock:
    moment: datetime = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class Transcript:
    """Everything a console printed, line by line, so a test can read it like a person."""

    lines: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> None:
        self.lines.extend(text.split("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class RecordingConsole(ConsoleAdapter):
    """The real console adapter, also keeping the messages it delivered."""

    def __init__(self, transcript: Transcript):
        super().__init__(transcript, colour=False)
        self.delivered: list[tuple[OutgoingMessage, View]] = []

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress | None = None) -> str | None:
        self.delivered.append((message, view))
        return await super().deliver(message, view, progress)

    def kinds(self) -> list[tuple[str, str]]:
        return [(m.destination, m.kind) for m, _ in self.delivered]
