"""`followup --help` and `followup aql` answer at once: they import only click and what they
use, never the chat libraries, PDF, images, the store or the config schema that `run` needs.
Held by the modules a fresh process has loaded (time on a shared machine is too noisy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.followup import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("telegram", "slack_bolt", "slack_sdk", "fpdf", "matplotlib", "aiohttp", "pydantic", "jinja2", "babel",
         "aiosqlite", "PIL", "numpy", "segno", "pypdfium2", "bot.app", "storage")
PROBE = """
import json, sys
from bot.cli.followup import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after(*args: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("args", [("--help",), ("aql", "500")])
def test_help_and_aql_load_nothing_heavy(args) -> None:
    loaded = loaded_after(*args)
    assert [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY] == []
    assert len(loaded) < 200, len(loaded)


def test_every_listed_command_loads_under_its_own_name() -> None:
    for name, (module, attribute, line) in COMMANDS.items():
        command = main.get_command(None, name)
        assert command is not None and command.name == name, (name, module, attribute)
        assert len(line) <= 70, f"{name}: `followup --help` wraps a line over 70 characters"
