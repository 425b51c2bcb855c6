"""The console platform: the bot's messages printed in a terminal, buttons numbered.

It is the embedded default (no tokens, no network) and the first adapter: like Telegram
and Slack it implements the outbox's primitives (bot/outbox/surface.py), and its session
(bot/console/session.py) turns taps into commands for the bus.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from itertools import count
from pathlib import Path

import click

from bot.outbox.adapter import PlannedAdapter
from bot.outbox.failures import Failure, Transient, describe
from bot.outbox.progress import Progress
from bot.outbox.surface import Draft, Limits, Target
from handlers.model import Platform
from messages.buttons import Button

Echo = Callable[[str], None]


class ConsoleAdapter(PlannedAdapter):
    """A surface that keeps no references (a terminal cannot change what it printed), so
    each message is printed in its own words; it shows no photos (the text names them), and
    a file (a visit report) is written to `files` and its path printed. `unfolded`: a
    one-off command's terminal (`followup visit post`) prints the findings summary whole, as
    no `details` command follows it there."""

    platform = Platform.CONSOLE
    templates = "console"
    limits = Limits(text=None, caption=None, photos_per_group=0, file_size=None)

    def __init__(self, echo: Echo = click.echo, colour: bool = False, unfolded: bool = False):
        super().__init__()
        self.echo = echo
        self.colour = colour
        self.unfolded = unfolded
        self.files = Path(tempfile.gettempdir()) / "followup-files"  # the console session's folder when one runs
        self.buttons: dict[int, Button] = {}
        self._numbers = count(1)

    async def chat(self, destination: str) -> str:
        return destination

    async def send_text(self, to: Target, draft: Draft, progress: Progress) -> None:
        """One print: there are no parts to keep track of."""
        self.echo(self._envelope(to.destination))
        self.echo(draft.text)
        if draft.buttons:
            self.echo(self.keyboard(draft.buttons))
        self.echo("")

    async def send_file(self, to: Target, reference: str | None, name: str, content: bytes) -> str:
        self.files.mkdir(parents=True, exist_ok=True)
        path = self.files / name
        path.write_bytes(content)
        self.echo(f"  📄 {path}")
        self.echo("")
        return str(path)

    def classify(self, error: Exception) -> Failure | None:
        """A terminal that went away (a closed pipe) may come back; nothing else is known."""
        return Transient(describe(error)) if isinstance(error, OSError) else None

    def _envelope(self, destination: str) -> str:
        line = f"┌─ to {destination} "
        line = line + "─" * max(0, 60 - len(line))
        return click.style(line, fg="cyan") if self.colour else line

    def keyboard(self, buttons: tuple[Button, ...]) -> str:
        keys = []
        for button in buttons:
            number = next(self._numbers)
            self.buttons[number] = button
            key = f"[{number}] {button.label}"
            keys.append(click.style(key, fg="blue", bold=True) if self.colour else key)
        return "  " + "  ".join(keys)
