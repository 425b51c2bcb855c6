"""Chinese lines in the notice PDF break as Chinese is typeset."""

from __future__ import annotations

from messages.line_break import NO_LINE_END, NO_LINE_START, break_lines


def width(text: str) -> float:
    """A full-width character is 2, anything else 1: enough to reason about breaks."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def test_chinese_breaks_between_characters_and_keeps_latin_words_whole() -> None:
    lines = break_lines("更换未经批准的替代材料。现用材料：EVA泡棉杯底垫", 20, width)
    assert lines == ["更换未经批准的替代材", "料。现用材料：EVA泡", "棉杯底垫"]
    assert all(width(line) <= 20 or line[-1] in NO_LINE_START for line in lines)


def test_no_line_starts_with_closing_punctuation() -> None:
    text = "须改用经批准的材料：食品级硅胶杯底垫，灰色，2毫米（规格NH-SP-02）。"
    for limit in range(8, 60):
        lines = break_lines(text, limit, width)
        assert "".join(lines) == text
        assert not any(line[0] in NO_LINE_START for line in lines[1:] if line), (limit, lines)
        assert not any(line[-1] in NO_LINE_END for line in lines if line), (limit, lines)


def test_english_breaks_at_spaces_which_disappear_at_the_break() -> None:
    assert break_lines("Correct the backstamp screen before the next firing", 20, width) == [
        "Correct the", "backstamp screen", "before the next", "firing"]


def test_a_word_wider_than_the_line_is_cut_to_fit() -> None:
    assert break_lines("NORDHAUS-LIVING-PO-2026-0142", 10, width) == ["NORDHAUS-L", "IVING-PO-2", "026-0142"]


def test_an_empty_line_stays_one_empty_line() -> None:
    assert break_lines("", 10, width) == [""]
