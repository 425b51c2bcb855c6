"""Visit reports arriving in a chat, on any platform: a .zip bundle, or the report file
followed by its photos as files. Files are staged per person until the report is complete,
then checked by the same rules as `followup visit check` and posted."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.app import App
from handlers.catalog import N_
from handlers.commands import Actor, PostVisit
from handlers.reports.bundle import BUNDLE_SUFFIX, REPORT_SUFFIXES
from handlers.reports.problems import PHOTO_MISSING, Level, Problem
from handlers.reports.reader import CheckedReport, read_report
from handlers.results import Reply
from messages.i18n import Language
from messages.replies import reply_text

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif")
REPORT_FILES = (*REPORT_SUFFIXES, BUNDLE_SUFFIX)

NOT_A_REPORT = N_("Send the visit report as a .zip bundle, or as a .yaml or .json file followed by its photos.")
REFUSED = N_("%(name)s was refused with %(count)s problem(s); nothing was stored:")
WAITING = N_("Report received. Waiting for %(count)s photo(s), sent as files (not as compressed photos): %(names)s")
NO_REPORT_YET = N_("Send the report file first, then its photos as files.")


@dataclass(frozen=True)
class Answer:
    """What to tell the inspector, and the bus's reply when the visit was posted."""

    text: str
    reply: Reply | None = None


class Uploads:
    def __init__(self, app: App, staging: Path):
        self.app = app
        self.staging = staging

    def accepts(self, filename: str) -> bool:
        return Path(filename).suffix.lower() in (*REPORT_FILES, *PHOTO_SUFFIXES)

    async def receive(self, actor: Actor, uploader: str, filename: str, content: bytes, update_key: str) -> Answer:
        """Stages one file from `uploader` (a platform user key) and answers what happens next."""
        language = Language(actor.person.locale, actor.person.timezone)
        name = Path(filename).name
        suffix = Path(name).suffix.lower()
        folder = self.staging / uploader
        if suffix in REPORT_FILES:
            shutil.rmtree(folder, ignore_errors=True)  # a new report starts a new upload
        elif suffix not in PHOTO_SUFFIXES:
            return Answer(language.gettext(NOT_A_REPORT))
        elif not folder.exists():
            return Answer(language.gettext(NO_REPORT_YET))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
        return await self._check(actor, language, folder, update_key)

    async def _check(self, actor: Actor, language: Language, folder: Path, update_key: str) -> Answer:
        report_path = next(p for p in sorted(folder.iterdir()) if p.suffix.lower() in REPORT_FILES)
        with read_report(report_path, self.app.settings.factories) as checked:
            missing = _missing_photos(checked)
            if missing and report_path.suffix.lower() != BUNDLE_SUFFIX:
                return _waiting(language, checked, missing)
            if not checked.ok:
                shutil.rmtree(folder, ignore_errors=True)
                return _refused(language, checked)
            for photo in checked.photos.values():
                self.app.media.put(photo.path, photo.sha256, photo.format)
            photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        shutil.rmtree(folder, ignore_errors=True)
        reply = await self.app.bus.handle(PostVisit(checked.report, photos), actor, update_key=update_key)
        return Answer(reply_text(reply, language), reply)


def _waiting(language: Language, checked: CheckedReport, names: list[str]) -> Answer:
    others = [p for p in checked.problems if p.code != PHOTO_MISSING and p.level is Level.ERROR]
    text = language.gettext(WAITING) % {"count": len(names), "names": ", ".join(names)}
    return Answer("\n".join([text, *_lines(language, others)]))


def _refused(language: Language, checked: CheckedReport) -> Answer:
    errors = [p for p in checked.problems if p.level is Level.ERROR]
    header = language.gettext(REFUSED) % {"name": checked.name, "count": len(errors)}
    return Answer("\n".join([header, *_lines(language, checked.problems)]))


def _lines(language: Language, problems: list[Problem]) -> list[str]:
    return [language.problem(problem.path, problem.text) for problem in problems]


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
