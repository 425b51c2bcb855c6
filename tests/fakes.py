"""Fakes for the tests: a clock you advance, a console that records what it printed, and one
whose platform fails as a test tells it to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.console.adapter import ConsoleAdapter
from bot.outbox.failures import Failure
from bot.outbox.progress import Progress
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


class Refusal(Exception):
    """What the flaky console's platform answers: a failure already classified."""

    def __init__(self, failure: Failure):
        super().__init__(failure.detail)
        self.failure = failure


class FlakyConsole(RecordingConsole):
    """A console whose platform fails what a test tells it to: by kind or destination, a
    number of times or for good. Without instructions it refuses the `broken` kinds."""

    def __init__(self, transcript: Transcript, broken: set[str] = frozenset()):
        super().__init__(transcript)
        self.transcript = transcript
        self.broken = set(broken)
        self.faults: list[list] = []  # [kind, destination, failure, times left (None: always)]

    def fail(self, failure: Failure, *, kind: str | None = None, destination: str | None = None,
             times: int | None = None) -> None:
        self.faults.append([kind, destination, failure, times])

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress | None = None) -> str | None:
        if message.kind in self.broken:
            raise ConnectionError("console unplugged")
        for fault in self.faults:
            kind, destination, failure, times = fault
            if kind in (None, message.kind) and destination in (None, message.destination) and times != 0:
                fault[3] = None if times is None else times - 1
                raise Refusal(failure)
        return await super().deliver(message, view, progress)

    def classify(self, error: Exception) -> Failure | None:
        return error.failure if isinstance(error, Refusal) else super().classify(error)
