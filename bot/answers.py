"""Typed questions answered alike on every platform: "status PO-…", "/orders", "factories", "help".

The text comes first, in the asker's language and the platform's markup; an order's
status also has its progress chart, drawn only when the adapter is ready to send it
(Slack must acknowledge a command within 3 seconds) and in a worker thread, so drawing
never holds up the other chats the event loop serves.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app import App
from bot.intents import Factories, Help, Portfolio, StatusOf, intent_of
from handlers.factories import factory_report
from handlers.catalog import N_
from handlers.model import Person, Platform, Role
from handlers.status import (
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
    status: OrderStatus | None = None  # set when the answer is an order's status: it has a chart


async def answer(app: App, surface: str, person: Person, text: str, colour: bool = False,
                 links: Links | None = None, addressed: bool = False) -> Answer | None:
    """The answer to a typed question, or None when the text is not one. With `links`, an
    order's status links to its findings thread and notices where the person can open them.
    `addressed`: the text was a command to the bot (see `intent_of`)."""
    intent = intent_of(text, addressed)
    language = language_of(person)
    now = app.bus.clock.now()
    if isinstance(intent, StatusOf):
        found = await order_status(app.store, app.settings, person, intent.reference, now)
        if isinstance(found, UnknownOrder):
            return Answer(render(surface, "chat/unknown_order.j2", language, colour, u=found))
        if isinstance(found, NotVisited):
            return Answer(render(surface, "chat/not_visited.j2", language, colour, s=found))
        shown = await status_links(app, person, found, links, language) if links else []
        return Answer(render(surface, "chat/status.j2", language, colour, s=found, links=shown), found)
    if isinstance(intent, Portfolio):
        filters = Filters(intent.text, intent.status)
        page = await portfolio_page(app.store, app.settings, person, now, intent.page, filters=filters)
        return Answer(render(surface, "chat/portfolio.j2", language, colour, lines=page.lines,
                             planned=page.planned, page=page, filtered=bool(filters),
                             next_command=next_page_command(surface, page, intent.words)))
    if isinstance(intent, Factories):
        report = await factory_report(app.store, app.settings, person, now)
        return Answer(render(surface, "chat/factories.j2", language, colour, report=report))
    if isinstance(intent, Help):
        return Answer(render(surface, "chat/help.j2", language, colour))
    return None


def next_page_command(surface: str, page: Page, words: str = "") -> str | None:
    """What to send for the page after `page` with the same filter words; None on the last."""
    if page.number >= page.pages:
        return None
    return f"{command_prefix(surface)}orders {words + ' ' if words else ''}{page.number + 1}"


async def chart_of(app: App, status: OrderStatus, person: Person) -> Chart:
    """The order's progress chart as PNG, labelled in the asker's language."""
    figures = await order_chart(app.store, app.settings, status.visit.order_reference)
    png = await asyncio.to_thread(render_chart, figures, language_of(person))
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


def language_of(person: Person) -> Language:
    return Language(person.locale, person.timezone)
