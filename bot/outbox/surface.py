"""What a surface (Telegram, Slack, the console, the next one) implements so the outbox can
deliver to it: a few primitives and the limits of one message. Which primitives a message
needs, in which order, is the delivery plan's business (bot/outbox/plan.py), decided once
for every surface; a surface only says how it shows text, photos and a file, and how it
changes a message it showed before.

Platform-only details stay behind the primitives, in the platform's package: Slack's
threads under the visit summary, its header blocks and the photos it must keep to rewrite a
decision; Telegram's media groups and its "message is not modified".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from bot.outbox.failures import Failure
from bot.outbox.progress import Progress
from handlers.model import Platform
from handlers.text import neutralised
from handlers.views import View
from messages.buttons import Button
from messages.i18n import Language
from messages.render import Answers
from messages.split import split_html, split_plain, split_text


class TextFormat(Enum):
    """How a surface's text is written, so long text is split where its markup allows."""

    PLAIN = "plain"
    HTML = "html"  # Telegram: tags reopened in each message, counted as shown
    MRKDWN = "mrkdwn"  # Slack: links and mentions never cut


_SPLITTERS = {TextFormat.PLAIN: split_plain, TextFormat.MRKDWN: split_text}  # HTML counts as shown


@dataclass(frozen=True)
class Limits:
    """What one message holds on a surface, counted as the surface counts (`measure`, text
    written in `format`). The plan splits text longer than `text` into several messages
    (None: the surface lays out text of any length itself) and captions photos only within
    `caption` (None: photos go without captions). No photos per group, or files of no size:
    the surface shows none (its text names the photos). The rest shapes the surface's own
    layout, which keeps to it: media groups, what one upload may weigh (rows of buttons are
    each surface's own)."""

    text: int | None
    caption: int | None
    photos_per_group: int | None
    file_size: int | None
    format: TextFormat = TextFormat.PLAIN
    measure: Callable[[str], int] = len

    def messages(self, text: str) -> tuple[str, ...]:
        """The text as the messages it takes, each within the limit and valid on its own;
        neutralised on the way, the last gate before a chat (handlers.text)."""
        if self.text is None:
            return (text,)
        if self.format is TextFormat.HTML:
            return tuple(split_html(neutralised(text), self.text))
        return tuple(_SPLITTERS[self.format](neutralised(text), self.text, self.measure))

    def caption_of(self, text: str) -> str | None:
        """The caption, or None where it is too long: the photos go without, never cut."""
        return text if self.caption is not None and self.measure(text) <= self.caption else None

    @property
    def shows_photos(self) -> bool:
        return self.photos_per_group != 0

    @property
    def takes_files(self) -> bool:
        return self.file_size != 0


@dataclass(frozen=True)
class Target:
    """Where a message goes and what it shows: the destination as the outbox names it (the
    key of the references kept), the chat as the surface addresses it (`Surface.chat`), and
    the view, for what only one platform shows (Slack's header and threads)."""

    destination: str
    chat: Any
    view: View
    language: Language
    subject: str | None


@dataclass(frozen=True)
class Draft:
    """A message to post: its whole text, the same text as the messages the surface's limits
    allow (the buttons go with the last), and what `send_photos` handed back to show the
    photos with the text. `again`: the subject's message posted anew (a decision without a
    message to edit, or too long for one), showing the photos the surface kept for it; its
    calls are parts named after the subject. A first post's parts keep each surface's own
    names, as outbox rows store them."""

    text: str
    messages: tuple[str, ...]
    buttons: tuple[Button, ...]
    photos: Any = ()
    again: bool = False
    details: str | None = None  # what the text folds away, for a surface that shows it apart (Slack's thread)


class Surface(Protocol):
    """The primitives every surface implements. Those that may take several platform calls
    are handed the message's `Progress` and make each call a part of it, so a retry after a
    failure makes only the calls still missing."""

    platform: Platform
    templates: str  # the surface messages/ renders for: "telegram", "slack", "console" …
    colour: bool
    answers: Answers  # how a reader answers there: buttons, or the notice link on a one-way surface
    unfolded: bool  # shows a message whole, nothing folded away (a one-off command's terminal)
    limits: Limits

    async def chat(self, destination: str) -> Any:
        """The chat a destination names, as the platform addresses it (opened if need be)."""

    async def send_photos(self, to: Target, photos: tuple[tuple[str, str], ...], caption: str | None,
                          progress: Progress) -> Any:
        """The photos (name, sha256) a message shows, before its text; returns what the text
        needs to show them with it, if anything. Only when the limits show photos."""

    async def send_text(self, to: Target, draft: Draft, progress: Progress) -> str | None:
        """Posts the text with its buttons; returns the reference of the message (None: a
        surface that keeps none, and so shows each message anew)."""

    async def send_file(self, to: Target, reference: str, name: str, content: bytes) -> Any:
        """A file with the message `reference`; returns what the outbox records of it."""

    def classify(self, error: Exception) -> Failure | None:
        """What a failure of a primitive means; None for an error the surface does not know."""


class EditingSurface(Surface, Protocol):
    """A surface whose messages can change once shown: a decision rewrites the finding's
    message, an answered notice loses the buttons that no longer apply."""

    # True where new buttons leave a message's text as it is (Telegram): the plan then renders
    # the buttons alone, not the whole message again, to change them.
    buttons_keep_text: bool

    async def edit(self, to: Target, reference: str, text: str, buttons: tuple[Button, ...]) -> bool:
        """Shows new text and buttons in the message `reference`; False when one message
        cannot hold them, so the plan posts them anew."""

    async def replace_buttons(self, to: Target, reference: str, buttons: tuple[Button, ...], text: str,
                              note: str) -> None:
        """Gives the message `reference` new buttons. `text` is what it shows and `note` what
        changed, for a surface that rewrites the whole message to change its buttons."""
