"""The files an installation keeps beside its store, and moving them with it.

A SQLite store keeps two directories beside its file: `media/` (photos and images by their
SHA-256, storage/media.py) and `uploads/` (report files staged until their photos arrive,
bot/chat/uploads.py). A store on a server has nothing beside it (the bot keeps its files in
`[storage] files` or its working directory, bot/files_folder.py), so moving to or from one names the
directory explicitly rather than guessing whose working directory is meant.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from storage.sqlite import data_folder

DIRECTORIES = ("media", "uploads")


def files_beside(url: str) -> Path | None:
    """Where a store's files live when it is a SQLite file; None for a store on a server."""
    return data_folder(url) if url.startswith("sqlite:") else None


def inventory(root: Path) -> dict[str, str]:
    """Each file under the directories, by its path from `root`, with its content's SHA-256."""
    found = {}
    for directory in DIRECTORIES:
        for path in sorted((root / directory).rglob("*")):
            if path.is_file():
                found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def files_checksum(files: dict[str, str]) -> str:
    total = hashlib.sha256()
    for name in sorted(files):
        total.update(f"{name}={files[name]}\n".encode())
    return total.hexdigest()


def copy_files(source: Path, target: Path) -> None:
    """The directories copied whole, keeping names and times; the target's must not exist yet
    or be empty (checked before the copy starts)."""
    for directory in DIRECTORIES:
        if (source / directory).is_dir():
            shutil.copytree(source / directory, target / directory, dirs_exist_ok=True)
