"""The seams later issues rely on: the domain and the store never import a platform,
the CLI or the adapters, and the bot's shared code imports no chat library, so a new surface
only adds an adapter.

The check reads every module's imports as Python would resolve them: `import x`, `from x
import y`, relative imports (`from ..x import y`) and modules named by a string to
`importlib.import_module` or `__import__`. It refuses to pass vacuously: each layer it checks
must hold modules, and those modules must import something; and the reader itself is shown
to catch each form of import on a module made for it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = ("telegram", "slack_bolt", "slack_sdk")
FORBIDDEN = {
    "handlers": (*PLATFORMS, "bot", "click", "storage", "messages", "jinja2"),
    "storage": (*PLATFORMS, "bot", "click", "messages"),
    # messages/ builds Block Kit with slack_sdk's block models, and nothing else of Slack.
    "messages": ("telegram", "slack_bolt", "bot", "storage"),
}
# bot/'s own modules (the outbox, answers, the CLI, the console) serve every surface; only
# bot/telegram/ and bot/slack/ speak to a chat library.
SHARED_BOT = "bot"
DYNAMIC_IMPORTERS = {"import_module", "__import__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The top-level names of every module `path` imports, however it is written."""
    return imports_in(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # relative: resolved against the module's own package, as Python does
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            if target:
                names.add(target.split(".")[0])
            else:  # `from .. import bot` at the top: the names are the modules
                names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Call) and _called(node) in DYNAMIC_IMPORTERS and node.args:
            if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names.add(node.args[0].value.split(".")[0])
    return names


def _called(call: ast.Call) -> str | None:
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)


def modules_of(package: str, nested: bool = True) -> list[Path]:
    folder = ROOT / package
    modules = sorted(folder.rglob("*.py") if nested else folder.glob("*.py"))
    assert modules, f"{package}/ holds no module: the check would pass on nothing"
    return modules


def offenders(modules: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {path: imports_of(path) for path in modules}
    assert any(found.values()), "no module imports anything: the reader is broken"
    return {str(path.relative_to(ROOT)): sorted(names & set(forbidden)) for path, names in found.items()
            if names & set(forbidden)}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_or_beside_it(package: str) -> None:
    assert offenders(modules_of(package), FORBIDDEN[package]) == {}


def test_the_bots_shared_code_imports_no_chat_library() -> None:
    assert offenders(modules_of(SHARED_BOT, nested=False), PLATFORMS) == {}


@pytest.mark.parametrize("source", [
    "import telegram.ext",
    "from slack_sdk.web.async_client import AsyncWebClient",
    "from .. import bot",
    "from ..bot.telegram import runtime",
    "import importlib\nimportlib.import_module('telegram.ext')",
    "from importlib import import_module\nimport_module('slack_bolt')",
    "client = __import__('slack_sdk')",
    "def later():\n    import telegram",
])
def test_the_reader_catches_every_form_of_import(source: str) -> None:
    """Each form, written in a module of handlers/, is read as importing what it imports."""
    assert imports_in(source, "handlers.probe") & {"telegram", "slack_sdk", "slack_bolt", "bot"}, source


def test_a_relative_import_inside_a_package_stays_in_it() -> None:
    assert imports_in("from . import schema\nfrom .. import model", "handlers.intake.reports") == {"handlers"}
