"""Imported by the CPU pool's fork server alone (bot/cpu.py PRELOAD), so every worker is forked
with what a notice PDF and a progress chart make on first use already made: the PDF font parsed
(its 30,000 widths), the two catalogs and their CLDR formats read, the notice's templates
compiled, the text checks' pattern built and the chart font registered. A fresh worker's first
notice PDF paid ~0.2 s for them, and its first chart ~0.1 s; workers are fresh after every start
and after any worker dies. Only what those documents use: compiling every template and reading
every catalog here as well held the fork server's start, and so every job after a restart, up
by over a second under load."""

from handlers.text import neutralised
from messages.chart import font_family
from messages.environment import precompile_used_by
from messages.i18n import CHINESE, ENGLISH, load_locales
from messages.pdf import TEMPLATES
from messages.pdf_font import parsed_font
from messages.pdf_layout import FONT

parsed_font(FONT)
load_locales((CHINESE, ENGLISH))
precompile_used_by("text", TEMPLATES)
neutralised("预热")  # builds the pattern of what it removes, once
font_family()
