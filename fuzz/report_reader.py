"""Fuzzes the report reader (YAML and JSON text to a checked report); see fuzz/README.md.

Any exception escaping `read_report` is a finding: whatever a report file holds, the reader
answers with problems or a report.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["handlers", "yaml", "json", "zipfile"]):
    from handlers.intake.reports import read_report

FACTORIES = ["NB-EVERGREEN"]
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-report-"))


def test_one_input(data: bytes) -> None:
    """JSON when the text starts like JSON, else YAML: a seed file is fuzzed as what it is."""
    path = FOLDER / ("report.json" if data.lstrip().startswith((b"{", b"[")) else "report.yaml")
    path.write_bytes(data)
    with read_report(path, FACTORIES) as checked:
        if not checked.problems and checked.report is None:
            raise AssertionError("neither a report nor a problem")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
