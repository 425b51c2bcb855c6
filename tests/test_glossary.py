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


def entries() -> list[tuple[str, str]]:
    with Path(PO).open("rb") as file:
        catalog = read_po(file)
    pairs = []
    for message in catalog:
        if message.id:
            source = message.id if isinstance(message.id, str) else message.id[0]
            target = message.string if isinstance(message.string, str) else message.string[0]
            pairs.append((source, target))
    return pairs


@pytest.mark.parametrize("term", GLOSSARY, ids=lambda t: t["en"])
def test_where_english_uses_a_term_the_chinese_uses_its_glossary_translation(term: dict) -> None:
    pattern = re.compile(rf"\b{re.escape(term['en'])}", re.IGNORECASE)
    wrong = [(en, zh) for en, zh in entries() if pattern.search(en) and term["zh"] not in zh]
    assert wrong == []


@pytest.mark.parametrize("term", [t for t in GLOSSARY if t.get("avoid")], ids=lambda t: t["en"])
def test_the_chinese_never_uses_an_avoided_variant(term: dict) -> None:
    # "外箱唛头" holds "箱唛" across two words: look only outside the preferred term.
    used = [(en, zh) for en, zh in entries() for variant in term["avoid"] if variant in zh.replace(term["zh"], "|")]
    assert used == []


def test_the_glossary_is_well_formed() -> None:
    assert all({"en", "zh"} <= set(term) for term in GLOSSARY)
    assert len({t["en"] for t in GLOSSARY}) == len(GLOSSARY)
