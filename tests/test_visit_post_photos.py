"""`followup visit post` keeps a report's photos as they were sent, whichever way it checks them.

The command checks the report and keeps its photos in a child process while it imports what
posting needs (bot/cli/intake_aside.py); a process that runs other threads does it in its own.
Either way the kept files are the inspector's bytes, a bundle's photos are kept before its
unpacked folder goes, and a poster nobody configured keeps nothing.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.followup import main
from tests.conftest import example_config_file

PHOTOS = 7  # the example visit's
COUNTING_FORKS = """
import os, sys
from bot.cli.followup import main
forks, fork = [], os.fork
os.fork = lambda: forks.append(fork()) or forks[-1]
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    if forks[-1:] != [0]:  # not in the child, which leaves by os._exit anyway
        print("forks:", len(forks))
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return example_config_file(tmp_path / "followup.toml", f"sqlite:///{tmp_path / 'store' / 'db.sqlite3'}")


def post(report: Path, config: Path, *more: str) -> Result:
    return CliRunner().invoke(main, ["visit", "post", str(report), "--config", str(config), *more])


def kept(tmp_path: Path) -> dict[str, bytes]:
    """Each kept photo's name (its SHA-256 and suffix) and its content."""
    media = tmp_path / "store" / "media"
    return {p.name: p.read_bytes() for p in media.rglob("*") if p.is_file()} if media.exists() else {}


def sent(visit_dir: Path) -> dict[str, bytes]:
    """The photos of the visit as the inspector sent them, by the name the store gives them."""
    return {f"{hashlib.sha256(p.read_bytes()).hexdigest()}{p.suffix}": p.read_bytes()
            for p in visit_dir.iterdir() if p.suffix in (".jpg", ".png")}


@pytest.fixture
def another_thread() -> Iterator[None]:
    """A thread running beside the command, as in a process that serves something else too."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="beside")
    thread.start()
    yield
    stop.set()
    thread.join()


def test_a_posted_bundles_photos_are_kept_byte_for_byte_by_a_child(
    visit_dir: Path, tmp_path: Path, config_file: Path
) -> None:
    """In a process of its own, as `followup` runs: a test's process may run other threads."""
    bundle = tmp_path / "visit.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        for file in sorted(visit_dir.iterdir()):
            archive.write(file, file.name)

    result = subprocess.run([sys.executable, "-c", COUNTING_FORKS, "visit", "post", str(bundle),
                             "--config", str(config_file)], cwd=tmp_path, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "forks: 1"
    assert kept(tmp_path) == sent(visit_dir) and len(sent(visit_dir)) == PHOTOS


def test_a_refused_configuration_leaves_the_child_started_before_it_silent(visit_dir: Path, tmp_path: Path) -> None:
    """The child starts before the configuration is read: refused, the command says why and
    the child, never told the factories, ends without a word and keeps nothing."""
    config_file = tmp_path / "followup.toml"
    config_file.write_text("[storage\n", encoding="utf-8")

    result = subprocess.run([sys.executable, "-c", COUNTING_FORKS, "visit", "post", str(visit_dir / "report.yaml"),
                             "--config", str(config_file)], cwd=tmp_path, capture_output=True, text=True)

    assert result.returncode == 2, result.stderr
    assert result.stdout.splitlines() == ["forks: 1"]
    assert "not valid TOML" in result.stderr and "Traceback" not in result.stderr
    assert kept(tmp_path) == {}
    assert not (tmp_path / "store").exists()


def test_a_poster_nobody_configured_keeps_no_photo(visit_dir: Path, tmp_path: Path, config_file: Path) -> None:
    result = post(visit_dir / "report.yaml", config_file, "--as", "Nobody")

    assert result.exit_code == 2, result.output
    assert "no inspector or admin named 'Nobody'" in result.output
    assert kept(tmp_path) == {}
    assert not (tmp_path / "store" / "db.sqlite3").exists()


@pytest.mark.usefixtures("another_thread")
def test_beside_another_thread_the_command_checks_and_keeps_the_photos_itself(
    visit_dir: Path, tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forking a process that runs other threads could copy a lock one of them holds."""
    def no_fork() -> int:
        raise AssertionError("forked beside another thread")

    monkeypatch.setattr(os, "fork", no_fork)

    result = post(visit_dir / "report.yaml", config_file)

    assert result.exit_code == 0, result.output
    assert kept(tmp_path) == sent(visit_dir)


@pytest.mark.usefixtures("another_thread")
def test_beside_another_thread_a_refused_report_keeps_nothing(
    visit_dir: Path, tmp_path: Path, config_file: Path
) -> None:
    (visit_dir / "p1-carton.jpg").write_bytes(b"not a photo")

    result = post(visit_dir / "report.yaml", config_file)

    assert result.exit_code == 1, result.output
    assert kept(tmp_path) == {}
    assert not (tmp_path / "store" / "db.sqlite3").exists()
