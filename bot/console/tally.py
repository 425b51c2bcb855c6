"""The buttons each person pressed in a console session, in order, as labelled on screen.

The demo ends by counting them, so the taps it reports are the ones its people actually
made, not a table kept beside the story that could drift from it."""

from __future__ import annotations

from collections import defaultdict

from handlers.model import Person


class Tally:
    def __init__(self) -> None:
        self._pressed: dict[str, list[str]] = defaultdict(list)

    def press(self, person: Person, label: str, refused: bool = False) -> None:
        """A press the bot refused (a double tap, say) was still made: counted, and marked."""
        self._pressed[person.name].append(f"{label} (refused)" if refused else label)

    def of(self, person: Person) -> tuple[str, ...]:
        return tuple(self._pressed.get(person.name, ()))
