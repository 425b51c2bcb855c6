"""A command that reads the configuration or a report does not search for pydantic plugins this
project never installs (bot/cli/followup.py): pydantic's plugin loader imports importlib.metadata
even when every plugin is disabled. Someone who installs a plugin and allows it gets pydantic's
own loader. Held by the modules a fresh process loaded, as tests/test_cli_start_up.py does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = str(ROOT / "examples" / "visit-PO-2026-0142" / "report.yaml")
PROBE = """
import json, sys
from bot.cli.followup import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
loader = sys.modules.get("pydantic.plugin._loader")
print(json.dumps(["importlib.metadata" in sys.modules, getattr(loader, "__file__", None)]))
"""


def probe(env: dict[str, str]) -> tuple[bool, str | None]:
    result = subprocess.run([sys.executable, "-c", PROBE, "visit", "check", REPORT], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    metadata, loader_file = json.loads(result.stdout.splitlines()[-1])
    return metadata, loader_file


def test_checking_a_report_searches_for_no_pydantic_plugin() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}

    assert probe(env) == (False, None)


def test_plugins_allowed_by_the_user_are_looked_for_by_pydantic_itself() -> None:
    metadata, loader_file = probe({**os.environ, "PYDANTIC_DISABLE_PLUGINS": ""})

    assert metadata
    assert loader_file is not None and Path(loader_file).parts[-3:] == ("pydantic", "plugin", "_loader.py")
