"""Imported by the CPU pool's fork server alone (bot/cpu.py PRELOAD), so every worker is forked
with the PDF font parsed: a fresh worker's first notice PDF otherwise spent a quarter of a second
reading its 30,000 widths; workers are fresh after every start and after any worker dies. (What
the documents make on first use besides is made in bot/cpu_warm.py, when the pool is warmed at
start: here, it would hold up a pool started by its first job.)"""

from messages.pdf_font import parsed_font
from messages.pdf_layout import FONT

parsed_font(FONT)
