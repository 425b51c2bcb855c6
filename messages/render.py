"""Rendering a view for a surface: the message text, its buttons, and the photos it shows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from markupsafe import Markup

from handlers.model.message_kinds import MessageKind
from handlers.views import View
from messages.buttons import Button, buttons_for
from messages.environment import ESCAPED, FOLDS, THREAD, render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.photos import PhotoStore, inline_photos


class Answers(StrEnum):
    """How the reader answers what a message asks: with its buttons; through the notice's
    link, where a one-way surface (a robot, a mail) carries it; or, one-way without a link
    (the web server off), by contacting the buyer."""

    BUTTONS = "buttons"
    LINK = "link"
    BUYER = "buyer"
    PRINTED_LINK = "printed_link"  # the PDF, its first page carrying the link and QR code
    PRINTED = "printed"  # the PDF without a link (the web server off)
    PAGE = "page"  # the notice's own web page, its answer buttons below the notice


# What a kind keeps for a second look, where the surface shows it apart from the message.
DETAILS = {MessageKind.VISIT_SUMMARY: "chat/visit_details.j2"}


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: tuple[Button, ...] = ()
    photos: tuple[tuple[str, str], ...] = ()  # (name, sha256) of the photos shown, in display order
    details: str | None = None  # what the text folds away, shown apart (Slack: in the message's thread)


def render_view(surface: str, view: View, language: Language, colour: bool = False,
                answers: Answers = Answers.BUTTONS, unfolded: bool = False) -> Rendered:
    """`unfolded`: the text in full, nothing folded away (the console's `details`)."""
    if view.kind is MessageKind.NOTICE:
        text = render_notice(surface, view, answers=answers, reader=language)
    else:
        folds = {"folds": None} if unfolded else {}
        text = render(surface, f"chat/{view.kind}.j2", language, colour, **_context(view, answers), **folds)
    details = None
    if view.kind in DETAILS and FOLDS.get(surface) == THREAD:
        details = render(surface, DETAILS[view.kind], language, colour, **_context(view, answers))
    return Rendered(text, buttons_for(view, language), view.shown_photos, details)


def _context(view: View, answers: Answers) -> dict:
    return dict(v=view, report=view.visit.report, analysis=view.analysis, factory=view.factory, answers=answers)


def render_notice(surface: str, view: View, photos: PhotoStore | None = None,
                  answers: Answers = Answers.BUTTONS, reader: Language | None = None, link: str | None = None) -> str:
    """The notice in Chinese first, then English, as one text: a standalone document for
    `html` (with the photos inline when `photos` is given, in the Chinese part), chat
    text for `text`, `console`, `telegram` and `slack`. `reader`: whose chat it is sent to,
    so both parts name its buttons as that chat labels them (a Chinese factory reads
    确认收到 under the English part too); without, each part names them in its own language.
    `link`: the notice page's, shown under each part (a file, which has no buttons)."""
    zone = view.factory.timezone
    form = "html" if surface == "html" else "txt"
    inline = inline_photos(view, photos) if surface == "html" and photos is not None else {}
    sections = [
        _notice_section(surface, form, view, Language(locale, zone), inline if locale == CHINESE else {},
                        answers, reader, link)
        for locale in (CHINESE, ENGLISH)
    ]
    if surface in ESCAPED:
        sections = [Markup(s) for s in sections]  # already escaped by their own rendering
    if surface == "html":
        return render(surface, "notice/document.html.j2", Language(CHINESE, zone), sections=sections,
                      number=view.notice.number)
    return render(surface, "notice/body.txt.j2", Language(CHINESE, zone), sections=sections)


def notice_file(surface: str, view: View, photos: PhotoStore | None, link: str | None) -> str:
    """The notice as a file (`html` or `text`) for the buyer to pass on: a file has no
    buttons, so each part tells the factory to answer on the notice's page, its link below,
    or, without the web server, to contact the buyer."""
    return render_notice(surface, view, photos, answers=Answers.LINK if link else Answers.PRINTED, link=link)


def _notice_section(surface: str, form: str, view: View, language: Language, photos: dict,
                    answers: Answers, reader: Language | None, link: str | None) -> str:
    section = render(surface, f"notice/section.{form}.j2", language, v=view, photos=photos, answers=answers,
                     reader=reader)
    if link is None:
        return section
    shown = render(surface, "chat/notice_link.j2", language, url=link)
    return f"{section}\n<p>{shown}</p>" if surface == "html" else f"{section}\n\n{shown}"
