"""Templates and catalogs are compiled once for the user, not once per process (messages/
compiled.py): a later process reads what an earlier one compiled, and never a stale entry.
A "process" here is a fresh cache object or a cleared catalog cache over the same folder; held
by how often jinja compiles and by what is kept, not by time."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from messages import i18n
from messages.compiled import kept_or_made
from messages.environment import TemplateCode
from messages.i18n import CHINESE, LOCALES_DIR, Language


class Counting(jinja2.Environment):
    """An environment that counts the templates it compiles."""

    compiled = 0

    def compile(self, *args, **kwargs):
        Counting.compiled += 1
        return super().compile(*args, **kwargs)


def rendered(folder: Path | None, source: str) -> str:
    Counting.compiled = 0
    env = Counting(loader=jinja2.DictLoader({"t.j2": source}), bytecode_cache=TemplateCode(folder))
    return env.get_template("t.j2").render(who="factory")


def test_a_template_compiled_once_is_read_by_the_next_process(tmp_path: Path) -> None:
    assert rendered(tmp_path, "Hello {{ who }}") == "Hello factory" and Counting.compiled == 1
    assert rendered(tmp_path, "Hello {{ who }}") == "Hello factory" and Counting.compiled == 0


def test_a_changed_template_is_compiled_again(tmp_path: Path) -> None:
    rendered(tmp_path, "Hello {{ who }}")
    assert rendered(tmp_path, "Dear {{ who }}") == "Dear factory" and Counting.compiled == 1
    assert rendered(tmp_path, "Dear {{ who }}") == "Dear factory" and Counting.compiled == 0


def test_a_damaged_entry_is_compiled_again(tmp_path: Path) -> None:
    rendered(tmp_path, "Hello {{ who }}")
    for entry in tmp_path.iterdir():
        entry.write_bytes(entry.read_bytes()[:20])
    assert rendered(tmp_path, "Hello {{ who }}") == "Hello factory" and Counting.compiled == 1


def test_without_a_folder_that_takes_files_each_process_compiles_for_itself(tmp_path: Path) -> None:
    (tmp_path / "a file").write_text("")
    assert rendered(tmp_path / "a file", "Hello {{ who }}") == "Hello factory"
    assert rendered(None, "Hello {{ who }}") == "Hello factory" and Counting.compiled == 1
    assert kept_or_made(tmp_path / "a file" / "entry", lambda: b"made") == b"made"


def test_a_catalog_is_kept_under_its_source_and_an_edit_is_never_hidden(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache, locales = tmp_path / "cache", tmp_path / "locales"
    (locales / CHINESE / "LC_MESSAGES").mkdir(parents=True)
    po = locales / CHINESE / "LC_MESSAGES" / "messages.po"
    po.write_bytes((LOCALES_DIR / CHINESE / "LC_MESSAGES" / "messages.po").read_bytes())
    monkeypatch.setenv("FOLLOWUP_CACHE", str(cache))
    monkeypatch.setattr(i18n, "LOCALES_DIR", locales)
    try:
        i18n.translations.cache_clear()
        approve = Language(CHINESE).gettext("Approve")
        assert approve != "Approve" and len(list((cache / "catalogs").iterdir())) == 1
        i18n.translations.cache_clear()
        assert Language(CHINESE).gettext("Approve") == approve  # read from what the first compiled

        po.write_text(po.read_text(encoding="utf-8").replace(f'msgstr "{approve}"', 'msgstr "同意"', 1),
                      encoding="utf-8")
        i18n.translations.cache_clear()
        assert Language(CHINESE).gettext("Approve") == "同意"
        assert len(list((cache / "catalogs").iterdir())) == 2
    finally:
        i18n.translations.cache_clear()
