"""The seams later issues rely on: the domain and the store never import a platform,
the CLI or the adapters, the store reads only the domain's model, the bot's shared code imports
no chat library, no module imports itself through others, and only the composition root builds
an adapter and hands it to the dispatcher, so a new surface only adds an adapter, wired in one
place.

The check reads every module's imports as Python would resolve them: `import x`, `from x
import y`, relative imports (`from ..x import y`), imports made only for type checking, and
modules named by a string to `importlib.import_module` or `__import__`. It refuses to pass
vacuously: each layer it checks must hold modules, and those modules must import something; and
the reader and the cycle finder are shown to catch what they look for on code made for them.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("bot", "handlers", "messages", "storage")
PLATFORMS = ("telegram", "slack_bolt", "slack_sdk")
RENDERING = ("jinja2", "fpdf", "babel")
FORBIDDEN = {
    "handlers": (*PLATFORMS, *RENDERING, "bot", "click", "storage", "messages"),
    "storage": (*PLATFORMS, "bot", "click", "messages"),
    # messages/ builds Block Kit with slack_sdk's block models, and nothing else of Slack.
    "messages": ("telegram", "slack_bolt", "bot", "storage"),
}
# Only bot/telegram/ and bot/slack/ speak to a chat library; the rest of bot/ (the outbox, the
# chat surfaces' shared pieces, the CLI, the console) serves every surface.
PLATFORM_PACKAGES = ("bot/telegram", "bot/slack")
# What the store may read of handlers/: the model and its rules, never a use case or a query.
STORE_READS = "handlers.model"
DYNAMIC_IMPORTERS = {"import_module", "__import__"}
# The one module that builds the outbox's adapters and adds them to the dispatcher; the runtimes,
# the CLI and the console receive what they need from it.
COMPOSITION_ROOT = "bot/app.py"
ADDS_TO_THE_DISPATCHER = "add_adapter"
SURFACES = {"ConsoleAdapter", "TelegramAdapter", "SlackAdapter"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def project_modules() -> frozenset[str]:
    return frozenset(module_name(path) for package in PROJECT for path in (ROOT / package).rglob("*.py"))


def imports_of(path: Path) -> set[str]:
    """The top-level names of every module `path` imports, however it is written."""
    return {name.split(".")[0] for name in modules_imported_by(path)}


def modules_imported_by(path: Path) -> set[str]:
    return modules_imported(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    return {name.split(".")[0] for name in modules_imported(source, module, is_package)}


def modules_imported(source: str, module: str, is_package: bool = False) -> set[str]:
    """The full names of the modules `source` imports: `from x import y` names x.y where y is
    a module of the project, else x."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # relative: resolved against the module's own package, as Python does
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{target}.{alias.name}" if target else alias.name
                names.add(submodule if submodule in project_modules() or not target else target)
        elif isinstance(node, ast.Call) and _called(node) in DYNAMIC_IMPORTERS and node.args:
            if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
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
    platform_modules = {path for package in PLATFORM_PACKAGES for path in modules_of(package)}
    shared = [path for path in modules_of("bot") if path not in platform_modules]
    assert offenders(shared, PLATFORMS) == {}


def test_the_store_reads_only_the_model_of_the_domain() -> None:
    read = {path: {m for m in modules_imported_by(path) if m.split(".")[0] == "handlers"}
            for path in modules_of("storage")}
    assert any(read.values()), "the store reads nothing of handlers/: the check would pass on nothing"
    beyond = {str(path.relative_to(ROOT)): sorted(m for m in modules if not _in_package(m, STORE_READS))
              for path, modules in read.items()}
    assert {path: modules for path, modules in beyond.items() if modules} == {}


def _in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_no_module_imports_itself_through_others() -> None:
    """An import names the module it imports, not the packages above it: `from bot.chat.answers
    import answer` leans on bot.chat.answers, whatever bot/chat/__init__.py holds."""
    graph = {module_name(path): {m for m in modules_imported_by(path) if m in project_modules()}
             for package in PROJECT for path in modules_of(package)}
    assert sum(map(len, graph.values())) > len(graph), "the project's modules hardly import each other: broken"
    assert cycles(graph) == []


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other round a loop (Tarjan's strongly connected
    components, without recursion), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = stack[stack.index(node):]
                    del stack[stack.index(node):]
                    if len(group) > 1 or node in graph[node]:
                        found.append(sorted(group))
            elif successor not in index:
                index[successor] = low[successor] = len(index)
                stack.append(successor)
                work.append((successor, iter(sorted(graph.get(successor, ())))))
            elif successor in stack:
                low[node] = min(low[node], index[successor])
    return sorted(found)


def test_only_the_composition_root_builds_adapters_and_adds_them_to_the_dispatcher() -> None:
    adapters = adapter_classes()
    assert SURFACES <= adapters, "the surfaces' adapter classes are not found: the check would pass on nothing"
    wiring = {path: wiring_in(path.read_text(encoding="utf-8"), adapters)
              for package in PROJECT for path in modules_of(package)}
    root = wiring.pop(ROOT / COMPOSITION_ROOT)
    assert set(root) >= SURFACES | {ADDS_TO_THE_DISPATCHER}, f"the root wires {root}: the reader is broken"
    assert {str(path.relative_to(ROOT)): calls for path, calls in wiring.items() if calls} == {}


@cache
def adapter_classes() -> frozenset[str]:
    """The project's classes named *Adapter: the surfaces, their base and the dispatcher's port
    (not a library's, such as pydantic's TypeAdapter)."""
    return frozenset(node.name for package in PROJECT for path in modules_of(package)
                     for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                     if isinstance(node, ast.ClassDef) and node.name.endswith("Adapter"))


def wiring_in(source: str, adapters: frozenset[str]) -> list[str]:
    """The adapters `source` constructs and its calls to add_adapter, by the names the classes
    have where they are defined (an adapter imported under another name is read as itself)."""
    tree = ast.parse(source)
    aliases = {alias.asname: alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.asname}
    called = (aliases.get(name, name) for node in ast.walk(tree) if isinstance(node, ast.Call)
              if (name := _called(node)))
    return sorted(name for name in called if name in adapters | {ADDS_TO_THE_DISPATCHER})


@pytest.mark.parametrize("source, wired", [
    ("TelegramAdapter(bot, store, media, clock, documents)", ["TelegramAdapter"]),
    ("from bot.slack import adapter\nadapter.SlackAdapter(client)", ["SlackAdapter"]),
    ("from bot.console.adapter import ConsoleAdapter as Console\nConsole(print)", ["ConsoleAdapter"]),
    ("app.dispatcher.add_adapter(surface)", ["add_adapter"]),
    ("def later(add):\n    return add(ConsoleAdapter())", ["ConsoleAdapter"]),
    ("from pydantic import TypeAdapter\nTypeAdapter(int)", []),
])
def test_the_wiring_reader_catches_an_adapter_built_or_added(source: str, wired: list[str]) -> None:
    assert wiring_in(source, adapter_classes()) == wired, source


@pytest.mark.parametrize("source", [
    "import telegram.ext",
    "from slack_sdk.web.async_client import AsyncWebClient",
    "from .. import bot",
    "from ..bot.telegram import runtime",
    "import importlib\nimportlib.import_module('telegram.ext')",
    "from importlib import import_module\nimport_module('slack_bolt')",
    "client = __import__('slack_sdk')",
    "def later():\n    import telegram",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.app import App",
])
def test_the_reader_catches_every_form_of_import(source: str) -> None:
    """Each form, written in a module of handlers/, is read as importing what it imports."""
    assert imports_in(source, "handlers.probe") & {"telegram", "slack_sdk", "slack_bolt", "bot"}, source


def test_a_relative_import_inside_a_package_stays_in_it() -> None:
    assert imports_in("from . import schema\nfrom .. import model", "handlers.intake.reports") == {"handlers"}


def test_the_reader_names_the_module_a_from_import_reaches() -> None:
    source = "from handlers import verdicts\nfrom handlers.model import Person\nfrom .model import report"
    assert modules_imported(source, "handlers.probe") == {"handlers.verdicts", "handlers.model",
                                                           "handlers.model.report"}


def test_the_cycle_finder_finds_a_loop_however_long() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"a"}}
    assert cycles(graph) == [["a", "b", "c"], ["e"]]
