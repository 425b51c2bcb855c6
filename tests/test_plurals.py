"""Counts are said in the singular and the plural through the catalog (issue 15, section 6):
"1 corrective instructions" and "3 problem(s)" read as a machine wrote them, and a hand-made
plural has no Chinese. Every count goes through ngettext / Nn_, so both languages get it right."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from click.testing import CliRunner

from bot.cli.followup import main
from messages.i18n import CHINESE, Language
from tests.conftest import EXAMPLE_CONFIG, changed, one_finding, write_report

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "messages", "storage")
HAND_MADE = re.compile(r"[A-Za-z]\(s\)")  # "problem(s)"; "%(num)s" and "f(s)" are not words


def _literals(path: Path) -> list[tuple[int, str]]:
    """The string literals of a Python file (f-strings included): what it can say to anyone."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.STRING]


def test_no_text_in_the_code_makes_a_plural_by_hand() -> None:
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += [f"{path.relative_to(ROOT)}:{n}: {text}" for n, text in _literals(path) if HAND_MADE.search(text)]
        for path in sorted((ROOT / folder).rglob("*.j2")):
            lines = path.read_text(encoding="utf-8").splitlines()
            found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(lines, 1) if HAND_MADE.search(line)]
    assert found == []


def test_the_scan_sees_a_hand_made_plural_in_an_f_string(tmp_path: Path) -> None:
    source = tmp_path / "cli.py"
    source.write_text('count = 2\nprint(f"{count} problem(s)")\nprint(f(s))\n', encoding="utf-8")
    assert [line for line, text in _literals(source) if HAND_MADE.search(text)] == [2]


def test_checking_a_report_with_one_finding_says_one_finding(tmp_path: Path, example_data: dict) -> None:
    data = changed(one_finding(example_data), "findings.0.photos", ["f1-glaze-crawl-1.jpg"])
    path = write_report(tmp_path, data)
    (tmp_path / "f1-glaze-crawl-1.jpg").write_bytes(
        (ROOT / "examples" / "visit-PO-2026-0142" / "f1-glaze-crawl-1.jpg").read_bytes())

    result = CliRunner().invoke(main, ["visit", "check", str(path), "--config", str(EXAMPLE_CONFIG)])

    assert result.exit_code == 0, result.output
    assert result.output == "report.yaml: OK — order PO-2026-0142, 1 finding, 1 photo checked\n"


def test_a_report_refused_for_one_problem_says_one_problem(tmp_path: Path, example_data: dict) -> None:
    without_photos = changed(one_finding(example_data), "findings.0.photos", [])
    path = write_report(tmp_path, changed(without_photos, "findings.0.severity", "fatal"))

    result = CliRunner().invoke(main, ["visit", "check", str(path), "--config", str(EXAMPLE_CONFIG)])

    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "report.yaml: refused, 1 problem; nothing was stored."


def test_the_new_counted_sentences_read_in_chinese_too() -> None:
    chinese = Language(CHINESE)
    for one, many in (("%(num)s finding", "%(num)s findings"),
                      ("%(count)s message owed: %(states)s", "%(count)s messages owed: %(states)s"),
                      ("%(name)s: refused, %(count)s problem; nothing was stored.",
                       "%(name)s: refused, %(count)s problems; nothing was stored.")):
        assert chinese.ngettext(one, many, 1) != one and chinese.ngettext(one, many, 2) != many
