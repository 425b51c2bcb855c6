"""Typed questions answered alike on every platform: "status PO-…", "/orders", "factories", "help".

The text comes first, in the asker's language and the platform's markup; an order's
status also has its progress chart, drawn only when the adapter is ready to send it
(Slack must acknowledge a command within 3 seconds) and in a worker thread, so drawing
never holds up the other chats the event loop serves.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from bot.app import App
from bot.intents import Factories, Help, Portfolio, StatusOf, intent_of
from handlers.factories import factory_report
from handlers.model import Person
from handlers.status import NotVisited, OrderStatus, UnknownOrder, order_chart, order_status, portfolio_page
from messages.chart import render_chart
from messages.environment import render
from messages.i18n import Language


@dataclass(frozen=True)
class Chart:
    png: bytes
    filename: str


@dataclass(frozen=True)
class Answer:
    text: str
    status: OrderStatus | None = None  # set when the answer is an order's status: it has a chart


async def answer(app: App, surface: str, person: Person, text: str, colour: bool = False) -> Answer | None:
    """The answer to a typed question, or None when the text is not one."""
    intent = intent_of(text)
    language = language_of(person)
    now = app.bus.clock.now()
    if isinstance(intent, StatusOf):
        found = await order_status(app.store, app.settings, person, intent.reference, now)
        if isinstance(found, UnknownOrder):
            return Answer(render(surface, "chat/unknown_order.j2", language, colour, u=found))
        if isinstance(found, NotVisited):
            return Answer(render(surface, "chat/not_visited.j2", language, colour, s=found))
        return Answer(render(surface, "chat/status.j2", language, colour, s=found), found)
    if isinstance(intent, Portfolio):
        page = await portfolio_page(app.store, app.settings, person, now, intent.page)
        return Answer(render(surface, "chat/portfolio.j2", language, colour, statuses=page.statuses,
                             planned=page.planned, page=page))
    if isinstance(intent, Factories):
        report = await factory_report(app.store, app.settings, person, now)
        return Answer(render(surface, "chat/factories.j2", language, colour, report=report))
    if isinstance(intent, Help):
        return Answer(render(surface, "chat/help.j2", language, colour))
    return None


async def chart_of(app: App, status: OrderStatus, person: Person) -> Chart:
    """The order's progress chart as PNG, labelled in the asker's language."""
    figures = await order_chart(app.store, app.settings, status)
    png = await asyncio.to_thread(render_chart, figures, language_of(person))
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", status.visit.order_reference)  # references may hold a slash
    return Chart(png, f"{safe}-progress.png")


def language_of(person: Person) -> Language:
    return Language(person.locale, person.timezone)
