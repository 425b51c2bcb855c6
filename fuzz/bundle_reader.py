"""Fuzzes the bundle reader (a .zip upload, unpacked and checked with its photos); see
fuzz/README.md.

Any exception escaping `read_report` is a finding, and so is a file written outside the
bundle's temporary folder: the fuzzer runs with the working directory set to an empty folder
that must stay empty.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["handlers", "yaml", "json", "zipfile"]):
    from handlers.intake.reports import read_report

FACTORIES = ["NB-EVERGREEN"]
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-bundle-"))
BUNDLE = FOLDER / "visit.zip"
WATCHED = FOLDER / "must-stay-empty"


def test_one_input(data: bytes) -> None:
    BUNDLE.write_bytes(data)
    with read_report(BUNDLE, FACTORIES) as checked:
        if not checked.problems and checked.report is None:
            raise AssertionError("neither a report nor a problem")
    if any(WATCHED.iterdir()):
        raise AssertionError(f"written outside the bundle's folder: {list(WATCHED.iterdir())}")


if __name__ == "__main__":
    WATCHED.mkdir()
    os.chdir(WATCHED)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
