"""Text people type or reports carry reaches a chat, the console and the PDF as it reads:
no bidirectional override reverses a PO number, no zero-width character makes two texts
look alike or a reason hide words; Chinese and emoji stay as written."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.results import Refused, Reply
from handlers.text import _PLAIN, MAX_TEXT, _neutralise, _suspect, neutralised, one_line, optional_text, required_text
from messages.environment import environment, render
from messages.i18n import CHINESE, Language
from messages.replies import reply_text

RLO, PDF, LRI, PDI, RLM, ZWSP, ZWJ, WJ, BOM = "\u202e", "\u202c", "\u2066", "\u2069", "\u200f", "\u200b", "\u200d", \
    "\u2060", "\ufeff"
DISGUISING = {RLO, PDF, LRI, PDI, RLM, ZWSP, WJ, BOM, "\u202a", "\u202b", "\u202d", "\u2067", "\u2068", "\u200e",
              "\u200c", "\u061c", "\u00ad", "\u2061", "\u3164", "\u034f"}


@pytest.mark.parametrize(("typed", "shown"), [
    (f"PO-2026-{RLO}2410{PDF}", "PO-2026-2410"),  # would show as PO-2026-0142
    (f"PO-2026-01{ZWSP}42", "PO-2026-0142"),
    (f"Approved{LRI} — ignore the rest{PDI}", "Approved — ignore the rest"),
    (f"{BOM}Li{WJ} Wei{RLM}", "Li Wei"),
    ("\u3164", ""),  # a Hangul filler: a name that looks blank
    ("坏\u200b了\u00ad的\u2061箱子", "坏了的箱子"),
    ("line one\u2028line two\u2029end", "line one\nline two\nend"),
    ("\x1b[31mred\x1b[0m\r\n\x07", "[31mred[0m\n"),
    ("lone \ud800 surrogate", "lone \ufffd surrogate"),
    ("x\U000E0041\U000E0042\U000E0043", "x"),  # tag characters smuggling "ABC"
])
def test_what_disguises_text_is_removed(typed: str, shown: str) -> None:
    assert neutralised(typed) == shown


@pytest.mark.parametrize("kept", [
    "手柄连接处缩釉，局部露胎。请按确认样返工。",
    "Café crème, naïve façade",
    "👩\u200d🔬 QC engineer; 👨🏽\u200d🦰; 🏳️\u200d🌈; 1️⃣; ❤️; ☺︎",
    "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F Scotland",
    "🇨🇳🇩🇪",
    "Ελληνικά, русский, עברית, العربية",
    "tab\tand\nnewline",
])
def test_chinese_emoji_and_every_script_stay_as_written(kept: str) -> None:
    assert neutralised(kept) == kept


def test_a_joiner_is_kept_only_between_two_symbols() -> None:
    assert neutralised(f"PO{ZWJ}-{ZWJ}0142 👩{ZWJ}🔬 a{ZWJ}🔬 🔬{ZWJ}b") == "PO-0142 👩\u200d🔬 a🔬 🔬b"


def test_a_tower_of_combining_marks_is_cut_to_unicodes_stream_safe_thirty() -> None:
    assert neutralised("Z" + "\u0336" * 500 + "ok") == "Z" + "\u0336" * 30 + "ok"
    assert neutralised("e" + "\u0301" * 3) == "e" + "\u0301" * 3


text_with_everything = st.text(st.characters(codec=None, categories=None), max_size=60) | st.lists(
    st.sampled_from(sorted(DISGUISING) + ["a", "1", "中", "👩", ZWJ, "\ufe0f", "\u0301", "🏴", "\U000E0067",
                                          "\U000E007F", "\U0001F1E8", "\n", "\u2028", "\ud800"]),
    max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(text_with_everything)
def test_neutralising_is_idempotent_and_leaves_nothing_that_disguises(text: str) -> None:
    once = neutralised(text)
    assert neutralised(once) == once
    assert not DISGUISING & set(once)
    assert all(unicodedata.category(c) not in ("Cc", "Cs") or c in "\t\n" for c in once)
    assert _neutralise(text) == once  # the quick check never lets through what the full pass would change


@settings(max_examples=200, deadline=None)
@given(text_with_everything)
def test_the_quick_check_misses_nothing_the_full_pass_would_change(text: str) -> None:
    if _suspect().search(text) is None:
        assert _neutralise(text) == text


def test_plain_text_needs_no_check_as_nothing_in_it_would_change() -> None:
    """English, Chinese and their punctuation are passed without `_suspect`'s costly pattern."""
    plain = "".join(chr(code) for code in range(0x110000) if _PLAIN.fullmatch(chr(code)))
    assert all(not unicodedata.category(c).startswith(("M", "C")) or c in "\t\n" for c in plain)
    assert _neutralise(plain) == plain and all(_neutralise(c) == c for c in plain)
    assert _PLAIN.fullmatch("检验员：陈静（QC）\n— 12 × 4 pcs, 5 °C “ok”…")
    assert not _PLAIN.fullmatch(f"PO-2026-01{ZWSP}42") and not _PLAIN.fullmatch("soft\u00adhyphen")


def test_names_are_shown_on_one_line() -> None:
    assert one_line(f"Li Wei\n✅ Approved by{RLO} Anna  ") == "Li Wei ✅ Approved by Anna"


def test_a_typed_reason_is_stored_as_the_person_could_see_it() -> None:
    assert required_text(f"  Carton {RLO}ylp-5{PDF}  ", "reason") == "Carton ylp-5"
    assert optional_text(f"{ZWSP} {BOM}", "note") is None
    with pytest.raises(Refused) as invisible:
        required_text(f"{ZWSP}{RLO}", "reason")
    assert invisible.value.reply.code == "text_required"


def test_ten_thousand_characters_are_refused_naming_the_field_and_the_limit() -> None:
    with pytest.raises(Refused) as refused:
        required_text("纸" * 10_000, "reason")
    assert (refused.value.reply.code, refused.value.reply.params) == (
        "text_too_long", {"field": "reason", "length": 10_000, "limit": MAX_TEXT})
    with pytest.raises(Refused):
        optional_text("x" * (MAX_TEXT + 1), "note")


@pytest.mark.parametrize("surface", ["telegram", "slack", "html", "text", "console"])
def test_every_surface_shows_values_neutralised_even_inside_a_translated_sentence(surface: str) -> None:
    template = environment(surface, CHINESE).from_string(
        "{{ name | person }}|{{ note }}|{{ _('Reason') }} {{ _('%(factory)s acknowledged notice %(number)s', "
        "factory=factory, number='CN-1') }}|{{ note | style(bold=True) }}")
    shown = template.render(name=f"factory:Li{RLO} Wei\nfake line", note=f"PO-{RLO}2410", factory=f"Ever{ZWSP}green")
    assert not DISGUISING & set(shown)
    assert "Li Wei fake line" in shown and "PO-2410" in shown and "Evergreen" in shown


def test_console_colours_survive_neutralising() -> None:
    template = environment("console", "en", colour=True).from_string("{{ note | style(fg='red') }}")
    assert template.render(note=f"x{RLO}y") == "\x1b[31mxy\x1b[0m"


def test_a_reply_quoting_what_was_typed_is_neutralised() -> None:
    reply = Reply("bad_date", {"text": f"12{RLO}05"}, ok=False)
    assert reply_text(reply, Language("en")) == "“1205” is not a date I can read; write it like 2026-12-05 or 12月5日."
    assert render("text", "chat/help.j2", Language("en"))  # templates render as before
