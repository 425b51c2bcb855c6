"""Templates and catalogs compiled once for the user who runs the bot, not once per process.

Every `followup` command is a fresh process, and a worker of the CPU pool is a fresh fork: each
compiled the templates it rendered and the .po catalogs anew, a third of a `followup visit post`
(about 0.15 s) before a single line was printed. What compiling makes is kept in a folder of
the user's cache ($FOLLOWUP_CACHE, else $XDG_CACHE_HOME/followup, else ~/.cache/followup),
each entry under what it was made from: a template's code carries its source's checksum
(jinja checks it), a catalog is named by its .po file's SHA-256. A changed source is thus
compiled again, and a stale entry is never used. Without a folder that can be written (a
read-only home, FOLLOWUP_CACHE set empty) everything still works, compiled once per process.
The templates' own cache is messages/environment.py's `TemplateCode`; this module imports no
jinja, so reading a catalog (`followup notice kinds`) does not load the templates' engine.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def cache_folder() -> Path | None:
    """The folder compiled things are kept in, or None: kept in memory only."""
    configured = os.environ.get("FOLLOWUP_CACHE")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return (Path(base) if base else Path.home() / ".cache") / "followup"
    except RuntimeError:  # no home directory to be found
        return None


def kept(path: Path | None) -> bytes | None:
    """What `keep` put at `path`, or None."""
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def keep(path: Path | None, content: bytes) -> None:
    """`content` at `path`, written beside it and moved in whole, so that a process reading it
    at the same time finds all of it or nothing. A folder that cannot be written costs only
    the next process the compiling."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.replace(name, path)
        except BaseException:
            os.unlink(name)
            raise
    except OSError as exc:
        log.debug("could not keep %s: %s", path, exc)


def kept_or_made(path: Path | None, make: Callable[[], bytes]) -> bytes:
    """The content kept at `path`, else `make()`'s, kept there for the next process."""
    content = kept(path)
    if content is None:
        content = make()
        keep(path, content)
    return content
