"""One tap on a button, alike on every surface: who tapped, what the button asks for, whether
they may, the words or photos it needs, then the bus.

Whether the person may act is asked before the bot asks them for anything (a reply prompt, a
form, a photo), so nobody types or uploads what would be refused; the refusal is audited once,
even when the same update comes again. A surface (Telegram, Slack, the console) only supplies
the primitives of `TapSurface`: who tapped, what a token names, and how to answer or ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.chat.actions import ASKS_FOR_PHOTOS, ASKS_FOR_TEXT, command_for
from bot.chat.menus import MENUS, menu_buttons, rights_for
from bot.chat.tokens import Button, known_to
from handlers.bus import BeforeCommit, MessageBus
from handlers.commands import Actor
from handlers.model import Person, Platform
from handlers.results import Reply
from messages.buttons import Button as Shown
from messages.i18n import Language



@dataclass(frozen=True)
class Given:
    """The words a surface got at once when asked (the console asks in the same breath):
    carried out at once, as given, even when none were (`None`)."""

    text: str | None


class TapSurface(Protocol):
    """How one surface takes part in one tap."""

    platform: Platform

    async def tapped_by(self) -> Person | None:
        """Who tapped, from the store; None for someone the bot does not act for."""

    async def button(self, token: str) -> Button | None:
        """What the tapped token names; None for one that is unknown or no longer valid."""

    async def stranger(self) -> None:
        """Tells (and audits) someone the bot does not act for that their tap was refused."""

    async def stale(self, person: Person) -> None:
        """Tells (and audits) `person` that the button they tapped is no longer valid."""

    async def ask(self, person: Person, action: str, target: int) -> Given | None:
        """Asks for the words or photos `action` needs: what was given, when the surface has
        it at once (the console); None when the answer comes later, as a message of its own
        (a reply, a form, photos), or the surface took it from there."""

    async def answer(self, person: Person, action: str, target: int, reply: Reply) -> None:
        """Tells `person` what came of their tap (carried out, or refused)."""

    def language(self, person: Person) -> Language:
        """The language `person` reads the bot in here."""

    async def show(self, person: Person, buttons: tuple[Shown, ...]) -> None:
        """Shows `buttons` in place of the tapped message's (a menu opened or closed), where
        the surface can; else beside it."""


def asks_for_input(action: str) -> bool:
    return action in ASKS_FOR_TEXT or action in ASKS_FOR_PHOTOS


async def tap(bus: MessageBus, surface: TapSurface, token: str, update_key: str | None = None,
              words: str | None = None, decided: BeforeCommit | None = None) -> Reply | None:
    """Carries out one tap; the bus's reply, or None when it was not carried out (yet): a
    stranger, a stale button, or a question asked whose answer comes later. `words`: given
    with the tap itself (the console's scripted demo), so nothing is asked. `decided`: run
    when the tap's change is decided, just before it commits (a chat's next update may then
    go on, and commit with it: storage/shared_commit.py)."""
    person = await surface.tapped_by()
    if person is None:
        await surface.stranger()
        return None
    button = await surface.button(token)
    if button is None:
        await surface.stale(person)
        return None
    action, target = button
    actor = Actor(person, surface.platform)
    if action in MENUS:
        await _menu(bus, surface, person, actor, action, target, update_key)
        return None
    given = Given(words)
    if words is None and asks_for_input(action):
        # Refused before the question, so nobody types or uploads what would be refused; a tap
        # that asks nothing is refused (and audited) by the bus as it is handled.
        if (refusal := await bus.may(command_for(action, target), actor, update_key)) is not None:
            await surface.answer(person, action, target, refusal)
            return refusal
        if (given := await surface.ask(person, action, target)) is None:
            return None
    reply = await bus.handle(command_for(action, target, given.text), actor, update_key=update_key,
                             before_commit=decided)
    await surface.answer(person, action, target, reply)
    return reply


async def _menu(bus: MessageBus, surface: TapSurface, person: Person, actor: Actor, action: str, target: int,
                update_key: str | None) -> None:
    """Opens or closes a menu for someone who may make its choices: only what the message
    shows changes."""
    if (refusal := await bus.may(rights_for(target), actor, update_key)) is not None:
        await surface.answer(person, action, target, refusal)
        return
    shown = await menu_buttons(bus.store, bus.settings, action, target, surface.language(person))
    if shown is None:
        await surface.stale(person)
    else:
        await surface.show(person, shown)


async def stored_button(store, token: str) -> Button | None:
    """What a token minted by `bot.chat.actions.with_tokens` names, for the chat platforms:
    from memory once read (bot/chat/tokens.py), else read beside the writer, never waiting for it."""
    known = known_to(store)
    if (button := known.named(token)) is not None:
        return button
    async with store.reading() as uow:
        button = await uow.tokens.resolve(token)
    if button is not None:
        known.learn(token, button)
    return button
