"""`followup --help`, `followup aql` and the report checks answer at once: each imports only click
and what it uses, never the chat libraries, PDF, charts, the store or (for the first two) the
config schema that `run` needs. Held by the modules a fresh process has loaded (time on a
shared machine is too noisy); benchmarks/cli_start_up.py prints the times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.followup import COMMANDS, main
from bot.cli.notice import NOTICE_COMMANDS
from bot.cli.visit import VISIT_COMMANDS
from tests.conftest import example_config_file

ROOT = Path(__file__).resolve().parent.parent
REPORT = str(ROOT / "examples" / "visit-PO-2026-0142" / "report.yaml")
HEAVY = ("telegram", "slack_bolt", "slack_sdk", "fpdf", "messages.canvas", "aiohttp", "pydantic", "jinja2", "babel",
         "aiosqlite", "PIL", "numpy", "segno", "pypdfium2", "bot.app", "storage", "asyncpg")
PROBE = """
import json, sys
from bot.cli.followup import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


# What reading a report needs beyond --help: its schema (pydantic), the photos (PIL, and HEIF for
# a HEIC photo), YAML.
READING = ("pydantic", "pydantic_core", "PIL", "pillow_heif", "yaml")
# What showing the analysis adds: the templates and the locale data they format with.
SHOWING = ("jinja2", "babel")


def named(module: str, names: tuple[str, ...]) -> bool:
    """`module` is one of `names`, or in a package named there."""
    return module in names or module.split(".")[0] in names


def heavy(loaded: list[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return [m for m in loaded if named(m, HEAVY) and m.split(".")[0] not in allowed]


def loaded_after(*args: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("args", [("--help",), ("aql", "500")])
def test_help_and_aql_load_nothing_heavy(args) -> None:
    loaded = loaded_after(*args)
    assert heavy(loaded) == []
    assert len(loaded) < 200, len(loaded)


@pytest.mark.parametrize("args, allowed, budget", [
    (("visit", "--help"), (), 200),
    (("visit", "check", REPORT), READING, 360),
    (("visit", "schema"), READING, 300),
    (("visit", "analyze", REPORT), READING + SHOWING, 450),
    (("notice", "kinds"), ("babel",), 250),
])
def test_report_commands_and_the_catalog_load_only_what_they_need(args, allowed, budget) -> None:
    loaded = loaded_after(*args)
    assert heavy(loaded, allowed) == []
    assert len(loaded) < budget, len(loaded)


def test_every_listed_command_loads_under_its_own_name() -> None:
    groups = ((main, COMMANDS), (main.get_command(None, "visit"), VISIT_COMMANDS),
              (main.get_command(None, "notice"), NOTICE_COMMANDS))
    for group, table in groups:
        for name, (module, attribute, line) in table.items():
            command = group.get_command(None, name)
            assert command is not None and command.name == name, (name, module, attribute)
            assert len(line) <= 70, f"{group.name} {name}: its --help wraps a line over 70 characters"


# Drawn in the CPU pool's workers, or needed only on Slack: never in the running bot's own process.
ELSEWHERE = ("fpdf", "messages.canvas", "numpy", "segno", "pypdfium2", "pillow_heif", "slack_bolt", "slack_sdk")


# Photos decoded in the workers; the web server's modules, aiohttp's among them, loaded only when
# it or a webhook runs: a polling bot's process holds none of them (RSS after load went from 102
# to 95 MB, issue 17). aiohttp's client it does hold: it carries the Bot API's calls
# (bot/telegram/transport.py): RSS after load 87 -> 91 MB, the loop's CPU per approval 3.9 -> 2.3 ms.
IDLE_IN_A_POLLING_BOT = ("PIL", "aiohttp.web", "bot.web.server")


def test_the_bot_leaves_pdfs_charts_and_slack_to_whoever_needs_them() -> None:
    loaded = loaded_after("run", "--help")
    assert [m for m in loaded if named(m, ELSEWHERE)] == []


def test_the_bot_leaves_photos_and_the_web_server_to_whoever_needs_them() -> None:
    loaded = loaded_after("run", "--help")
    assert [m for m in loaded if named(m, IDLE_IN_A_POLLING_BOT)] == []


@pytest.mark.parametrize("command", ["orders", "status", "notices", "outbox", "people", "factories"])
def test_the_stores_commands_load_no_chat_library_pdf_or_chart(command: str) -> None:
    loaded = loaded_after(command, "--help")
    assert [m for m in loaded if named(m, ELSEWHERE + ("telegram", "aiohttp"))] == []


def test_checking_a_report_leaves_the_store_and_the_bus_alone() -> None:
    """`visit check` reads the configuration for its factories and nothing the store or the bus
    needs: not the store, nor the commands the bus takes (bot.cli.common imports them lazily)."""
    loaded = loaded_after("visit", "check", REPORT)
    assert [m for m in loaded if m == "handlers.commands" or m.split(".")[0] == "storage"] == []


def test_a_report_of_jpegs_is_checked_without_heif_support() -> None:
    """libheif (pillow_heif) is loaded for a photo that is neither JPEG nor PNG, not for every
    report: the example's photos are JPEGs (handlers/intake/photos.py, _open_image)."""
    assert [m for m in loaded_after("visit", "check", REPORT) if named(m, ("pillow_heif",))] == []


# What the composition root (bot/app.py) adds to the store and the settings: the bus and every
# handler it registers, the outbox's dispatcher, the console, the CPU pool, the notices' PDFs.
THE_WHOLE_APP = ("bot.app", "handlers.bus", "bot.outbox.dispatcher", "bot.console.adapter", "bot.cpu",
                 "bot.outbox.notice_documents")


@pytest.mark.parametrize("args", [("orders",), ("status", "PO-2026-0142"), ("factories",), ("notices",),
                                  ("outbox",), ("inbox",)])
def test_the_stores_commands_read_without_building_the_app(args, tmp_path: Path) -> None:
    config = example_config_file(tmp_path / "followup.toml", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    loaded = loaded_after(*args, "--config", str(config))
    assert [m for m in loaded if m in THE_WHOLE_APP] == []
    assert (tmp_path / "db.sqlite3").exists()  # they did read the store


@pytest.mark.parametrize("enabled", [True, False])
def test_a_command_is_imported_with_the_collector_paused_and_left_as_it_was(enabled: bool) -> None:
    import gc

    from bot.cli.lazy import imported

    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        gc.unfreeze()
        assert imported("bot.cli.aql").aql.name == "aql"
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() > 0  # what the import made is never walked again
    finally:
        gc.unfreeze()
        gc.enable() if was else gc.disable()
