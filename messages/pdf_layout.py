"""What every printable document of the bot is made of: an A4 page with the embedded Chinese
font, a header line and a numbered footer, wrapped and indented text lines, a table, and rows
of photos scaled to fit. The corrective notice (messages/pdf.py) and the visit report
(messages/report_pdf.py) lay out their own text with these, so both print alike.

Noto Sans SC (SIL OFL, shipped by the pylopdf-fonts-zh-cn package) is embedded as a subset,
so Chinese shows correctly on a reader with no fonts installed, and nothing is downloaded at
run time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from io import BytesIO

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont
from handlers.catalog import N_
from messages.line_break import break_lines
from messages.pdf_font import add_shared_font
from messages.photos import Thumbnail

FONT = "NotoSansSC"
PAGE = N_("Page %(page)s of %(pages)s")  # every document's footer
LINE_MM = 5.2
INDENT_MM = 1.4  # per leading space of a text rendering
GREY = (110, 110, 110)
HEADER_MM = 5 + 3  # the header line and the space under it
HEADING_FILL = (225, 233, 243)
TABLE_LINE_MM = 4.6


class A4Document(FPDF):
    """Portrait A4 with the font; `head` and `foot` say what the header and footer lines
    read on each page (fpdf2 fills in "{nb}", the page count)."""

    def __init__(self, title: str, made: datetime):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        # Dated when what it shows was made, not when rendered: rendered again, the same bytes.
        self.set_creation_date(made)
        self.set_margins(16, 18, 16)
        self.set_auto_page_break(auto=True, margin=18)
        add_shared_font(self, FONT)
        self.set_title(title)
        self.set_creator("followup")

    def get_string_width(self, s: str, normalized: bool = False, markdown: bool = False) -> float:
        """fpdf2's width of `s`, summed from the font's table of widths. Lines are broken here
        (messages/line_break.py), which measures every token and every line so far: fpdf2's
        own measure splits the text into styled fragments and copies the graphics state at
        each call, and was a third of a notice PDF's cost. Its way stays for what this one
        does not cover (markdown, text shaping, stretched or spaced type, core fonts)."""
        font = self.current_font
        if (markdown or self.text_shaping or self.font_stretching != 100 or self.char_spacing
                or not isinstance(font, TTFFont) or font.is_symbol):
            return super().get_string_width(s, normalized, markdown)
        widths = font.cw
        return sum(widths[ord(c)] for c in s) * self.font_size_pt * 0.001 / self.k

    def head(self) -> str:
        raise NotImplementedError

    def foot(self) -> str:
        raise NotImplementedError

    def header(self) -> None:
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.head(), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(HEADER_MM - 5)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.foot(), align="C")


def kept_together(document: A4Document, draw: Callable[[FPDF], None], at_most: float | None = None) -> None:
    """What `draw` lays out, on one page when it fits on one: what would break over the page's
    end starts a new page instead, so a page never ends with a heading cut from what it heads,
    nor ends the document holding a lone last line. Measured first on a blank page of the same
    geometry at the same height (fpdf2's own trial copies the whole document, fonts and pages,
    which cost a notice PDF a second), then drawn for real; `at_most` (mm), the most it can
    take, spares the measuring where the page has that much room left."""
    if at_most is not None and not document.will_page_break(at_most):
        draw(document)
        return
    top = document.get_y()
    trial = _Trial(document)
    draw(trial)
    height = trial.get_y() - top + (trial.page - 1) * document.eph
    if (top + height > document.page_break_trigger or trial.page > 1) and height <= document.eph - HEADER_MM:
        document.add_page()
    draw(document)


class _Trial(A4Document):
    """A blank page like `document`'s, its pen where `document`'s is, where kept_together
    measures. As in fpdf2's trial rendering, nothing breaks the page by itself: what overflows
    runs on down, and only an explicit new page turns it."""

    def __init__(self, document: A4Document):
        super().__init__("", document.creation_date)
        self.set_auto_page_break(auto=False, margin=document.b_margin)
        self.add_page()
        self.set_y(document.get_y())

    def head(self) -> str:
        return ""

    def foot(self) -> str:
        return ""


def text_line(document: FPDF, line: str, size: float, height: float = LINE_MM) -> None:
    """One line of a text rendering: its indent becomes a margin, under which its wrapped
    lines hang; lines are broken as Chinese is typeset (messages/line_break.py), not only at
    spaces."""
    document.set_font(FONT, size=size)
    text = line.lstrip(" ")
    indent = (len(line) - len(text)) * INDENT_MM
    for part in break_lines(text, document.epw - indent, document.get_string_width):
        document.set_x(document.l_margin + indent)
        document.cell(document.epw - indent, height, part, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def table(document: FPDF, rows: list[list[str]], widths: tuple[float, ...], size: float = 9) -> None:
    """Rows of cells across the text width (`widths` are shares), the first row the headings:
    shaded, and drawn again at the top of each page the table runs on to; a row is never split
    over two pages, and a cell's text is broken as a line is (messages/line_break.py). Drawn
    here rather than with fpdf2's table, which laid out every cell twice through its own line
    breaker: two fifths of a notice PDF's layout for its table of 20 actions."""
    document.set_font(FONT, size=size)
    columns = [document.epw * share / sum(widths) for share in widths]
    heading, *body = rows
    _table_row(document, heading, columns, shaded=True)
    for row in body:
        lines = _cell_lines(document, row, columns)
        if document.will_page_break(len(max(lines, key=len)) * TABLE_LINE_MM):
            document.add_page()
            _table_row(document, heading, columns, shaded=True)
        _table_row(document, row, columns)


def _cell_lines(document: FPDF, row: list[str], columns: list[float]) -> list[list[str]]:
    return [break_lines(value, width - 2 * document.c_margin, document.get_string_width)
            for value, width in zip(row, columns, strict=True)]


def _table_row(document: FPDF, row: list[str], columns: list[float], shaded: bool = False) -> None:
    """One row: each cell framed (and filled, when `shaded`) to the row's tallest cell, its
    lines centred in it from top to bottom."""
    lines = _cell_lines(document, row, columns)
    height = len(max(lines, key=len)) * TABLE_LINE_MM
    top, x = document.get_y(), document.l_margin
    document.set_fill_color(*HEADING_FILL)
    for width, parts in zip(columns, lines, strict=True):
        document.rect(x, top, width, height, style="DF" if shaded else "D")
        document.set_xy(x, top + (height - len(parts) * TABLE_LINE_MM) / 2)
        for part in parts:
            document.set_x(x)
            document.cell(width, TABLE_LINE_MM, part, new_x=XPos.LEFT, new_y=YPos.NEXT)
        x += width
    document.set_xy(document.l_margin, top + height)


def photo_rows(document: FPDF, images: list[Thumbnail], per_row: int, captions: list[str] | None = None) -> None:
    """Photos `per_row` abreast, each scaled to the column, a row never split over two pages;
    under each its caption, when given, wrapped to the column."""
    gap = 3
    width = (document.epw - gap * (per_row - 1)) / per_row
    for start in range(0, len(images), per_row):
        row = images[start:start + per_row]
        below = captions[start:start + per_row] if captions else []
        lines = [break_lines(c, width, _caption_width(document)) for c in below]
        caption_mm = max((len(found) for found in lines), default=0) * 3.4
        height = max(width * image.height / image.width for image in row)
        if document.get_y() + height + caption_mm > document.h - document.b_margin:
            document.add_page()
        top = document.get_y() + 1
        for column, image in enumerate(row):
            x = document.l_margin + column * (width + gap)
            document.image(BytesIO(image.jpeg), x=x, y=top, w=width)
            for n, part in enumerate(lines[column] if lines else []):
                document.set_xy(x, top + height + 0.5 + n * 3.4)
                document.cell(width, 3.4, part)
        document.set_y(top + height + caption_mm + 2)
    document.set_text_color(0, 0, 0)


def _caption_width(document: FPDF):
    """The width of caption text, measured in the caption's font (7 pt, grey)."""
    document.set_font(FONT, size=7)
    document.set_text_color(*GREY)
    return document.get_string_width
