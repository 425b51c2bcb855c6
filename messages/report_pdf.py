"""The visit report as a printable A4 PDF, in its reader's language: what an inspection firm
hands the buyer, for colleagues who are not in the chat. Order and visit, status with its
reasons, progress with the chart, schedule, materials, packaging, the AQL table, every
finding with its photos (captioned) and what was decided on it, and the notices sent with
their answers.

The words come from the report's template (messages/templates/report/visit_report.txt.j2),
which shares its sections with the findings summary; this module lays the text out with the
pieces every document shares (messages/pdf_layout.py). Drawing the chart and scaling the
photos is CPU work: the bot renders in its worker pool (bot/cpu.py), never on the loop.
"""

from __future__ import annotations

import re
from io import BytesIO

from fpdf import FPDF

from handlers.catalog import N_
from handlers.queries.visit_record import VisitRecord
from messages.chart import render_chart
from messages.environment import render
from messages.i18n import Language
from messages.pdf_layout import LINE_MM, PAGE, A4Document, photo_rows, table, text_line
from messages.photos import PhotoFinder, thumbnail

TITLE = N_("Visit report %(order)s, visit of %(date)s")
ITEM_HEADING = re.compile(r"^\[(?P<label>[A-Z]\d+)\] ")
NAVY = (31, 78, 121)
PHOTOS_PER_ROW = 3
KEPT_WITH = 3  # lines: a heading never ends a page without the first two under it
AQL_COLUMNS = (34, 12, 16, 16, 16, 14, 22)  # severity, AQL, sample, Ac/Re, checked, found, result
CHART_RATIO = 720 / 1080  # messages/chart.py draws 1080×720


class _ReportDocument(A4Document):
    def __init__(self, record: VisitRecord, language: Language):
        self.language = language
        self.reference = record.visit.order_reference
        self.title_line = language.gettext(TITLE) % {"order": self.reference,
                                                     "date": language.date(record.visit.report.visit.date)}
        super().__init__(self.title_line, record.made_at)

    def head(self) -> str:
        return self.title_line

    def foot(self) -> str:
        return f"{self.language.gettext(PAGE) % {'page': self.page_no(), 'pages': '{nb}'}} · {self.reference}"


def visit_report_pdf(record: VisitRecord, language: Language, find_photo: PhotoFinder) -> bytes:
    text = render("text", "report/visit_report.txt.j2", language, rec=record, report=record.visit.report,
                  analysis=record.analysis, factory=record.factory)
    document = _ReportDocument(record, language)
    document.add_page()
    _lay_out(document, text.split("\n"), record, language, find_photo)
    return bytes(document.output())


def _lay_out(document: FPDF, lines: list[str], record: VisitRecord, language: Language,
             find_photo: PhotoFinder) -> None:
    """Line by line, as the template's docstring describes its marks."""
    rows: list[list[str]] | None = None
    shown = ""  # the item heading the photos that follow belong to
    for i, line in enumerate(lines):
        if rows is not None:
            if line == "@end":
                table(document, rows, AQL_COLUMNS)
                document.ln(2)
                rows = None
            else:
                rows.append(line.split("\t"))
        elif line == "@table":
            rows = []
        elif line == "@chart":
            _chart(document, render_chart(record.chart, language))
        elif line.startswith("@photos "):
            _photos(document, record, line.removeprefix("@photos "), shown, find_photo)
        elif i == 0:
            document.set_text_color(*NAVY)
            text_line(document, line, 15, 8)
            document.set_text_color(0, 0, 0)
        elif not line.strip():
            document.ln(LINE_MM / 2)
        elif line[0] != " ":
            shown = line if ITEM_HEADING.match(line) else shown
            _heading(document, line, item=bool(ITEM_HEADING.match(line)))
        else:
            text_line(document, line, 9.5)


def _heading(document: FPDF, line: str, item: bool) -> None:
    """A section's heading (larger, navy, ruled) or an item's, kept with what it heads."""
    document.ln(1 if item else 2)
    if document.will_page_break(KEPT_WITH * LINE_MM + 3):
        document.add_page()
    if item:
        text_line(document, line, 10.5, 6)
        return
    document.set_text_color(*NAVY)
    text_line(document, line, 12.5, 7)
    document.set_text_color(0, 0, 0)
    document.set_draw_color(*NAVY)
    document.line(document.l_margin, document.get_y(), document.l_margin + document.epw, document.get_y())
    document.set_draw_color(0, 0, 0)
    document.ln(1.5)


def _chart(document: FPDF, png: bytes) -> None:
    width = document.epw * 0.9
    height = width * CHART_RATIO
    if document.will_page_break(height + 2):
        document.add_page()
    top = document.get_y() + 1
    document.image(BytesIO(png), x=document.l_margin + (document.epw - width) / 2, y=top, w=width, h=height)
    document.set_y(top + height + 2)


def _photos(document: FPDF, record: VisitRecord, label: str, heading: str, find_photo: PhotoFinder) -> None:
    """The item's photos, scaled down (messages/photos.py), each captioned with its file name
    and what it shows: the item's heading."""
    item = next(r for r in record.items if r.item.label == label)
    found = [(name, find_photo(record.visit.photos[name])) for name in item.photos if name in record.visit.photos]
    shown = [(name, path) for name, path in found if path is not None]
    captions = [f"{name} · {heading}" for name, _ in shown]
    photo_rows(document, [thumbnail(path) for _, path in shown], PHOTOS_PER_ROW, captions)
