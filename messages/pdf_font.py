"""The Chinese font of every PDF, parsed once per process: reading Noto Sans SC's cmap and
widths (some 30,000 characters) took a quarter of a second of every notice PDF.

A worker keeps the parsed font and gives each document a copy of its own: the tables of
widths are copied (a dictionary copy, not a parse), what a document records as it draws (the
glyphs it used, the missing ones) starts empty, and the font file is read afresh, lazily,
because fpdf2 cuts that file down to the used glyphs in place when it writes the document.
It reads from the file's bytes, held once per process, not from an open file: a document
never closes what it reads its font from, and each one left an open file to the garbage
collector (the suite's "ResourceWarning: unclosed file ... NotoSansSC-Regular.otf").
"""

from __future__ import annotations

import copy
from functools import cache
from io import BytesIO

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap

from messages.fonts import font_path

# What fontTools' subsetter needs to cut the CFF table down, which alone is embedded. Every
# other table it would read and cut down too, to be thrown away: the shaping tables' lookups
# and the cmap of 30,000 characters were two fifths of writing a notice PDF.
SUBSET_TABLES = {"CFF ", "head", "hhea", "hmtx", "maxp"}


def add_shared_font(document: FPDF, family: str) -> None:
    """`document.add_font(family, fname=font_path())`, without parsing the font again."""
    scratch = parsed_font(family)
    parsed = scratch.fonts[family.lower()]
    font = copy.copy(parsed)
    font.i = len(document.fonts) + 1
    # No bounding boxes recalculated when fpdf2 writes the cut-down font: the PDF embeds its CFF
    # table, whose box stays the whole font's (still true of every glyph kept), and the box
    # readers use is the font descriptor's, from the whole font too. Recalculating them drew
    # every kept glyph's outline twice, the largest part of writing the PDF.
    font.ttfont = _EmbeddedCff(BytesIO(_font_file()), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    for unused in set(font.ttfont.keys()) - SUBSET_TABLES - {"GlyphOrder"}:
        del font.ttfont[unused]
    font.cw = parsed.cw.copy()
    font.glyph_ids = parsed.glyph_ids.copy()
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    document.fonts[font.fontkey] = font
    document.pdf_version = max(document.pdf_version, scratch.pdf_version)  # 1.6 for a CFF font, as add_font sets


@cache
def _font_file() -> bytes:
    """The font file's bytes, which every document's BytesIO shares without a copy."""
    return font_path().read_bytes()


class _EmbeddedCff(ttLib.TTFont):
    """The font file as fpdf2 embeds a CID-keyed CFF font (Noto Sans SC is one): it cuts the
    font down, saves the whole cut-down font, then throws that away and embeds the CFF table
    alone, compiled afresh. The save, which compiled every table, writes nothing here."""

    def save(self, file, reorderTables=True) -> None:
        pass


@cache
def parsed_font(family: str) -> FPDF:
    """A document that holds nothing but the parsed font (bot/cpu_preload.py parses it
    ahead in the CPU pool's fork server)."""
    scratch = FPDF()
    scratch.add_font(family, fname=str(font_path()))
    parsed = scratch.fonts[family.lower()]
    parsed.ttfont.close()  # its widths and glyph ids are read; each document reads its own copy (_font_file)
    _font_file()
    if not (parsed.is_cff and parsed.is_cid_keyed):  # what _EmbeddedCff's save relies on
        raise ValueError(f"{font_path().name}: fpdf2 would embed the whole file, which _EmbeddedCff does not write")
    parsed.ttfont = None  # its tables, 15 MB a process, are read: each document has its own (add_shared_font)
    return scratch
