"""Rendering a view for a surface: the message text, its buttons, and the photos it shows."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from handlers.views import View
from messages.buttons import Button, buttons_for
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: tuple[Button, ...] = ()
    photos: tuple[str, ...] = ()  # photo names in the report, in display order


def render_view(surface: str, view: View, language: Language, colour: bool = False) -> Rendered:
    if view.kind == "notice":
        text = render_notice("txt", view)
    else:
        text = render(
            surface, f"{surface}/{view.kind}.j2", language, colour,
            v=view, report=view.visit.report, analysis=view.analysis, factory=view.factory,
        )
    photos = tuple(p for item in view.items for p in item.item.photos) if view.kind == "finding" else ()
    return Rendered(text, buttons_for(view, language), photos)


def render_notice(form: str, view: View) -> str:
    """The notice in Chinese first, then English, as one document ("txt" or "html")."""
    zone = view.factory.timezone
    sections = [
        render("html" if form == "html" else "text", f"notice/section.{form}.j2", Language(locale, zone), v=view)
        for locale in (CHINESE, ENGLISH)
    ]
    if form == "html":
        sections = [Markup(s) for s in sections]
        return render("html", "notice/document.html.j2", Language(CHINESE, zone), sections=sections,
                      number=view.notice.number)
    return render("text", "notice/body.txt.j2", Language(CHINESE, zone), sections=sections)
