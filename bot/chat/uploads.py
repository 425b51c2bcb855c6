"""Visit reports arriving in a chat, on any platform: a .zip bundle, or the report file
followed by its photos as files. Files are staged per person until the report is complete,
then checked by the same rules as `followup visit check` and posted.

The check runs in a worker process (`bot.intake`), so taps and questions are answered while a
report is read. One person's files are handled one at a time, in the order they came; a
staged upload that fails in any way is removed, so it cannot break that person's next one.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path
from weakref import WeakValueDictionary

from bot.app import App
from bot.intake import intake
from handlers.catalog import N_, Nn_
from handlers.commands import Actor, PostVisit
from handlers.intake.bundle import BUNDLE_SUFFIX, REPORT_SUFFIXES
from handlers.intake.problems import PHOTO_MISSING, Level, Problem
from handlers.intake.reports import CheckedReport
from handlers.results import Reply
from messages.i18n import Language
from messages.replies import reply_text

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif")
REPORT_FILES = (*REPORT_SUFFIXES, BUNDLE_SUFFIX)
# A chat answer lists this many problems (or missing photos) and counts the rest: a hostile
# report can have thousands, and `followup visit check` prints every one.
SHOWN = 30

NOT_A_REPORT = N_("Send the visit report as a .zip bundle, or as a .yaml or .json file followed by its photos.")
REFUSED = Nn_("%(name)s was refused with %(count)s problem; nothing was stored:",
              "%(name)s was refused with %(count)s problems; nothing was stored:")
WAITING = Nn_("Report received. Waiting for %(count)s photo, sent as a file (not as a compressed photo): %(names)s",
              "Report received. Waiting for %(count)s photos, sent as files (not as compressed photos): %(names)s")
NO_REPORT_YET = N_("Send the report file first, then its photos as files.")
AND_MORE = N_("… and %(count)s more")
WARNINGS = N_("Warnings (the visit was posted all the same):")


@dataclass(frozen=True)
class Answer:
    """What to tell the inspector, and the bus's reply when the visit was posted."""

    text: str
    reply: Reply | None = None


class Uploads:
    def __init__(self, app: App, staging: Path):
        self.app = app
        self.staging = staging
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def accepts(self, filename: str) -> bool:
        return Path(filename).suffix.lower() in (*REPORT_FILES, *PHOTO_SUFFIXES)

    async def receive(self, actor: Actor, uploader: str, filename: str, content: bytes, update_key: str) -> Answer:
        """Stages one file from `uploader` (a platform user key) and answers what happens next."""
        lock = self._locks.setdefault(uploader, asyncio.Lock())
        async with lock:
            folder = self.staging / uploader
            try:
                return await self._receive(actor, folder, filename, content, update_key)
            except Exception:
                shutil.rmtree(folder, ignore_errors=True)  # the next upload starts clean
                raise

    async def _receive(self, actor: Actor, folder: Path, filename: str, content: bytes, update_key: str) -> Answer:
        language = Language(actor.person.locale, actor.person.timezone)
        name = Path(filename).name
        suffix = Path(name).suffix.lower()
        if suffix in REPORT_FILES:
            shutil.rmtree(folder, ignore_errors=True)  # a new report starts a new upload
        elif suffix not in PHOTO_SUFFIXES:
            return Answer(language.gettext(NOT_A_REPORT))
        elif _report_in(folder) is None:
            shutil.rmtree(folder, ignore_errors=True)
            return Answer(language.gettext(NO_REPORT_YET))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
        return await self._check(actor, language, folder, update_key)

    async def _check(self, actor: Actor, language: Language, folder: Path, update_key: str) -> Answer:
        report_path = _report_in(folder)
        bundle = report_path.suffix.lower() == BUNDLE_SUFFIX
        checked = await self.app.cpu.run(intake, report_path, list(self.app.settings.factories), self.app.media,
                                         wait_for_photos=not bundle,
                                         overrun_pct=self.app.settings.thresholds.overrun_pct)
        missing = _missing_photos(checked)
        if missing and not bundle:
            return _waiting(language, checked, missing)
        shutil.rmtree(folder, ignore_errors=True)
        if not checked.ok:
            return _refused(language, checked)
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await self.app.bus.handle(PostVisit(checked.report, photos), actor, update_key=update_key)
        if reply.ok:
            self.app.documents.prepare_photos(sorted(set(photos.values())))
        warnings = [p for p in checked.problems if p.level is Level.WARNING] if reply.ok else []
        said = [language.gettext(WARNINGS), *_lines(language, warnings)] if warnings else []
        return Answer("\n".join([reply_text(reply, language), *said]), reply)


def _report_in(folder: Path) -> Path | None:
    """The staged report (or bundle), if a report was received and nothing broke it since."""
    if not folder.is_dir():
        return None
    return next((p for p in sorted(folder.iterdir()) if p.suffix.lower() in REPORT_FILES), None)


def _waiting(language: Language, checked: CheckedReport, names: list[str]) -> Answer:
    others = [p for p in checked.problems if p.code != PHOTO_MISSING and p.level is Level.ERROR]
    shown = ", ".join(_at_most(language, names))
    text = language.ngettext(*WAITING, len(names)) % {"count": len(names), "names": shown}
    return Answer("\n".join([text, *_lines(language, others)]))


def _refused(language: Language, checked: CheckedReport) -> Answer:
    errors = [p for p in checked.problems if p.level is Level.ERROR]
    header = language.ngettext(*REFUSED, len(errors)) % {"name": checked.name, "count": len(errors)}
    return Answer("\n".join([header, *_lines(language, checked.problems)]))


def _lines(language: Language, problems: list[Problem]) -> list[str]:
    """Errors first: when the list is cut short, what refused the report is shown."""
    ordered = sorted(problems, key=lambda problem: problem.level is not Level.ERROR)
    return _at_most(language, [language.problem(problem.path, problem.text) for problem in ordered])


def _at_most(language: Language, items: list[str]) -> list[str]:
    if len(items) <= SHOWN:
        return items
    return [*items[:SHOWN], language.gettext(AND_MORE) % {"count": len(items) - SHOWN}]


def _missing_photos(checked: CheckedReport) -> list[str]:
    """Photo files the report names that have not arrived yet (when its shape is valid)."""
    if checked.report is None:
        return []
    names = set()
    for problem in checked.problems:
        if problem.code == PHOTO_MISSING:
            owner, _, index = problem.path.rpartition(".photos.")
            names.add(checked.report.item(owner).photos[int(index)])
    return sorted(names)
