"""Imported by the fork server of a CPU pool warmed at start (bot/cpu.py WARM, the running bot),
after bot/cpu_preload.py, so every worker is forked with what a notice PDF and a progress chart
make on first use already made: the two catalogs and their CLDR formats read, the notice's
templates compiled, the text checks' pattern built and the chart's font loaded at its sizes. A
fresh worker's first notice PDF paid ~0.25 s CPU for them, and its first chart the catalogs;
workers are fresh after every start and after any worker dies. Only what those documents use, and only when
the pool is warmed while nobody waits: it adds ~0.25 s to the fork server's start, which a pool
started by its first job (a bot started by the crash tests dozens of times a minute) would make
that job wait for; compiling every template and catalog here held it up by over a second."""

from handlers.text import neutralised
from messages.chart import load_fonts
from messages.environment import precompile_used_by
from messages.i18n import CHINESE, ENGLISH, load_locales
from messages.pdf import TEMPLATES

load_locales((CHINESE, ENGLISH))
precompile_used_by("text", TEMPLATES)
neutralised("预热")  # builds the pattern of what it removes, once
load_fonts()
