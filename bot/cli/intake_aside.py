"""`visit post`'s report checked, and its photos kept, in a child process beside the command.

Reading the report (YAML, the schema), checking 40 camera photos (headers, EXIF, hashing) and
keeping them (the kernel copying 108 MB) took about 200 ms one after the other with the
command's imports of the bus, the store and the console and the building of the app; on the
second core they overlap. A child, not a thread: a thread's YAML and EXIF took the GIL from the
imports, which then took twice as long (benchmarks/visit_post.py, `chrt -f 10`).

The order of what is decided stays as it was: the child checks, sends the checked report, then
waits to be told; the photos are kept only once the report passed and the poster was found, so
a refused report or an unknown `--as` leaves the media folder as it was, and the store is opened
only after the check. The command tells the child to keep them, and where, once it has opened
the store: the store's first commits, made while the kernel wrote 108 MB into files, each
waited for the disk's journal (opening a fresh store took ~70 ms instead of ~5). A bundle's
unpacked folder lives until the child is done with it.

A process that runs other threads does all of it in the command's own thread instead: forking
it could copy a lock one of them holds.
"""

from __future__ import annotations

import os
import pickle
import threading
import traceback
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from bot.intake import keep_photos
from handlers.intake.reports import CheckedReport, read_report
from storage.media import MediaStore

_KEEP = b"k"


class IntakeAside:
    """`with IntakeAside(...) as aside:` starts the check; `aside.checked()` waits for it,
    `aside.keep()` lets the photos be copied, `await aside.kept()` waits for that. Leaving the
    block without `keep()` drops the photos; leaving it waits for the child in every case."""

    def __init__(self, report: Path, factory_ids: list[str], overrun_pct: float) -> None:
        self._read = lambda: read_report(report, factory_ids, overrun_pct=overrun_pct)
        self._media: MediaStore | None = None
        self._here = ExitStack()  # the report read in this process when no child is made
        self._checked: CheckedReport | None = None
        self._child: int | None = None
        self._from_child: BinaryIO | None = None
        self._to_child = -1

    def __enter__(self) -> IntakeAside:
        if hasattr(os, "fork") and threading.active_count() == 1:
            self._fork()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._child is not None:
            os.close(self._to_child)  # the child, told nothing, drops the photos
            self._from_child.close()  # and one still writing a report nobody read stops
            os.waitpid(self._child, 0)
        self._here.close()

    def checked(self) -> CheckedReport:
        if self._checked is None:
            self._checked = self._receive() if self._child is not None else self._here.enter_context(self._read())
        return self._checked

    def keep(self, media: MediaStore) -> None:
        """The photos may be kept in `media` now (by the child, when there is one): the
        command names the folder once it has the app's, so the child never imports the
        configuration's store (aiosqlite, asyncio) to find it."""
        self._media = media
        if self._child is not None:
            os.write(self._to_child, _KEEP + os.fsencode(media.root) + b"\0")

    async def kept(self) -> CheckedReport:
        """The passed report, its photos pointing at their kept copies."""
        if self._child is not None:
            import asyncio

            return await asyncio.to_thread(self._receive)
        return keep_photos(self.checked(), self._media)

    def _fork(self) -> None:
        from_child, to_parent = os.pipe()
        from_parent, to_child = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: it never returns into the command
            os.close(from_child)
            os.close(to_child)
            try:
                self._run(to_parent, from_parent)
            finally:
                os._exit(0)
        os.close(to_parent)
        os.close(from_parent)
        self._child, self._from_child, self._to_child = pid, os.fdopen(from_child, "rb"), to_child

    def _run(self, to_parent: int, from_parent: int) -> None:
        with os.fdopen(to_parent, "wb") as out:
            try:
                with self._read() as checked:
                    _send(out, checked)
                    told = _told(from_parent)
                    if told.startswith(_KEEP) and checked.ok:
                        root = Path(os.fsdecode(told.removeprefix(_KEEP).removesuffix(b"\0")))
                        _send(out, keep_photos(checked, MediaStore(root)))
            except BaseException:  # noqa: BLE001 - the parent raises it, with the child's traceback
                _send(out, ChildFailed(traceback.format_exc()))

    def _receive(self) -> CheckedReport:
        try:
            answer = pickle.load(self._from_child)
        except EOFError:
            raise ChildFailed("the child checking the report ended without an answer (killed?)") from None
        if isinstance(answer, ChildFailed):
            raise answer
        return answer


class ChildFailed(Exception):
    """Checking or keeping the report failed in the child; its traceback is the message."""


def _told(from_parent: int) -> bytes:
    """What the command said, up to its end (NUL) or the pipe's: nothing when it left."""
    said = b""
    while not said.endswith(b"\0") and (more := os.read(from_parent, 4096)):
        said += more
    return said


def _send(out: BinaryIO, answer: object) -> None:
    out.write(pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))
    out.flush()
