"""The Chinese catalog speaks the glossary's terms: a factory reads 唛头 on one notice and
箱唛 on the next and wonders whether they are the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from messages.i18n import CHINESE, LOCALES_DIR

GLOSSARY = yaml.safe_load((LOCALES_DIR / "glossary.yaml").read_text(encoding="utf-8"))
PO = LOCALES_DIR / CHINESE / "LC_MESSAGES" / "messages.po"
# %(date)s and {date} are one placeholder to the glossary: "by {date}" holds for both.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifxX]")
COMMAND = re.compile(r"`[^`]*`")  # `followup notice kinds` is a command to type, not the word


def entries() -> list[tuple[str, str]]:
    with Path(PO).open("rb") as file:
        catalog = read_po(file)
    pairs = []
    for message in catalog:
        if message.id:
            source = message.id if isinstance(message.id, str) else message.id[0]
            target = message.string if isinstance(message.string, str) else message.string[0]
            pairs.append((PLACEHOLDER.sub(r"{\1}", source), PLACEHOLDER.sub(r"{\1}", target)))
    return pairs


def _term_pattern(en: str) -> re.Pattern:
    # A word starts the term ("gap", not "{gap}", the value's name); a longer term that holds it
    # ("instruction manual" holds "instruction") is its own entry and is masked first.
    return re.compile(rf"(?<![{{\w]){re.escape(en)}", re.IGNORECASE)


def _uses(term: dict, english: str) -> bool:
    english = COMMAND.sub("", english)
    for longer in GLOSSARY:
        if longer is not term and _term_pattern(term["en"]).search(longer["en"]):
            english = _term_pattern(longer["en"]).sub("", english)
    return bool(_term_pattern(term["en"]).search(english))


@pytest.mark.parametrize("term", GLOSSARY, ids=lambda t: t["en"])
def test_where_english_uses_a_term_the_chinese_uses_its_glossary_translation(term: dict) -> None:
    wrong = [(en, zh) for en, zh in entries() if _uses(term, en) and term["zh"] not in zh]
    assert wrong == []


@pytest.mark.parametrize("term", [t for t in GLOSSARY if t.get("avoid")], ids=lambda t: t["en"])
def test_the_chinese_never_uses_an_avoided_variant(term: dict) -> None:
    # "外箱唛头" holds "箱唛" across two words: look only outside the preferred term.
    used = [(en, zh) for en, zh in entries() for variant in term["avoid"] if variant in zh.replace(term["zh"], "|")]
    assert used == []


def test_a_term_inside_a_longer_one_is_judged_by_the_longer_one() -> None:
    instruction = next(t for t in GLOSSARY if t["en"] == "instruction")
    assert not _uses(instruction, "Add the instruction manual in {language} to every unit.")
    assert _uses(instruction, "Finish the overdue instructions and report them done with photos.")
    gap = next(t for t in GLOSSARY if t["en"] == "gap")
    assert not _uses(gap, "{gap} pts") and _uses(gap, "Average gap")


def test_the_glossary_is_well_formed() -> None:
    assert all({"en", "zh"} <= set(term) for term in GLOSSARY)
    assert len({t["en"] for t in GLOSSARY}) == len(GLOSSARY)
