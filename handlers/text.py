"""Text people type or reports carry (names, notes, reasons, dispute text, report fields, file
names): shown as it reads, trimmed, required where it must be, bounded.

`neutralised` removes what a reader cannot see but what changes what they read:

- bidirectional controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates,
  U+200E/U+200F/U+061C marks). An override shows "PO-2026-0142" for the characters
  "PO-2026-2410"; a mark next to digits reorders them. Our readers write English and Chinese,
  whose letters carry their own direction, and a Hebrew or Arabic name still reads right
  without these: its letters are strong right-to-left characters by themselves;
- zero-width and other invisible format characters (U+200B–U+200D, U+2060–U+2064, U+FEFF,
  the soft hyphen, interlinear annotations, Hangul fillers, variation selectors out of place,
  tag characters, every other format character): they make two different texts look alike
  ("PO-2026-0142" and "PO-2026-01\u200b42"), a blank name, or text a reader cannot see;
- control characters other than tab and line feed (a report cannot drive a terminal; a lone
  surrogate, which JSON can carry, would make the text unsendable: it becomes U+FFFD); line and
  paragraph separators become line feeds, the one line break every surface shows as such;
- combining marks beyond 30 in a row (Unicode's stream-safe limit, UAX #15): no real script
  needs more, and a tower of them paints over the lines around it.

Kept, because they cannot disguise anything: Chinese and every other script; a variation
selector (U+FE0E/U+FE0F) right after a visible character, which only picks its text or emoji
look (1️⃣, ❤️); a zero-width joiner with a symbol on both sides (👩‍🔬, 🏳️‍🌈), which can merge
two symbols into one picture but never touches a letter or a digit, so no word, number or
reference can be joined, split or hidden by it; a flag's tag sequence (🏴 + 2–7 tag letters
or digits + cancel tag: 🏴󠁧󠁢󠁳󠁣󠁴󠁿), which shows as a flag and cannot carry text.

Where: every value a template shows passes through it (messages.environment), so whatever
reached the store (a report posted before this rule, a Slack profile name, an imported order
list) is shown harmlessly in every chat, the console and the PDF; and text typed as an answer
(a reason, a note) is neutralised before it is stored, so what the audit trail keeps is what
the person could see they wrote. The report itself is stored as posted: it is the record of
what the inspector sent.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from handlers.results import Refused

MAX_TEXT = 1000
MAX_NON_STARTERS = 30  # UAX #15, stream-safe text format

_LINE_SEPARATORS = re.compile("[\u2028\u2029]")
_FLAG_TAGS = re.compile("\U0001F3F4([\U000E0030-\U000E0039\U000E0061-\U000E007A]{2,7}\U000E007F)")
_ZWJ, _VS15, _VS16 = "\u200d", "\ufe0e", "\ufe0f"
_INVISIBLE = frozenset({"Cc", "Cf", "Cs"})  # controls, format characters, lone surrogates
# Invisible, yet not format characters (Cf): the combining grapheme joiner, Khmer inherent
# vowels, Mongolian variation selectors, Hangul fillers, variation selectors, and Cf's own
# default-ignorable neighbours in the tag block.
_IGNORABLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0]
    + list(range(0xFE00, 0xFE10)) + list(range(0xE0100, 0xE01F0)) + list(range(0xFFF0, 0xFFF9))
    + list(range(0xE0000, 0xE1000))
)


# Text made of these alone is returned as it is without `_suspect`'s pattern, whose making walks
# 196,608 code points (30-60 ms, paid by every process that showed a line break, a Chinese word
# or a dash): printable ASCII with tab and line feed, Latin-1's symbols but the soft hyphen,
# General Punctuation's dashes, quotes, bullets and primes, the symbols our messages draw with
# (arrows, box drawing, ⚠, ✓), CJK punctuation but its combining tone marks, CJK ideographs and
# the full-width forms Chinese is typed with. None is a character `neutralised` changes
# (tests/test_text_shown_as_read.py holds that).
_PLAIN = re.compile("[\t\n\x20-\x7e\u00a1-\u00ac\u00ae-\u00ff\u2010-\u2027\u2030-\u205e\u2100-\u218b"
                    "\u2190-\u2426\u2440-\u244a\u2460-\u27bf\u3000-\u3029\u3030-\u303f\u3400-\u4dbf"
                    "\u4e00-\u9fff\uff01-\uff60]*")


def neutralised(text: str) -> str:
    """`text` without invisible characters that change how it reads (see the module's doc)."""
    if _PLAIN.fullmatch(text) or not _suspect().search(text):
        return text  # the common case: one scan
    return _neutralise(text)


def _neutralise(text: str) -> str:
    text = _LINE_SEPARATORS.sub("\n", text)
    kept_flags = {m.start(1) for m in _FLAG_TAGS.finditer(text)}
    out: list[str] = []
    non_starters = 0
    i = 0
    while i < len(text):
        if i in kept_flags:  # a flag's tags, cancel tag included, as one piece
            end = text.index("\U000E007F", i) + 1
            out.append(text[i:end])
            i = end
            continue
        char = text[i]
        if _shown(char, out, text[i + 1:i + 2]):
            non_starters = non_starters + 1 if unicodedata.combining(char) else 0
            if non_starters <= MAX_NON_STARTERS:
                out.append(char)
        elif unicodedata.category(char) == "Cs":
            out.append("\ufffd")
        i += 1
    return "".join(out)


@cache
def _suspect() -> re.Pattern[str]:
    """What `neutralised` might change: a character it removes or replaces, or a run of
    combining marks longer than it keeps. Built once, on first use, from planes 0, 1 and 14:
    the others hold only letters, unassigned and private-use code points."""
    removed, marks = [], []
    for code in (*range(0x20000), *range(0xE0000, 0xF0000)):
        category = unicodedata.category(chr(code))
        if category in _INVISIBLE or code in _IGNORABLE:
            removed.append(code)
        elif category[0] == "M" and unicodedata.combining(chr(code)):
            marks.append(code)
    return re.compile(f"[{_ranges(removed)}\u2028\u2029\ufe0e\ufe0f\u200d]|[{_ranges(marks)}]{{{MAX_NON_STARTERS + 1}}}")


def _ranges(codes: list[int]) -> str:
    """A regex character class's content for these code points, as ranges."""
    parts, start = [], None
    for previous, code in zip([None, *codes], [*codes, None]):
        if start is None:
            start = code
        elif code != previous + 1:
            parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(previous)) if previous != start else ""))
            start = code
    return "".join(parts)


def _shown(char: str, before: list[str], after: str) -> bool:
    if char in "\t\n":
        return True
    if char in (_VS15, _VS16):
        return bool(before) and _visible(before[-1])
    if char == _ZWJ:
        return _symbol_before(before) and bool(after) and unicodedata.category(after) == "So"
    return _visible(char)


def _visible(char: str) -> bool:
    return unicodedata.category(char) not in _INVISIBLE and ord(char) not in _IGNORABLE


def _symbol_before(before: list[str]) -> bool:
    """Whether the text so far ends with a symbol, its skin tone and presentation included."""
    for char in reversed(before):
        if char in (_VS15, _VS16) or unicodedata.category(char) in ("Sk", "Mn", "Me"):
            continue
        return unicodedata.category(char) == "So"
    return False


_CJK = re.compile(r"[\u3400-\u9fff]")


def written_in_chinese(text: str) -> bool:
    """Whether a text holds Chinese characters: such a text reads as Chinese to the factory,
    whatever else it quotes (a reference, a brand)."""
    return bool(_CJK.search(text))


def file_safe(text: str) -> str:
    """`text` as part of a file name a reader can save and forward as is: an order reference
    may hold a slash, which no file name can."""
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in text)


def one_line(text: str) -> str:
    """A name or a file name on one line: a line break in it could pose as a line of our own."""
    return " ".join(neutralised(text).split())


def required_text(value: str | None, field: str) -> str:
    text = optional_text(value, field)
    if text is None:
        raise Refused("text_required", field=field)
    return text


def optional_text(value: str | None, field: str) -> str | None:
    """What a person typed, as they could see it, trimmed; None when nothing is left."""
    if value is None:
        return None
    text = neutralised(value).strip()
    if len(text) > MAX_TEXT:
        raise Refused("text_too_long", field=field, length=len(text), limit=MAX_TEXT)
    return text or None
