"""`followup db`: an operator's commands on the store itself: bring its schema up to date, and
move an installation to another store (SQLite to PostgreSQL) without losing anything.

The work is in storage/ (storage/transfer.py, storage/files.py); this reads the command line,
opens the stores, and prints the proof a copy is whole."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from bot.cli.common import load_or_exit
from bot.cli.options import config_option

MISMATCH = "MISMATCH"


@click.group()
def db() -> None:
    """The store itself: its schema, and moving an installation to another store."""


@db.command()
@click.option("--url", default=None, help="The store (default: [storage] url of followup.toml).")
@config_option
def migrate(url: str | None, config_file: Path | None) -> None:
    """Bring the store's schema up to date and print its version."""
    url = url or load_or_exit(config_file).storage.url
    _checked(url, "--url")
    click.echo(f"schema version {asyncio.run(_migrate(url))}")


@db.command()
@click.option("--from", "source", required=True, metavar="URL", help="The store to copy, e.g. sqlite:///followup.sqlite3.")
@click.option("--to", "target", required=True, metavar="URL", help="A new, empty store, e.g. postgresql://host/followup.")
@click.option("--files-from", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where the source's media/ and uploads/ are (default: beside a SQLite source).")
@click.option("--files-to", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where to put them (default: beside a SQLite target).")
def copy(source: str, target: str, files_from: Path | None, files_to: Path | None) -> None:
    """Copy every row (ids kept) and the media and uploads of one store into a new, empty one;
    verify by rows per table and a checksum; exit 1 on any difference."""
    from storage.files import files_beside
    from storage.transfer import CopyRefused

    catalogs = _checked(source, "--from"), _checked(target, "--to")
    if _same_store(source, target):
        raise click.UsageError("--from and --to name the same store")
    files = files_from or files_beside(source), files_to or files_beside(target)
    for where, option in zip(files, ("--files-from", "--files-to"), strict=True):
        if where is None:
            raise click.UsageError(f"a store on a server keeps no files beside it: give {option} DIR, the directory"
                                   " of its media/ and uploads/")
    try:
        lines, whole = asyncio.run(_copy(source, target, catalogs, files))
    except CopyRefused as refused:
        click.echo(f"followup db copy: {refused}", err=True)
        sys.exit(1)
    for line in lines:
        click.echo(line)
    if not whole:
        click.echo(f"followup db copy: the copy differs from the source (see {MISMATCH} above)", err=True)
        sys.exit(1)


def _checked(url: str, option: str):
    """The catalog of the engine `url` names; a usage error naming what is wrong with it."""
    from storage.catalog import catalog_for
    from storage.sqlite import path_from_url

    try:
        catalog = catalog_for(url)
        if catalog.engine == "sqlite":
            path_from_url(url)
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint=option) from None
    return catalog


def _same_store(source: str, target: str) -> bool:
    from storage.files import files_beside
    from storage.sqlite import path_from_url

    if files_beside(source) is not None and files_beside(target) is not None:
        return path_from_url(source).resolve() == path_from_url(target).resolve()
    return source == target


async def _migrate(url: str) -> int:
    from storage import store_from_url

    store = await store_from_url(url)
    try:
        return await store.schema_version()
    finally:
        await store.close()


async def _copy(source: str, target: str, catalogs, files: tuple[Path, Path]) -> tuple[list[str], bool]:
    """The copy and its proof: the lines to print, and whether the two sides agree."""
    from bot.files_folder import mark, stored_installation_id
    from storage import store_from_url
    from storage.files import copy_files, inventory
    from storage.sqlite import path_from_url
    from storage.transfer import CopyRefused, copy_rows, survey

    if catalogs[0].engine == "sqlite" and not path_from_url(source).is_file():
        raise CopyRefused(f"there is no store at {path_from_url(source)} (--from): nothing to copy")
    moving = files[0].resolve() != files[1].resolve()  # a server store may use the files where they are
    if moving and (present := inventory(files[1])):
        raise CopyRefused(f"{files[1]} already holds {len(present)} files in media/ or uploads/;"
                          " copy into a new, empty place")
    source_store = await store_from_url(source)
    try:
        target_store = await store_from_url(target)
        try:
            await copy_rows(source_store, catalogs[0], target_store, catalogs[1], _progress)
            if moving:
                copy_files(files[0], files[1])
            if installation := await stored_installation_id(source_store):
                mark(files[1], installation)  # the folder is the copied store's: its replicas start
            surveys = await survey(source_store, catalogs[0]), await survey(target_store, catalogs[1])
        finally:
            await target_store.close()
    finally:
        await source_store.close()
    return proof(*surveys, inventory(files[0]), inventory(files[1]))


def proof(source, target, source_files: dict[str, str], target_files: dict[str, str]) -> tuple[list[str], bool]:
    """Rows per table on each side, the files, and the checksums; whether they all agree."""
    from storage.files import files_checksum

    rows = [(name, count, target.counts.get(name), source.checksums[name] == target.checksums.get(name))
            for name, count in source.counts.items()]
    rows.append(("files (media, uploads)", len(source_files), len(target_files), source_files == target_files))
    width = max(len(name) for name, *_ in rows)
    lines = [f"{'TABLE':<{width}}  {'SOURCE':>8}  {'TARGET':>8}"]
    lines += [f"{name:<{width}}  {ours:>8}  {theirs:>8}{'' if same and ours == theirs else '  ' + MISMATCH}"
              for name, ours, theirs, same in rows]
    whole = all(same and ours == theirs for _, ours, theirs, same in rows)
    for side, survey, found in (("source", source, source_files), ("target", target, target_files)):
        lines.append(f"checksum {side}: {survey.checksum} (rows)  {files_checksum(found)} (files)")
    return lines, whole


def _progress(table: str, done: int, total: int) -> None:
    """Shown for a table of more than one batch, on stderr: the proof alone is on stdout."""
    from storage.transfer import BATCH

    if total > BATCH:
        click.echo(f"copying {table}: {done}/{total}", err=True)
