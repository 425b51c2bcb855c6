"""The README's "How a visit is judged" states every `[analysis]` threshold with the default the
code uses, as does the configuration table: a buyer tuning a threshold reads what it does and
where it starts, and a default changed in the code without the README fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
THRESHOLDS = Config.model_fields["analysis"].annotation.model_fields


def _section(title: str) -> str:
    start = README.index(f"### {title}\n")
    end = re.compile(r"^#{2,3} ", re.MULTILINE).search(README, start + 1).start()
    return README[start:end]


def _written(default: object) -> str:
    """A default as the README writes it: 10, not 10.0."""
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def _stated(name: str, default: object) -> str:
    return f"`{name}` (no default)" if default is None else f"`{name}` (default {_written(default)})"


@pytest.mark.parametrize("name", THRESHOLDS)
def test_the_analysis_section_states_each_threshold_with_its_default(name: str) -> None:
    stated = _stated(name, THRESHOLDS[name].default)
    assert stated in " ".join(_section("How a visit is judged").split())  # line breaks are spaces


@pytest.mark.parametrize("name", THRESHOLDS)
def test_the_configuration_table_gives_each_threshold_its_default(name: str) -> None:
    default = THRESHOLDS[name].default
    rows = [line for line in README.splitlines() if line.startswith("| ") and f"`{name}`" in line]
    cells = [[cell.strip() for cell in row.split("|")] for row in rows]
    expected = "—" if default is None else f"`{_written(default)}`"
    assert any(row[3] == expected for row in cells), rows


def test_a_changed_default_would_be_seen() -> None:
    section = " ".join(_section("How a visit is judged").split())
    assert _stated("overrun_pct", 5.0) in section and _stated("overrun_pct", 7.5) not in section
