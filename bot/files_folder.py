"""The files folder an installation keeps its media/ and uploads/ in, and the guard that every
replica uses the same one.

Beside a SQLite file the folder is the store's own (one machine, one file). A store on a server
is shared by replicas that may run on several machines, each with its own disk: their folder is
`[storage] files` (or FOLLOWUP_FILES), which must be one shared mount. A replica that wrote its
photos to a local folder instead would make other replicas' notices and reports miss them, and
nothing would say so until a factory asked. So the store keeps an installation id (made once,
like the web key: storage/shared_secrets.py) and the folder a marker holding it: the first
replica writes the marker, and one whose folder lacks it, or holds another installation's,
refuses to start, naming the folder and the fix. `followup db copy` writes the marker where it
puts the files."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from bot.config import Storage
from bot.made_once import made_once
from handlers.clock import Clock
from storage.sqlite import data_folder

INSTALLATION = "installation_id"
MARKER = "followup-installation"
MADE_BY = "system:files"


class FilesFolderRefused(Exception):
    """This process's files folder is not the installation's: it must not start."""


def files_folder(storage: Storage) -> Path:
    """`[storage] files` when set; else beside a SQLite file, or the working directory."""
    return storage.files if storage.files is not None else data_folder(storage.url)


def media_folder(storage: Storage) -> Path:
    """Where the installation's photos and documents are kept (storage/media.py)."""
    return files_folder(storage) / "media"


def guarded(storage: Storage) -> bool:
    """Only a folder that is not a SQLite file's own can be the wrong one."""
    return storage.files is not None or not storage.url.startswith("sqlite:")


async def installation_id(store, clock: Clock, on_made: Callable[[str], None] = lambda _: None) -> str:
    """The store's installation id, made now if it has none (`on_made` told before the commit)."""
    return await made_once(store, INSTALLATION, secrets.token_hex(16), clock.now(), MADE_BY, on_made)


async def stored_installation_id(store) -> str | None:
    """The id `store` holds, without making one (a store never started has none)."""
    async with store.unit_of_work() as uow:
        return await uow.shared_secrets.get(INSTALLATION)


def mark(folder: Path, installation: str) -> None:
    """The marker written whole, then renamed: a replica starting beside never reads half."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{MARKER}.partial"
    partial.write_text(installation + "\n", encoding="utf-8")
    partial.replace(folder / MARKER)


async def check_files_folder(store, storage: Storage, clock: Clock) -> None:
    """FilesFolderRefused unless the folder holds this installation's marker; the first start
    of an installation writes it while making the id (in its transaction, before the commit), so
    a replica starting beside it finds the marker as soon as it finds the id."""
    if not guarded(storage):
        return
    folder = files_folder(storage).resolve()
    marker = folder / MARKER

    def first_start(installation: str) -> None:
        if not marker.exists():  # a folder of another installation stays refused below
            mark(folder, installation)
    installation = await installation_id(store, clock, first_start)
    found = marker.read_text(encoding="utf-8").strip() if marker.is_file() else None
    if found == installation:
        return
    where = "[storage] files or FOLLOWUP_FILES"
    if found is None:
        raise FilesFolderRefused(
            f"the files folder {folder} is not this installation's: it holds no {MARKER} marker, and the store"
            f" was started before with another folder. Every replica must use the same folder ({where}),"
            f" shared by all machines: point it at that folder. If {folder} is that folder (its media/ and"
            f" uploads/ were copied here), write the store's installation id into {marker}: {installation}")
    raise FilesFolderRefused(
        f"the files folder {folder} belongs to another installation ({found}; this store's is {installation}):"
        f" its photos and documents are not this store's. Give this installation its own folder ({where}),"
        f" the one its other replicas use.")
