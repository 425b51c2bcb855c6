"""Typed questions answered alike on every platform: "status PO-…", "/orders", "factories", "help".

The text comes first, in the asker's language and the platform's markup; an order's
status also has its progress chart, drawn only when the adapter is ready to send it
(Slack must acknowledge a command within 3 seconds) and in a worker thread, so drawing
never holds up the other chats the event loop serves.

An answer follows the asker's rights, but it lands in a chat that others read
(handlers.queries.audience). `answer_in` decides what goes where, once for every platform:

- when every reader of the chat may see all the asker may (their own factory's chat for a
  factory contact, the buyer's chat for the buyer, a private chat), the answer goes to the chat;
- otherwise the asker's answer goes to them alone, and the chat gets the same question answered
  for what its readers share — in a factory's chat, as that factory's contact would be
  answered, in the chat's language — followed by a one-line note that the asker got the full
  answer privately. When the readers share nothing of what was asked (another factory's order,
  a reference nobody there knows, a list with nothing of theirs, a group nobody configured),
  the chat gets the note alone, worded the same whatever the answer was, so it learns nothing,
  not even whether the order exists.

Why the chat still gets its share rather than the note alone: the question was asked in front
of the factory, usually to talk about the order with it; the factory's view (progress, dates,
what it was sent, its own next step) is what that conversation needs and what any of its
contacts could ask for themselves. What only the buyer side may know — instructions awaiting
the buyer's decision, the buyer's next step, the findings thread, other factories — stays in
the private answer. Help shows nothing of anyone's and is answered in any chat.

A chart follows its answer: the chat's answer carries the chart in the chat's language, the
private answer its own in the asker's, and no chart goes where its answer may not.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot.app import App
from bot.chat.intents import Factories, Help, Intent, Portfolio, StatusOf, intent_of
from handlers import refusals
from handlers.queries.audience import Audience
from handlers.queries.factories import factory_report
from handlers.catalog import N_
from handlers.model import Person, Platform, Role
from handlers.refusals import NARROWED, NOT_YOURS, WITHHELD, Refusal
from handlers.queries.status import (
    Filters,
    NotVisited,
    OrderStatus,
    Page,
    UnknownOrder,
    order_chart,
    order_status,
    portfolio_page,
)
from messages.chart import render_chart
from messages.environment import command_prefix, render
from messages.i18n import Language


FINDINGS_THREAD = N_("Findings")
NOTICE_LINK = N_("Notice %(number)s")


@dataclass(frozen=True)
class Chart:
    png: bytes
    filename: str


@dataclass(frozen=True)
class Links:
    """How a platform links to a message it sent: `url_of` turns a stored message ref into an
    address (or None where the platform has none, e.g. a Telegram private chat)."""

    platform: Platform
    url_of: Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class Answer:
    text: str
    language: Language  # the reader's: its chart is labelled in it
    status: OrderStatus | None = None  # set when the answer is an order's status: it has a chart
    found: bool = True  # it shows what was asked about: an order, orders, factories (or help)
    hidden: bool = False  # asked about another factory's order: answered as an unknown one


@dataclass(frozen=True)
class Answered:
    """A question asked in a chat, answered for its readers (see the module's docstring).
    `in_chat`: what every reader may see, None when they share nothing of it; `private`: the
    asker's own answer when it shows more, for them alone, with a note in the chat."""

    in_chat: Answer | None
    private: Answer | None
    asker: Person
    chat_language: Language
    command: str  # the question as a command: what a link or a hint asks again

    def note(self, surface: str, reached: bool, link: str | None = None) -> str:
        """One line for the chat saying where the asker's answer went: privately, or (`reached`
        False) how to let the bot write privately — `link` opens a private chat (Telegram),
        else the command asked where only the asker sees the answer (Slack's /followup). In
        the chat's language, then the asker's when they read another."""
        context = {"name": self.asker.name, "reached": reached, "link": link,
                   "command": command_prefix(surface) + self.command.removeprefix("/")}
        languages = [self.chat_language]
        if _tongue(self.asker.locale) != _tongue(self.chat_language.locale):
            languages.append(language_of(self.asker))
        return " / ".join(render(surface, "chat/answered_privately.j2", language, **context)
                          for language in languages)

    def for_chat(self, note: str | None) -> Answer | None:
        """What the chat gets: its answer with the note after it, or the note alone."""
        if note is None:
            return self.in_chat
        if self.in_chat is None:
            return Answer(note, self.chat_language)
        return replace(self.in_chat, text=f"{self.in_chat.text}\n\n{note}")


async def answer(app: App, surface: str, person: Person, text: str, colour: bool = False,
                 links: Links | None = None, addressed: bool = False) -> Answer | None:
    """The asker's own answer to a typed question, or None when the text is not one: for a
    place only they read (a private chat, the console). With `links`, an order's status links
    to its findings thread and notices where the person can open them. `addressed`: the text
    was a command to the bot (see `intent_of`)."""
    intent = intent_of(text, addressed)
    if intent is None:
        return None
    found = await answer_for(app, surface, person, intent, colour, links)
    if found.hidden:
        await audit_read(app, surface, person, intent, NOT_YOURS)
    return found


async def answer_in(app: App, surface: str, person: Person, text: str, chat: Audience,
                    links: Links | None = None, addressed: bool = False) -> Answered | None:
    """A typed question asked in `chat`, answered for its readers and for the asker (see the
    module's docstring); None when the text is not a question."""
    intent = intent_of(text, addressed)
    if intent is None:
        return None
    own = await answer_for(app, surface, person, intent, links=links)
    reader = person if isinstance(intent, Help) else chat.reader(person)
    chat_language = language_of(reader or person) if chat.locale is None else Language(chat.locale, chat.timezone)
    if reader is person:
        if own.hidden:
            await audit_read(app, surface, person, intent, NOT_YOURS)
        return Answered(own, None, person, chat_language, intent.command)
    shown = await answer_for(app, surface, reader, intent, links=links) if reader is not None else None
    in_chat = shown if shown is not None and shown.found else None
    await audit_read(app, surface, person, intent, NOT_YOURS if own.hidden else NARROWED if in_chat else WITHHELD)
    return Answered(in_chat, own, person, chat_language, intent.command)


async def answer_for(app: App, surface: str, person: Person, intent: Intent, colour: bool = False,
                     links: Links | None = None) -> Answer:
    """The answer to `intent` by `person`'s rights, in their language."""
    language = language_of(person)
    now = app.bus.clock.now()
    if isinstance(intent, StatusOf):
        found = await order_status(app.store, app.settings, person, intent.reference, now)
        if isinstance(found, UnknownOrder):
            return Answer(render(surface, "chat/unknown_order.j2", language, colour, u=found), language, found=False,
                          hidden=found.hidden)
        if isinstance(found, NotVisited):
            return Answer(render(surface, "chat/not_visited.j2", language, colour, s=found), language)
        shown = await status_links(app, person, found, links, language) if links else []
        return Answer(render(surface, "chat/status.j2", language, colour, s=found, links=shown), language,
                      status=found)
    if isinstance(intent, Portfolio):
        filters = Filters(intent.text, intent.status)
        page = await portfolio_page(app.store, app.settings, person, now, intent.page, filters=filters)
        return Answer(render(surface, "chat/portfolio.j2", language, colour, entries=page.entries, page=page, filtered=bool(filters),
                             next_command=next_page_command(surface, page, intent.words)),
                      language, found=bool(page.entries))
    if isinstance(intent, Factories):
        report = await factory_report(app.store, app.settings, person, now)
        return Answer(render(surface, "chat/factories.j2", language, colour, report=report), language,
                      found=bool(report.factories))
    return Answer(render(surface, "chat/help.j2", language, colour), language)


def next_page_command(surface: str, page: Page, words: str = "") -> str | None:
    """What to send for the page after `page` with the same filter words; None on the last."""
    if page.number >= page.pages:
        return None
    return f"{command_prefix(surface)}orders {words + ' ' if words else ''}{page.number + 1}"


async def chart_of(app: App, found: Answer) -> Chart:
    """A status answer's progress chart as PNG, labelled in its reader's language."""
    status = found.status
    figures = await order_chart(app.store, app.settings, status.visit.order_reference)
    png = await app.cpu.run(render_chart, figures, found.language)  # Pillow lives in the workers
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", status.visit.order_reference)  # references may hold a slash
    return Chart(png, f"{safe}-progress.png")


async def status_links(app: App, person: Person, status: OrderStatus, links: Links,
                       language: Language) -> list[tuple[str, str]]:
    """(label, address) of the visit's findings thread and each notice, as sent to the chats
    this person reads on this platform (a factory contact: its factory's chats, where the
    findings thread never goes)."""
    routing = app.settings.routing
    chats = routing.factories.get(status.factory.id, ()) if person.role is Role.FACTORY else routing.buyer
    destinations = [d.address for d in chats if d.platform is links.platform]
    subjects = [(language.gettext(FINDINGS_THREAD), f"visit:{status.visit.id}")]
    subjects += [(language.gettext(NOTICE_LINK) % {"number": n.number}, f"notice:{n.id}") for n in status.notices]
    async with app.store.unit_of_work() as uow:
        refs = [(label, await uow.message_refs.first_of(links.platform, subject, destinations))
                for label, subject in subjects]
    found = []
    for label, ref in refs:
        if ref is not None and (url := await links.url_of(ref)):
            found.append((label, url))
    return found


async def audit_read(app: App, surface: str, person: Person, intent: Intent, reason: str) -> None:
    """A question answered with less than was asked, audited (handlers.refusals): `NOT_YOURS`,
    `NARROWED` or `WITHHELD`. The surface names the platform asked on."""
    platform = Platform(surface)
    target = f"order:{intent.reference}" if isinstance(intent, StatusOf) else None
    refusal = Refusal(person.identity, platform, person.account_on(platform), intent.command, reason, target)
    await refusals.audit(app.store, refusal, app.bus.clock.now())


def language_of(person: Person) -> Language:
    return Language(person.locale, person.timezone)


def _tongue(locale: str) -> str:
    """The language a locale is written in: en and en_GB read alike."""
    return locale.partition("_")[0]
