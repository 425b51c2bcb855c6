"""Imported by the CPU pool's fork server alone (bot/cpu.py PRELOAD), so every worker is forked
with what each document needs made once: the PDF font parsed (its 30,000 widths), the catalogs
read and the templates compiled. A fresh worker's first notice PDF otherwise paid for all three,
some 0.3 s; workers are fresh after every start and after any worker dies."""

from messages.environment import precompile
from messages.pdf_font import parsed_font
from messages.pdf_layout import FONT

parsed_font(FONT)
precompile()
