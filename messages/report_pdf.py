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
from messages.line_break import break_lines
from messages.pdf_layout import FONT, INDENT_MM, LINE_MM, PAGE, A4Document, kept_together, photo_rows, table, text_line
from messages.photos import PhotoStore, stored_thumbnail

TITLE = N_("Visit report %(order)s, visit of %(date)s")
# A photo the factory sent with its done report; after a reopen, with which report.
CORRECTION = N_("photo of the correction")
CORRECTION_AGAIN = N_("photo of the correction (done report %(num)s)")
ITEM_HEADING = re.compile(r"^\[(?P<label>[A-Z]\d+)\] ")
NAVY = (31, 78, 121)
PHOTOS_PER_ROW = 3
BODY_PT = 9.5
SECTION_PT, SECTION_LINE_MM = 12.5, 7  # a section heading's type, the largest in the body
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


def visit_report_pdf(record: VisitRecord, language: Language, photos: PhotoStore) -> bytes:
    text = render("text", "report/visit_report.txt.j2", language, rec=record, report=record.visit.report,
                  analysis=record.analysis, factory=record.factory)
    document = _ReportDocument(record, language)
    document.add_page()
    _lay_out(document, text.split("\n"), record, language, photos)
    return bytes(document.output())


def _lay_out(document: FPDF, lines: list[str], record: VisitRecord, language: Language,
             photos: PhotoStore) -> None:
    """The title, then block by block (`_blocks`). A block of text (a section's head, an
    item's text, a table) is kept on one page when it fits on one (pdf_layout.kept_together):
    a heading never ends a page cut from what it heads, and the report never ends on a page
    of one line; the chart and an item's photos follow, a row of photos never split."""
    document.set_text_color(*NAVY)
    text_line(document, lines[0], 15, 8)
    document.set_text_color(0, 0, 0)
    shown = ""  # the item heading the photos that follow belong to
    for block in _blocks(lines[1:]):
        if block[0] == "@chart":
            _chart(document, render_chart(record.chart, language))
        elif block[0].startswith("@photos "):
            _photos(document, record, block[0].removeprefix("@photos "), shown, language, photos)
        else:
            shown = block[0] if ITEM_HEADING.match(block[0]) else shown
            kept_together(document, lambda d, lines=block: _text(d, lines), _at_most(document, block))


def _blocks(lines: list[str]) -> list[list[str]]:
    """The lines cut before each heading (a line at the margin that is no table row) and
    around each drawing ("@chart", "@photos LABEL"), which is a block of its own."""
    blocks: list[list[str]] = [[]]
    in_table = False
    for line in lines:
        drawing = line == "@chart" or line.startswith("@photos ")
        if drawing or (line[:1] not in ("", " ", "@") and not in_table):
            blocks.append([])
        in_table = line == "@table" or (in_table and line != "@end")
        blocks[-1].append(line)
        if drawing:
            blocks.append([])
    return [block for block in blocks if block]


def _at_most(document: FPDF, lines: list[str]) -> float | None:
    """About the height a block of text takes (mm), a little more, measured cheaply as
    `_text` wraps it but every heading in the section headings' type and space; None for a
    table, which only a trial measures."""
    if "@table" in lines:
        return None
    height = 0.0
    for line in lines:
        text = line.lstrip(" ")
        if not text:
            height += LINE_MM / 2
            continue
        heading = text == line
        document.set_font(FONT, size=SECTION_PT if heading else BODY_PT)
        width = document.epw - (len(line) - len(text)) * INDENT_MM
        printed = len(break_lines(text, width, document.get_string_width))
        height += printed * SECTION_LINE_MM + 5 if heading else printed * LINE_MM
    return height + 2


def _text(document: FPDF, lines: list[str]) -> None:
    """A block's lines, as the template's docstring describes its marks."""
    rows: list[list[str]] | None = None
    for line in lines:
        if rows is not None:
            if line == "@end":
                table(document, rows, AQL_COLUMNS)
                document.ln(2)
                rows = None
            else:
                rows.append(line.split("\t"))
        elif line == "@table":
            rows = []
        elif not line.strip():
            document.ln(LINE_MM / 2)
        elif line[0] != " ":
            _heading(document, line, item=bool(ITEM_HEADING.match(line)))
        else:
            text_line(document, line, BODY_PT)


def _heading(document: FPDF, line: str, item: bool) -> None:
    """A section's heading (larger, navy, ruled) or an item's, kept with what it heads."""
    document.ln(1 if item else 2)
    if document.will_page_break(KEPT_WITH * LINE_MM + 3):
        document.add_page()
    if item:
        text_line(document, line, 10.5, 6)
        return
    document.set_text_color(*NAVY)
    text_line(document, line, SECTION_PT, SECTION_LINE_MM)
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


def _photos(document: FPDF, record: VisitRecord, label: str, heading: str, language: Language,
            photos: PhotoStore) -> None:
    """The item's photos, scaled down (messages/photos.py), each captioned with what it shows,
    the item's heading: first the visit's, named by their file, then those the factory sent
    of its correction, done report by done report."""
    item = next(r for r in record.items if r.item.label == label)
    found = [(name, stored_thumbnail(photos, record.visit.photos[name])) for name in item.photos
             if name in record.visit.photos]
    for done in item.corrections:
        said = (language.gettext(CORRECTION) if done.number == 1
                else language.gettext(CORRECTION_AGAIN) % {"num": done.number})
        found += [(said, stored_thumbnail(photos, photo.sha256)) for photo in done.photos]
    shown = [(name, image) for name, image in found if image is not None]
    captions = [f"{name} · {heading}" for name, _ in shown]
    photo_rows(document, [image for _, image in shown], PHOTOS_PER_ROW, captions)
