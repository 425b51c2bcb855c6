"""Replicas on several machines share one files folder, or refuse to start: the store keeps an
installation id, the folder a marker holding it (bot/files_folder.py). The first start writes
the marker; a folder without it (a machine that did not mount the shared one) or with another
installation's is refused, naming the folder and the fix; `followup db copy` marks the folder it
fills, so the copied installation starts there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.followup import main
from bot.config import Storage, load_config
from bot.files_folder import MARKER, FilesFolderRefused, check_files_folder, files_folder, installation_id
from storage.sqlite import SqliteStore
from tests.conftest import EXAMPLE_CONFIG


async def test_the_first_start_marks_the_folder_and_a_replica_elsewhere_is_refused(tmp_path, clock) -> None:
    store = await SqliteStore.open(tmp_path / "db" / "followup.sqlite3")
    shared, local = tmp_path / "shared", tmp_path / "local"
    url = f"sqlite:///{tmp_path / 'db' / 'followup.sqlite3'}"
    try:
        await check_files_folder(store, Storage(url=url, files=shared), clock)
        installation = await installation_id(store, clock)
        assert (shared / MARKER).read_text(encoding="utf-8").strip() == installation
        await check_files_folder(store, Storage(url=url, files=shared), clock)  # a second replica, same mount

        with pytest.raises(FilesFolderRefused) as refused:
            await check_files_folder(store, Storage(url=url, files=local), clock)
        said = str(refused.value)
        assert str(local.resolve()) in said and "FOLLOWUP_FILES" in said and installation in said
        assert not (local / MARKER).exists()

        local.mkdir()
        (local / MARKER).write_text("0123456789abcdef\n", encoding="utf-8")  # another installation's folder
        with pytest.raises(FilesFolderRefused, match="belongs to another installation"):
            await check_files_folder(store, Storage(url=url, files=local), clock)
    finally:
        await store.close()


async def test_a_sqlite_files_own_folder_needs_no_marker(tmp_path, clock) -> None:
    url = f"sqlite:///{tmp_path / 'followup.sqlite3'}"
    store = await SqliteStore.open(tmp_path / "followup.sqlite3")
    try:
        await check_files_folder(store, Storage(url=url), clock)
    finally:
        await store.close()
    assert files_folder(Storage(url=url)) == tmp_path and not (tmp_path / MARKER).exists()


def test_the_environment_names_the_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FOLLOWUP_FILES", str(tmp_path / "mnt"))
    monkeypatch.setenv("FOLLOWUP_DB", "postgresql://db.example.test/followup")
    storage = load_config(EXAMPLE_CONFIG).storage
    assert (storage.url, files_folder(storage)) == ("postgresql://db.example.test/followup", tmp_path / "mnt")


async def test_a_copied_installation_starts_on_the_folder_the_copy_filled(tmp_path, clock) -> None:
    source_db = tmp_path / "source" / "followup.sqlite3"
    source = Storage(url=f"sqlite:///{source_db}", files=tmp_path / "source-files")
    store = await SqliteStore.open(source_db)
    try:
        await check_files_folder(store, source, clock)
    finally:
        await store.close()
    (tmp_path / "source-files" / "media").mkdir()
    (tmp_path / "source-files" / "media" / "photo.jpg").write_bytes(b"\xff\xd8")
    moved = tmp_path / "moved-files"
    target = Storage(url=f"sqlite:///{tmp_path / 'target' / 'followup.sqlite3'}", files=moved)
    result = await asyncio.to_thread(CliRunner().invoke, main, ["db", "copy", "--from", source.url, "--to", target.url,
                                       "--files-from", str(source.files), "--files-to", str(moved)])
    assert result.exit_code == 0, result.output
    store = await SqliteStore.open(Path(target.url.removeprefix("sqlite:///")))
    try:
        await check_files_folder(store, target, clock)  # not refused: the copy marked it
    finally:
        await store.close()
    assert (moved / "media" / "photo.jpg").exists()
