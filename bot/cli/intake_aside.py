"""`visit post`'s report checked, and its photos kept, in a child process beside the command.

Reading the report (YAML, the schema), checking 40 camera photos (headers, EXIF, hashing) and
keeping them (the kernel copying 108 MB) took about 200 ms one after the other with the
command's imports of the bus, the store and the console and the building of the app; on the
second core they overlap. A child, not a thread: a thread's YAML and EXIF took the GIL from the
imports, which then took twice as long (benchmarks/visit_post.py, `chrt -f 10`).

The child starts before the command has loaded its configuration, let alone imported what
reading a report needs: it imports that itself (pydantic's schema, YAML, the photos' checks)
while the command loads the configuration on the other core, then waits to be told the
factories to check against (`check`). Forked after the configuration instead, the child
found the command had spent some 170 ms on one core while the other idled, and the two then
fought over both cores while the child hashed the photos.

The order of what is decided stays as it was: the child checks, sends the checked report, then
waits to be told; the photos are kept only once the report passed and the poster was found, so
a refused report, a configuration refused or an unknown `--as` leaves the media folder as it
was, and the store is opened only after the check. The command tells the child to keep them,
and where, once it has opened the store: the store's first commits, made while the kernel wrote
108 MB into files, each waited for the disk's journal (opening a fresh store took ~70 ms instead
of ~5). A bundle's unpacked folder lives until the child is done with it.

A process that runs other threads does all of it in the command's own thread instead: forking
it could copy a lock one of them holds.
"""

from __future__ import annotations

import os
import pickle
import threading
import traceback
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from bot.cli.lazy import imported

if TYPE_CHECKING:  # imported by whichever process reads the report: the child, when there is one
    from handlers.intake.reports import CheckedReport
    from storage.media import MediaStore


class IntakeAside:
    """`with IntakeAside(report) as aside:` starts the child; `aside.check(...)` lets it check
    the report, `aside.checked()` waits for that, `aside.keep()` lets the photos be copied,
    `await aside.kept()` waits for that. Leaving the block without `keep()` drops the photos;
    leaving it waits for the child in every case."""

    def __init__(self, report: Path) -> None:
        self._report = report
        self._against: tuple[list[str], float] | None = None  # the factories, the overrun allowed
        self._media: MediaStore | None = None
        self._here = ExitStack()  # the report read in this process when no child is made
        self._checked: CheckedReport | None = None
        self._child: int | None = None
        self._from_child: BinaryIO | None = None
        self._to_child: BinaryIO | None = None

    def __enter__(self) -> IntakeAside:
        if hasattr(os, "fork") and threading.active_count() == 1:
            self._fork()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._child is not None:
            with suppress(BrokenPipeError):  # a child that failed early left before it was told
                self._to_child.close()  # the child, told nothing more, drops the photos
            self._from_child.close()  # and one still writing a report nobody read stops
            os.waitpid(self._child, 0)
        self._here.close()

    def check(self, factory_ids: list[str], overrun_pct: float) -> None:
        """The report may be checked now, against the configuration's factories and overrun."""
        self._against = (factory_ids, overrun_pct)
        if self._child is not None:
            with suppress(BrokenPipeError):  # a child that failed before (its imports) said why: `checked` raises it
                _send(self._to_child, self._against)

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
            _send(self._to_child, media.root)

    async def kept(self) -> CheckedReport:
        """The passed report, its photos pointing at their kept copies."""
        if self._child is not None:
            import asyncio

            return await asyncio.to_thread(self._receive)
        return imported("bot.intake").keep_photos(self.checked(), self._media)

    def _read(self):
        factory_ids, overrun_pct = self._against
        return imported("handlers.intake.reports").read_report(self._report, factory_ids, overrun_pct=overrun_pct)

    def _fork(self) -> None:
        from_child, to_parent = os.pipe()
        from_parent, to_child = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: it never returns into the command
            os.close(from_child)
            os.close(to_child)
            try:
                self._run(os.fdopen(to_parent, "wb"), os.fdopen(from_parent, "rb"))
            finally:
                os._exit(0)
        os.close(to_parent)
        os.close(from_parent)
        self._child, self._from_child, self._to_child = pid, os.fdopen(from_child, "rb"), os.fdopen(to_child, "wb")

    def _run(self, out: BinaryIO, told: BinaryIO) -> None:
        with out, told:
            try:
                keep_photos = imported("bot.intake").keep_photos  # while the command loads its configuration
                MediaStore = imported("storage.media").MediaStore
                try:
                    self._against = pickle.load(told)
                except EOFError:  # the command left first (its configuration refused)
                    return
                with self._read() as checked:
                    _send(out, checked)
                    try:
                        root = pickle.load(told)
                    except EOFError:  # refused, or nobody to post as: nothing is kept
                        return
                    if checked.ok:
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


def _send(out: BinaryIO, answer: object) -> None:
    out.write(pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))
    out.flush()
