"""The corrective notice as a printable A4 PDF: Chinese first, then English, with the
finding photos, the notice number, version and page numbers on every page.

The text comes from the same templates as every other rendering of the notice; this
module only lays it out, with the pieces every document shares (messages/pdf_layout.py:
the page, the embedded Chinese font, text lines, tables, photos).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from handlers.catalog import N_
from handlers.views import Item, View
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.line_break import break_lines
from messages.pdf_layout import FONT, LINE_MM, PAGE, A4Document, kept_together, photo_rows, table, text_line
from messages.photos import PhotoStore, stored_thumbnail
from messages.qr import qr_png
from messages.render import Answers

ITEM_START = re.compile(r"^\d+\. \[(?P<label>[A-Z]\d+)\]")
NOTICE_TITLE = N_("CORRECTIVE NOTICE %(number)s, version %(version)s")
SCAN = N_("Scan to view and answer this notice")
QR_MM = 30
PHOTOS_PER_ROW = 3
HEADING_KEPT_WITH = 3  # lines: an item's heading and the first two under it
DEADLINE_LINE = 1  # of the text rendering, under the title
SIZES = {0: 14, DEADLINE_LINE: 11}
ACTION_COLUMNS = (30, 12, 136)  # due date, item, required action: shares of the text width
SIGN_STATEMENT = N_("We acknowledge receipt of this notice and will complete each action by its due date.")
SIGN_BOXES = ((N_("Signature of the factory's responsible person"), 0.4), (N_("Company stamp"), 0.35),
              (N_("Date"), 0.25))
SIGN_BOX_MM = 42
SECTION, ACTIONS = "notice/section.txt.j2", "notice/actions.txt.j2"
TEMPLATES = (SECTION, ACTIONS)  # rendered on the "text" surface


class _NoticeDocument(A4Document):
    def __init__(self, number: str, version: int, sent_at: datetime):
        # Dated when the version was sent: a version's PDF is the same bytes whenever it is
        # rendered (a crash before it was stored, `followup notice render`).
        super().__init__(f"{number} v{version}", sent_at)
        self.number = number
        self.version = version

    def head(self) -> str:
        return "    ".join(_both(NOTICE_TITLE, number=self.number, version=self.version))

    def foot(self) -> str:
        pages = " · ".join(_both(PAGE, page=self.page_no(), pages="{nb}"))  # fpdf2 fills in {nb}
        return f"{pages} · {self.number}"


def _both(message: str, **params: object) -> list[str]:
    """A header or footer line in Chinese and English, like the notice itself."""
    return [Language(locale).gettext(message) % params for locale in (CHINESE, ENGLISH)]


def notice_pdf(view: View, photos: PhotoStore, link: str | None = None) -> bytes:
    """`link`: the version's signed page link, printed with its QR code under the title of
    the first page when the web server runs; without it the PDF is as it always was."""
    notice = view.notice
    # Paper has no buttons: the reader scans the code the first page carries, or asks the buyer.
    answers = Answers.PRINTED_LINK if link else Answers.PRINTED
    document = _NoticeDocument(notice.number, notice.version, notice.sent.at)
    zone = view.factory.timezone
    items = {item.label: item for item in view.items}
    for locale in (CHINESE, ENGLISH):
        document.add_page()
        language = Language(locale, zone)
        text = render("text", SECTION, language, v=view, answers=answers)
        actions = render("text", ACTIONS, language, v=view)
        first = locale == CHINESE
        page = _Page(document, items if first else {}, photos, view)
        _lay_out(page, text, actions, link if first else None, closing=None if first else _sign_block)
    return bytes(document.output())


@dataclass(frozen=True)
class _Page:
    """What laying out one language's section needs besides its text."""

    document: _NoticeDocument
    items: dict[str, Item]
    photos: PhotoStore
    view: View

    def on(self, document: FPDF) -> _Page:
        return dataclasses.replace(self, document=document)


def _lay_out(page: _Page, text: str, actions: str, link: str | None,
             closing: Callable[[FPDF], None] | None) -> None:
    """The head (the title larger, the acknowledgement deadline under it, then the link), the
    table of actions by due date, the items with their photos (first section only), and the
    last item, the answering sentence and `closing` kept together on one page: a page never
    holds a lone sentence or a signature block without what it signs."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if ITEM_START.match(line)] or [len(lines)]
    _lines(page, lines[:starts[0]], 0, link)
    _actions_table(page.document, actions)
    _lines(page, lines[starts[0]:starts[-1]], starts[0], None)

    def tail(document: FPDF) -> None:
        _lines(page.on(document), lines[starts[-1]:], starts[-1], None)
        if closing:
            closing(document)

    kept_together(page.document, tail)


def _lines(page: _Page, lines: list[str], first: int, link: str | None) -> None:
    """Lines of the text rendering, numbered from `first`; each item's photos after its lines."""
    document = page.document
    current: Item | None = None
    for i, line in enumerate(lines, start=first):
        if i == DEADLINE_LINE + 1 and link:
            _link_block(document, link)
        if match := ITEM_START.match(line):
            _photos(document, current, page.photos, page.view)
            current = page.items.get(match["label"])
            document.ln(1.5)
            if document.will_page_break(HEADING_KEPT_WITH * LINE_MM):
                document.add_page()  # an item's heading never ends a page without what it heads
        text_line(document, line, SIZES.get(i, 10), 7 if i == 0 else LINE_MM)
    _photos(document, current, page.photos, page.view)


def _actions_table(document: FPDF, actions: str) -> None:
    """What is due when, soonest first, before the items in full: the factory plans by it."""
    title, *rows = actions.split("\n")
    document.ln(2)
    document.set_font(FONT, size=11)
    document.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    table(document, [row.split("\t") for row in rows], ACTION_COLUMNS)
    document.ln(3)


def _sign_block(document: FPDF) -> None:
    """So a factory can also answer on paper: what signing means, then boxes for the
    responsible person's signature, the company stamp (a round seal of about 40 mm) and the
    date, each named in Chinese and English."""
    document.ln(4)
    document.set_font(FONT, size=10)
    for said in _both(SIGN_STATEMENT):
        for part in break_lines(said, document.epw, document.get_string_width):
            document.cell(0, LINE_MM, part, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = document.get_y() + 3
    x = document.l_margin
    for label, share in SIGN_BOXES:
        width = document.epw * share
        document.rect(x, top, width, SIGN_BOX_MM)
        document.set_font(FONT, size=8)
        for n, said in enumerate(_both(label)):
            document.set_xy(x + 1.5, top + 1.5 + n * 4)
            document.cell(width - 3, 4, said)
        x += width
    document.set_xy(document.l_margin, top + SIGN_BOX_MM + 2)


def _photos(document: _NoticeDocument, item: Item | None, photos: PhotoStore, view: View) -> None:
    if item is None or not item.item.photos:
        return
    shown = [stored_thumbnail(photos, view.visit.photos[name]) for name in item.item.photos]
    photo_rows(document, [image for image in shown if image is not None], PHOTOS_PER_ROW)


def _link_block(document: _NoticeDocument, link: str) -> None:
    """The QR code, and beside it what it is for in both languages and the link itself (a
    reader may click it, a person may type it)."""
    top = document.get_y() + 1
    document.image(BytesIO(qr_png(link)), x=document.l_margin, y=top, w=QR_MM, h=QR_MM, link=link)
    left = document.l_margin + QR_MM + 4
    width = document.epw - QR_MM - 4
    document.set_xy(left, top + 3)
    document.set_font(FONT, size=10)
    for said in _both(SCAN):
        document.set_x(left)
        document.cell(width, LINE_MM, said, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    document.set_font(FONT, size=7)
    document.set_text_color(40, 40, 160)
    for part in break_lines(link, width, document.get_string_width):
        document.set_x(left)
        document.cell(width, 3.6, part, link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    document.set_text_color(0, 0, 0)
    document.set_y(top + QR_MM + 3)
