"""Long messages are split, never cut off or broken, whatever they hold: every Telegram
chunk is valid Telegram HTML on its own (as the fake Bot API server parses it), keeps the
formatting of every character, stays within Telegram's limit as Telegram counts it, and
the chunks read, in order, as the whole text did; no character as a reader sees it (a
letter and its accents, an emoji and its joined parts, a flag) is split. Slack's mrkdwn
chunks never cut an entity, a link or a mention."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.telegram.limits import CAPTION_LIMIT, MESSAGE_LIMIT, caption_fits, short_answer, split_message
from handlers.text import neutralised
from messages.split import split_html, split_text, utf16_length
from tests.fake_telegram import TelegramHtml

# Characters that make splitting hard: wide ones, ones that join the one before, markup.
TRICKY = ["a", "b", " ", " ", "\n", "<", ">", "&", '"', "'", "中", "文", "，", "é", "\u0301", "\u0336", "👩", "🔬",
          "\u200d", "🏽", "\ufe0f", "🇨", "🇳", "가", "😀", "\U0001F3F4", "\U000E0067",
          "\U000E007F", "\t"]
TAGS = [("<b>", "</b>"), ("<i>", "</i>"), ("<u>", "</u>"), ("<s>", "</s>"), ("<code>", "</code>"),
        ("<pre>", "</pre>"), ('<span class="tg-spoiler">', "</span>"), ("<blockquote>", "</blockquote>"),
        ('<a href="https://example.test/?po=PO-2026-0142&amp;v=1">', "</a>")]

plain = st.lists(st.sampled_from(TRICKY), max_size=40).map("".join) | st.text(max_size=30)
escaped = plain.map(lambda text: html.escape(text, quote=False))
telegram_html = st.recursive(
    escaped,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(TAGS), inner).map(lambda t: t[0][0] + t[1] + t[0][1]),
        st.lists(inner, max_size=4).map("".join),
    ),
    max_leaves=12,
)


class _Formatting(HTMLParser):
    """Each character shown, with the tags around it: an independent reading of the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.shown: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.open.append(f"{tag}{sorted(attrs)}")

    def handle_endtag(self, tag) -> None:
        self.open.pop()

    def handle_data(self, data) -> None:
        self.shown += [(char, tuple(self.open)) for char in data]


def formatting(text: str) -> list[tuple[str, tuple[str, ...]]]:
    parser = _Formatting()
    parser.feed(text)
    parser.close()
    return parser.shown


def shown(chunk: str) -> str:
    return TelegramHtml(chunk).plain_text()  # raises as Telegram would on invalid HTML


def joint_gaps(chunks: list[str], whole: str) -> list[str] | None:
    """The whitespace left out at each joint, if the chunks, in order, are the whole text with
    only whitespace missing at the joints (Telegram trims it, and a chunk of whitespace alone is
    not sent); None if they are not."""
    pattern = r"\s*" + r"(\s*)".join(re.escape(chunk) for chunk in chunks) + r"\s*"
    matched = re.fullmatch(pattern, whole, re.DOTALL)
    return None if matched is None else list(matched.groups())


def _extends(char: str) -> bool:
    code = ord(char)
    return (unicodedata.category(char).startswith("M") or char in "\u200c\u200d\ufe0f"
            or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F)


def split_inside_a_character(before: str, after: str) -> bool:
    """Whether a joint falls inside a character as read, by a reading simpler than the
    splitter's: a mark or joiner after it, a joiner before a symbol (an emoji sequence; after
    a joiner, a letter starts a character of its own, UAX #29 GB999), half a flag."""
    regional = lambda c: 0x1F1E6 <= ord(c) <= 0x1F1FF  # noqa: E731
    trailing = len(before) - len(before.rstrip("".join(chr(c) for c in range(0x1F1E6, 0x1F200))))
    return (_extends(after[0]) or (before[-1] == "\u200d" and unicodedata.category(after[0]) == "So")
            or (regional(before[-1]) and regional(after[0]) and trailing % 2 == 1))


def longest_character(text: str) -> int:
    """UTF-16 units of the longest run the simple reading above keeps together."""
    longest = run = 0
    for i, char in enumerate(text):
        run = run + utf16_length(char) if i and split_inside_a_character(text[:i], text[i:]) else utf16_length(char)
        longest = max(longest, run)
    return longest


@settings(max_examples=80, deadline=None)
@given(telegram_html, st.integers(min_value=2, max_value=120))
@example('<b>bold <a href="https://x.test/?a=1&amp;b=2">link</a> &amp; more</b>\nnext line', 6)
@example("e\u0301" * 5 + "🇨🇳" * 3 + "👩\u200d🔬", 4)
@example("aaaaa\u200da", 3)
@example("a\u200d\t🇨", 2)
def test_every_chunk_is_valid_telegram_html_within_the_limit_and_reads_as_the_whole(text: str, limit: int) -> None:
    chunks = split_html(text, limit)
    texts = [shown(chunk) for chunk in chunks]
    assert all(utf16_length(t) <= limit for t in texts)
    assert all(t.strip() for t in texts) or chunks == [""]
    gaps = joint_gaps(texts, shown(text))
    assert gaps is not None
    assert [c for c in formatting("".join(chunks)) if not c[0].isspace()] == \
        [c for c in formatting(text) if not c[0].isspace()]
    if longest_character(shown(text)) <= limit:
        # Only where the two sides touched in the text: whitespace between them (dropped at the
        # joint) is itself a boundary, as after "a\u200d\t" before a flag.
        for before, after, gap in zip(texts, texts[1:], gaps):
            assert gap or not split_inside_a_character(before, after), (before, after)


@settings(max_examples=20, deadline=None)
@given(st.lists(telegram_html, min_size=1, max_size=30).map("\n".join), st.text(max_size=20))
def test_a_message_of_any_length_is_sent_in_valid_chunks_of_telegrams_size(text: str, raw: str) -> None:
    whole = text * (1 + 4500 // max(len(text), 1)) + html.escape(raw, quote=False)
    chunks = split_message(whole)
    texts = [shown(chunk) for chunk in chunks]
    assert all(utf16_length(t) <= MESSAGE_LIMIT for t in texts)
    for chunk in chunks:
        chunk.encode("utf-8")  # nothing unsendable, lone surrogates included
    assert joint_gaps(texts, shown(neutralised(whole))) is not None


def test_a_hangul_syllable_written_in_jamo_is_not_split() -> None:
    assert split_html("\u1100\u1161\u11a8\u1100\u1161", 3) == ["\u1100\u1161\u11a8", "\u1100\u1161"]


def test_ten_thousand_characters_of_emoji_and_chinese_make_three_messages_not_one_too_long() -> None:
    text = "<b>" + ("状态：有风险 😀 " * 1000) + "</b>"
    chunks = split_message(text)
    assert len(chunks) == 3
    assert all(chunk.startswith("<b>") and chunk.endswith("</b>") for chunk in chunks)
    assert all(utf16_length(shown(chunk)) <= MESSAGE_LIMIT for chunk in chunks)


def test_a_caption_is_measured_as_telegram_counts_it_not_by_its_markup() -> None:
    assert caption_fits("<b>" + "&amp;" * CAPTION_LIMIT + "</b>")
    assert not caption_fits("😀" * (CAPTION_LIMIT // 2 + 1))


@settings(max_examples=100, deadline=None)
@given(plain)
def test_a_tap_answer_is_shortened_between_characters_within_two_hundred_units(text: str) -> None:
    answer, whole = short_answer(text * 20), neutralised(text * 20)
    assert utf16_length(answer) <= 200
    answer.encode("utf-8")
    if answer != whole:
        assert answer.endswith("…") and whole.startswith(answer[:-1])
        assert longest_character(whole) > 199 or not split_inside_a_character(answer[:-1], whole[len(answer) - 1:])


mrkdwn = st.lists(
    st.one_of(st.sampled_from(TRICKY).map(lambda c: html.escape(c, quote=False)),
              st.sampled_from(["<https://example.test/po/PO-2026-0142|PO-2026-0142>", "<@U0BUYER>", "<!here>",
                               "*bold*", "&amp;", "&lt;", "&gt;"])),
    max_size=80).map("".join)


@settings(max_examples=150, deadline=None)
@given(mrkdwn, st.integers(min_value=60, max_value=200))
def test_slack_chunks_never_cut_an_entity_a_link_or_a_mention(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    for chunk in chunks:
        assert re.fullmatch(r"(?:[^<>&]|&(?:amp|lt|gt);|<[^<>]*>)*", chunk), chunk
    assert joint_gaps(chunks, text) is not None
