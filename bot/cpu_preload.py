"""Imported by the CPU pool's fork server alone (bot/cpu.py PRELOAD), so every worker is forked
with the PDF font parsed: a fresh worker's first notice PDF otherwise spent a quarter of a second
reading its 30,000 widths; workers are fresh after every start and after any worker dies. (The
catalogs and templates are not made here: doing that too held up the fork server's start, and
so every job after a restart, by over a second.)"""

from messages.pdf_font import parsed_font
from messages.pdf_layout import FONT

parsed_font(FONT)
