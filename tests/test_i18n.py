"""The Chinese catalog: really loaded, complete, consistent with the code that uses it.

A missing or stale catalog silently falls back to English; a factory would then get an
English notice with no warning. These tests make that loud.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from handlers import catalog
from messages.i18n import CHINESE, LOCALES_DIR, Language
from messages.instructions import free_text, wording

ROOT = Path(__file__).resolve().parent.parent
PO = LOCALES_DIR / CHINESE / "LC_MESSAGES" / "messages.po"
EN_PO = LOCALES_DIR / "en" / "LC_MESSAGES" / "messages.po"
POT = LOCALES_DIR / "messages.pot"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Nn_": (1, 2)}


def _entries(path: Path):
    with path.open("rb") as file:
        return [m for m in read_po(file) if m.id]


def _extracted_ids() -> set:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_the_chinese_catalog_is_really_loaded() -> None:
    assert Language(CHINESE).gettext("Approve") == "批准"
    assert Language(CHINESE).gettext("MA major") == "MA 主要缺陷"


def test_every_chinese_entry_is_translated_and_none_is_fuzzy() -> None:
    untranslated = [m.id for m in _entries(PO) if not all(m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in _entries(PO) if m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_the_template_and_catalog_hold_exactly_what_the_code_uses() -> None:
    in_code = _extracted_ids()
    in_pot = {m.id if isinstance(m.id, str) else m.id[0] for m in _entries(POT)}
    in_po = {m.id if isinstance(m.id, str) else m.id[0] for m in _entries(PO)}
    assert in_code - in_pot == set(), "run pybabel extract (README, Translations)"
    assert in_pot - in_code == set(), "stale entries: run pybabel extract"
    assert in_pot == in_po, "run pybabel update and translate"
    in_en = {m.id if isinstance(m.id, str) else m.id[0] for m in _entries(EN_PO)}
    assert in_pot == in_en, "run pybabel update (the English catalog too)"


def test_the_english_catalog_is_loaded_for_every_english_locale(tmp_path: Path) -> None:
    """An English entry left empty reads as its msgid; a filled one replaces the wording."""
    from messages import i18n

    (tmp_path / "en" / "LC_MESSAGES").mkdir(parents=True)
    text = EN_PO.read_text(encoding="utf-8").replace('msgid "Approve"\nmsgstr ""', 'msgid "Approve"\nmsgstr "Approve it"')
    (tmp_path / "en" / "LC_MESSAGES" / "messages.po").write_text(text, encoding="utf-8")
    i18n.translations.cache_clear()
    original = i18n.LOCALES_DIR
    try:
        i18n.LOCALES_DIR = tmp_path
        assert Language("en_GB").gettext("Approve") == "Approve it"
        assert Language("en").gettext("Reject") == "Reject"
    finally:
        i18n.LOCALES_DIR = original
        i18n.translations.cache_clear()


@pytest.mark.parametrize("entry", _entries(PO) + [m for m in _entries(EN_PO) if any(m.string)],
                         ids=lambda m: str(m.id)[:40])
def test_a_translation_keeps_every_placeholder(entry) -> None:
    source = entry.id if isinstance(entry.id, str) else entry.id[0]
    target = entry.string if isinstance(entry.string, str) else entry.string[0]
    placeholders = re.compile(r"%\(\w+\)s|\{\w+\}")
    assert sorted(placeholders.findall(source)) == sorted(placeholders.findall(target))


@pytest.mark.parametrize("kind", catalog.KINDS, ids=lambda k: k.key)
def test_every_instruction_kind_reads_in_both_languages(kind) -> None:
    params = {p.name: _sample(p.type) for p in kind.params}
    english = wording(Language("en"), kind.key, params)
    chinese = wording(Language(CHINESE), kind.key, params)
    assert "{" not in english and "{" not in chinese
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese


def _sample(type_: catalog.ParamType):
    return {"quantity": 9, "date": "2026-12-03", "barcode": "4006381333931"}.get(type_.value, "Made in China")


def test_descriptive_parameters_read_in_chinese_or_are_marked_as_written() -> None:
    params = {"spec": "5-ply corrugated, 44 ECT"}
    zh = Language(CHINESE)
    assert wording(zh, "upgrade_carton", params, {"spec": "五层瓦楞纸箱，边压强度44 ECT"}) == (
        "包装前将外箱升级为：五层瓦楞纸箱，边压强度44 ECT。"
    )
    assert wording(zh, "upgrade_carton", params) == "包装前将外箱升级为：5-ply corrugated, 44 ECT（英文原文）。"
    assert wording(Language("en"), "upgrade_carton", {"spec": "五层瓦楞纸箱"}) == (
        "Upgrade the master cartons to 五层瓦楞纸箱 (as written, in Chinese) before packing."
    )
    # What a label must read is printed exactly as given, in any language.
    assert wording(zh, "add_country_of_origin", {"marking": "Made in China"}) == wording(
        zh, "add_country_of_origin", {"marking": "Made in China"}, {"marking": "中国制造"}
    )
    assert "Made in China" in wording(zh, "add_country_of_origin", {"marking": "Made in China"})


def test_dates_and_numbers_follow_the_locale() -> None:
    assert Language(CHINESE).date("2026-12-03", "long") == "2026年12月3日"
    assert Language("en").date("2026-12-03", "long") == "December 3, 2026"
    assert Language("en_GB").date("2026-12-03", "long") == "3 December 2026"
    assert Language("en_GB", "Europe/Berlin").moment("2026-11-24T11:30:00+00:00") == "24 Nov 2026, 12:30 CET"
    assert Language("en").number(12345) == "12,345"


def test_free_text_is_shown_as_written_and_labelled_when_foreign() -> None:
    zh = Language(CHINESE)
    assert free_text(zh, "Fix the carton.", None).label == "原文（英文）"
    assert free_text(zh, "Fix the carton.", "更换外箱。").text == "更换外箱。"
    assert free_text(Language("en"), "更换外箱。").label == "Original text (Chinese)"
    assert free_text(Language("en"), "Fix the carton.").label is None


def test_a_bad_catalog_is_not_silently_english(tmp_path: Path) -> None:
    """The .po compiles in memory; a missing file is an error, not an English fallback."""
    from messages import i18n

    i18n.translations.cache_clear()
    try:
        original = i18n.LOCALES_DIR
        i18n.LOCALES_DIR = tmp_path
        with pytest.raises(FileNotFoundError):
            i18n.translations(CHINESE)
    finally:
        i18n.LOCALES_DIR = original
        i18n.translations.cache_clear()
