"""Breaking a line of mixed Chinese and Latin text to a width, as Chinese is typeset: a break
may fall between any two Chinese characters, Latin words stay whole, and no line starts with
closing punctuation (，。）…) or ends with opening punctuation (（“…). fpdf2 only breaks at
spaces, which puts a line break before a full-width comma."""

from __future__ import annotations

import re
from collections.abc import Callable

NO_LINE_START = set("，。、；：！？）》」』】〕”’%,.;:!?)]}·")
NO_LINE_END = set("（《「『【〔“‘([{")
# A Latin run (letters, digits and what joins them), a run of spaces, or any one character.
_TOKEN = re.compile(r"[A-Za-z0-9_\-./@#&+'\"×%]+| +|.", re.DOTALL)


def break_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """`text` as lines no wider than `width` (by `measure`), except that closing punctuation
    hangs at the end of the line it belongs to rather than starting the next. A line's width
    is the sum of its tokens' (as a PDF font's is, with no kerning): measuring the whole line
    again at each token made a notice's long Chinese lines quadratic."""
    lines: list[str] = []
    line, used = "", 0.0
    for token in _pieces(text, width, measure):
        size = measure(token)
        if not line or used + size <= width or token[0] in NO_LINE_START:
            line, used = line + token, used + size
            continue
        if token.isspace():  # a break at a space: the space goes
            lines.append(line.rstrip(" "))
            line, used = "", 0.0
            continue
        line, carried = _without_opening(line)
        lines.append(line.rstrip(" "))
        line = carried + token
        used = measure(line)
    if line or not lines:
        lines.append(line.rstrip(" "))
    return lines


def _pieces(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Tokens, with a Latin run too wide for any line cut into pieces that fit."""
    pieces = []
    for token in _TOKEN.findall(text):
        while len(token) > 1 and measure(token) > width:
            cut = len(token) - 1
            while cut > 1 and measure(token[:cut]) > width:
                cut -= 1
            pieces.append(token[:cut])
            token = token[cut:]
        pieces.append(token)
    return pieces


def _without_opening(line: str) -> tuple[str, str]:
    """Opening punctuation at the end of a line moves to the next one."""
    carried = ""
    while line and line[-1] in NO_LINE_END:
        carried = line[-1] + carried
        line = line[:-1]
    return line, carried
