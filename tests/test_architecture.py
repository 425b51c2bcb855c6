"""The seams later issues rely on: the domain and the store never import a platform,
the CLI or the adapters, so Telegram and Slack only add adapters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "handlers": ("telegram", "slack_bolt", "slack_sdk", "bot", "click", "storage", "messages", "jinja2"),
    "storage": ("telegram", "slack_bolt", "slack_sdk", "bot", "click", "messages"),
    # messages/ builds Block Kit with slack_sdk's block models, and nothing else of Slack.
    "messages": ("telegram", "slack_bolt", "bot", "storage"),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_or_beside_it(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imports_of(path) & set(FORBIDDEN[package]))
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
