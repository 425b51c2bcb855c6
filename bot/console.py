"""The console platform: the bot's messages printed in a terminal, buttons numbered.

It is the embedded default (no tokens, no network) and the first adapter: like Telegram
and Slack it only renders views and turns taps into commands for the bus.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import click

from bot.failures import Failure, Transient, describe
from bot.progress import Progress
from handlers.model import OutgoingMessage, Platform
from handlers.views import View
from messages.buttons import Button
from messages.i18n import Language
from messages.render import Rendered, render_view

Echo = Callable[[str], None]


class ConsoleAdapter:
    platform = Platform.CONSOLE

    def __init__(self, echo: Echo = click.echo, colour: bool = False):
        self.echo = echo
        self.colour = colour
        self.buttons: dict[int, Button] = {}
        self._numbers = count(1)

    async def deliver(self, message: OutgoingMessage, view: View, progress: Progress | None = None) -> str | None:
        """One print: there are no parts to keep track of."""
        language = Language(message.locale, message.timezone)
        rendered = render_view("console", view, language, self.colour)
        self.echo(self._envelope(message.destination))
        self.echo(rendered.text)
        if rendered.buttons:
            self.echo(self._keyboard(rendered))
        self.echo("")
        return None

    def classify(self, error: Exception) -> Failure | None:
        """A terminal that went away (a closed pipe) may come back; nothing else is known."""
        return Transient(describe(error)) if isinstance(error, OSError) else None

    def _envelope(self, destination: str) -> str:
        line = f"┌─ to {destination} "
        line = line + "─" * max(0, 60 - len(line))
        return click.style(line, fg="cyan") if self.colour else line

    def _keyboard(self, rendered: Rendered) -> str:
        keys = []
        for button in rendered.buttons:
            number = next(self._numbers)
            self.buttons[number] = button
            key = f"[{number}] {button.label}"
            keys.append(click.style(key, fg="blue", bold=True) if self.colour else key)
        return "  " + "  ".join(keys)
