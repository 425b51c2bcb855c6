"""The Chinese font of every PDF, parsed once per process: reading Noto Sans SC's cmap and
widths (some 30,000 characters) took a quarter of a second of every notice PDF.

A worker keeps the parsed font and gives each document a copy of its own: the tables of
widths are copied (a dictionary copy, not a parse), what a document records as it draws (the
glyphs it used, the missing ones) starts empty, and the font file is opened afresh, lazily,
because fpdf2 cuts that file down to the used glyphs in place when it writes the document.
"""

from __future__ import annotations

import copy
from functools import cache

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap

from messages.fonts import font_path


def add_shared_font(document: FPDF, family: str) -> None:
    """`document.add_font(family, fname=font_path())`, without parsing the font again."""
    scratch = _parsed(family)
    parsed = scratch.fonts[family.lower()]
    font = copy.copy(parsed)
    font.i = len(document.fonts) + 1
    # No bounding boxes recalculated when fpdf2 writes the cut-down font: the PDF embeds its CFF
    # table, whose box stays the whole font's (still true of every glyph kept), and the box
    # readers use is the font descriptor's, from the whole font too. Recalculating them drew
    # every kept glyph's outline twice, the largest part of writing the PDF.
    font.ttfont = ttLib.TTFont(font.ttffile, recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.cw = parsed.cw.copy()
    font.glyph_ids = parsed.glyph_ids.copy()
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    document.fonts[font.fontkey] = font
    document.pdf_version = max(document.pdf_version, scratch.pdf_version)  # 1.6 for a CFF font, as add_font sets


@cache
def _parsed(family: str) -> FPDF:
    """A document that holds nothing but the parsed font."""
    scratch = FPDF()
    scratch.add_font(family, fname=str(font_path()))
    return scratch
