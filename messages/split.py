"""Long chat text in as many messages as it takes, never cut off and never broken: every
platform limits a message (Telegram: 4,096 characters of text and 1,024 of a caption,
counted after its HTML is parsed; a Slack section: 3,000 characters of mrkdwn).

A text is read as atoms that are never cut: a tag, an entity (`&amp;`), a Slack link or
mention (`<url|text>`), a character. A chunk ends where a reader expects a break: after a
line break, else after a space, else between two characters a reader sees as separate —
never inside a letter with its accents, an emoji with its skin tone or joined parts, a
flag's two letters or a Hangul syllable. Only a single such character longer than a whole
message (thousands of marks on one letter) is cut between code points; a Python string
holds code points, so not even then is a surrogate pair split.

In Telegram HTML each chunk closes the tags still open where it ends, and the next chunk
opens them again, so every chunk is valid on its own and keeps its formatting. Whitespace
at a joint stays at the end of the chunk before it (Telegram trims a message's edges); a
chunk that would show only whitespace is not sent, since Telegram refuses an empty message.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Measure = Callable[[str], int]


def utf16_length(text: str) -> int:
    """Telegram's offsets and lengths are UTF-16 code units: an emoji outside the BMP is two."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(frozen=True, slots=True)
class _Atom:
    raw: str
    shown: str  # what a reader sees of it: "" for a tag
    opens: str | None = None  # the element a start tag opens
    closes: str | None = None  # the element an end tag closes


# A tag as Telegram reads one (its names and attributes are ours: templates escape every
# value, so a "<" or "&" in the text is always the start of markup), or an entity.
_HTML = re.compile(
    r"<(?P<close>/)?(?P<name>[A-Za-z][\w-]*)(?:\s[^<>]*)?>"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});"
)
# mrkdwn: a link, mention or date (<…>) and Slack's three entities; Slack counts them as written.
_MRKDWN = re.compile(r"<[^<>\n]*>|&(?:amp|lt|gt);")


def _html_atoms(text: str) -> Iterator[_Atom]:
    pos = 0
    for match in _HTML.finditer(text):
        yield from (_Atom(char, char) for char in text[pos:match.start()])
        markup = match.group()
        if match["name"] is None:
            yield _Atom(markup, html.unescape(markup))
        elif match["close"]:
            yield _Atom(markup, "", closes=match["name"].lower())
        else:
            yield _Atom(markup, "", opens=match["name"].lower())
        pos = match.end()
    yield from (_Atom(char, char) for char in text[pos:])


def _mrkdwn_atoms(text: str) -> Iterator[_Atom]:
    pos = 0
    for match in _MRKDWN.finditer(text):
        yield from (_Atom(char, char) for char in text[pos:match.start()])
        yield _Atom(match.group(), match.group())
        pos = match.end()
    yield from (_Atom(char, char) for char in text[pos:])


def _plain_atoms(text: str) -> Iterator[_Atom]:
    return (_Atom(char, char) for char in text)


def split_html(text: str, limit: int) -> list[str]:
    """Telegram HTML in chunks of at most `limit` UTF-16 units as shown, each valid alone.
    Most messages fit whole, as written (markup shows no longer than it is written): those
    are not taken apart character by character, which a fan-out would pay for each time."""
    if utf16_length(text) <= limit and _HTML.sub("", text).strip():
        return [text]
    return _split(list(_html_atoms(text)), limit, utf16_length)


def split_plain(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Text sent without a parse mode: every character is shown as it is."""
    return _split(list(_plain_atoms(text)), limit, measure)


def split_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Slack mrkdwn in chunks of at most `limit` characters as written."""
    return _split(list(_mrkdwn_atoms(text)), limit, measure)


def prefix_within(text: str, limit: int, measure: Measure = len) -> str:
    """The longest start of plain text within `limit` that ends between two characters."""
    atoms = list(_plain_atoms(text))
    breaks = _breaks(atoms)
    size, end = 0, 0
    while end < len(atoms) and size + measure(atoms[end].shown) <= limit:
        size += measure(atoms[end].shown)
        end += 1
    while 0 < end < len(atoms) and not breaks[end]:
        end -= 1
    return text[:end]


def _split(atoms: list[_Atom], limit: int, measure: Measure) -> list[str]:
    """At least one chunk: "" when nothing would be shown (the platform refuses it)."""
    widths = [measure(atom.shown) for atom in atoms]
    breaks = _breaks(atoms)
    chunks: list[str] = []
    open_tags: list[_Atom] = []
    start = 0
    while start < len(atoms):
        end = _cut(atoms, widths, breaks, start, limit)
        chunk, closed = _chunk(atoms[start:end], open_tags)
        if "".join(atom.shown for atom in atoms[start:end]).strip():
            chunks.append(chunk)
        open_tags, start = closed, end
    return chunks or [""]


def _cut(atoms: list[_Atom], widths: list[int], breaks: list[int], start: int, limit: int) -> int:
    """Where the chunk from `start` ends: at the last line break that fits, else the last
    space, else the last break between characters; then start tags go with what follows
    and end tags with what they close."""
    size, end, latest = 0, start, {}
    while end < len(atoms) and size + widths[end] <= limit:
        size += widths[end]
        end += 1
        if end < len(atoms) and breaks[end]:
            latest[breaks[end]] = end
    if end == len(atoms):
        return end
    cut = latest.get(_LINE) or latest.get(_SPACE) or latest.get(_CHARACTER) or max(end, start + 1)
    while cut - 1 > start and atoms[cut - 1].opens:
        cut -= 1
    while cut < len(atoms) and atoms[cut].closes:
        cut += 1
    return cut


def _chunk(atoms: list[_Atom], open_tags: list[_Atom]) -> tuple[str, list[_Atom]]:
    """The chunk's markup with the tags open before it opened again and those still open
    after it closed; and the tags still open."""
    stack = list(open_tags)
    for atom in atoms:
        if atom.opens:
            stack.append(atom)
        elif atom.closes and stack and stack[-1].opens == atom.closes:
            stack.pop()
    opening = "".join(tag.raw for tag in open_tags)
    closing = "".join(f"</{tag.opens}>" for tag in reversed(stack))
    return opening + "".join(atom.raw for atom in atoms) + closing, stack


# --- Where a chunk may end ----------------------------------------------------------------------

_CHARACTER, _SPACE, _LINE = 1, 2, 3


def _breaks(atoms: list[_Atom]) -> list[int]:
    """Per position (before atom i), how good a place it is to end a chunk: 0 never (inside
    a character as read, or before a tag: a break is placed before the next character)."""
    breaks = [0] * (len(atoms) + 1)
    before = ""
    regional = 0  # regional indicators in a row so far: a flag is two of them
    for i, atom in enumerate(atoms):
        if not atom.shown:
            continue
        if before and not _joined(before, atom.shown[0], regional):
            breaks[i] = _LINE if before == "\n" else _SPACE if before.isspace() else _CHARACTER
        for char in atom.shown:
            regional = regional + 1 if _is_regional(char) else 0
            before = char
    # A break before a character is placed before the tags that precede it (see _cut).
    for i in range(len(atoms) - 1, 0, -1):
        if breaks[i] and not atoms[i - 1].shown:
            breaks[i - 1], breaks[i] = breaks[i], 0
    return breaks


def _joined(before: str, after: str, regional: int) -> bool:
    """Whether two characters belong to one character as read (a simplified UAX #29)."""
    if (after < "\u0300" or "\u4e00" <= after <= "\u9fff") and before != "\u200d" and not _prepends(before):
        return before == "\r" and after == "\n"  # the common case: Latin or Chinese after anything
    if before == "\r" and after == "\n":
        return True
    if _extends(after) or _prepends(before):
        return True
    if before == "\u200d" and unicodedata.category(after) == "So":
        return True  # an emoji ZWJ sequence
    if _is_regional(before) and _is_regional(after):
        return regional % 2 == 1
    return _hangul_joined(before, after)


def _extends(char: str) -> bool:
    code = ord(char)
    return (unicodedata.category(char) in ("Mn", "Me", "Mc") or char in "\u200c\u200d"
            or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F)


def _prepends(char: str) -> bool:
    return char in "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\u0d4e" \
        or char in ("\U000110bd", "\U000110cd")


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _hangul_joined(before: str, after: str) -> bool:
    """Conjoining jamo: a leading consonant, a vowel and a trailing consonant make one syllable."""
    b, a = _jamo(before), _jamo(after)
    return (b == "L" and a in ("L", "V", "LV", "LVT")) or (b in ("LV", "V") and a in ("V", "T")) \
        or (b in ("LVT", "T") and a == "T")


def _jamo(char: str) -> str | None:
    code = ord(char)
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return None


def shown_length(text: str) -> int:
    """How long Telegram HTML is as Telegram counts it: UTF-16 units of the text shown."""
    return sum(utf16_length(atom.shown) for atom in _html_atoms(text))
