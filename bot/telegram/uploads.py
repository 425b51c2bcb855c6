"""An inspector sends a visit report: a .zip bundle, or the report file followed by its
photos as files. It is checked by the same rules as `followup visit check`, problems are
answered in the chat, and a complete, valid report is posted."""

from __future__ import annotations

import shutil
from pathlib import Path

from telegram import Document, Update
from telegram.ext import ContextTypes

from bot.app import App
from bot.directory import Directory
from bot.telegram.inbound import STRANGER, language_of
from bot.telegram.limits import split_message
from handlers.catalog import N_
from handlers.commands import Actor, PostVisit
from handlers.model import Person, Platform, Role
from handlers.reports.bundle import BUNDLE_SUFFIX, REPORT_SUFFIXES
from handlers.reports.problems import PHOTO_MISSING
from handlers.reports.reader import CheckedReport, read_report
from messages.i18n import Language
from messages.replies import reply_text

# The cloud Bot API lets bots download files of at most 20 MB (a self-hosted server: more).
DOWNLOAD_LIMIT = 20 * 1024 * 1024
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif")
REPORT_FILES = (*REPORT_SUFFIXES, BUNDLE_SUFFIX)

ONLY_INSPECTORS = N_("Only inspectors can send visit reports.")
NOT_A_REPORT = N_("Send the visit report as a .zip bundle, or as a .yaml or .json file followed by its photos.")
TOO_BIG = N_("%(name)s is %(size)s MB; Telegram lets bots download files up to 20 MB. "
             "Send the report file and the photos separately.")
REFUSED = N_("%(name)s was refused with %(count)s problem(s); nothing was stored:")
WAITING = N_("Report received. Waiting for %(count)s photo(s), sent as files (not as compressed photos): %(names)s")
NO_REPORT_YET = N_("Send the report file first, then its photos as files.")
AS_FILES = N_("Please send inspection photos as files (📎 → File), so their names and capture times are kept.")


class TelegramUploads:
    def __init__(self, app: App, directory: Directory, staging: Path, deliver):
        self.app = app
        self.directory = directory
        self.staging = staging
        self.deliver = deliver

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person, language = await self._inspector(update)
        if person is None:
            return
        document = update.effective_message.document
        name = Path(document.file_name or "upload").name
        if (document.file_size or 0) > DOWNLOAD_LIMIT:
            size = f"{document.file_size / 1024 / 1024:.1f}"
            await self._say(update, language.gettext(TOO_BIG) % {"name": name, "size": size})
            return
        suffix = Path(name).suffix.lower()
        folder = self.staging / str(update.effective_user.id)
        if suffix == BUNDLE_SUFFIX or suffix in REPORT_SUFFIXES:
            shutil.rmtree(folder, ignore_errors=True)  # a new report starts a new upload
        elif suffix not in PHOTO_SUFFIXES:
            await self._say(update, language.gettext(NOT_A_REPORT))
            return
        elif not folder.exists():
            await self._say(update, language.gettext(NO_REPORT_YET))
            return
        folder.mkdir(parents=True, exist_ok=True)
        await self._download(document, folder / name)
        await self._check(update, person, language, folder)

    async def on_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person, language = await self._inspector(update)
        if person is not None:
            await self._say(update, language.gettext(AS_FILES))

    async def _inspector(self, update: Update) -> tuple[Person | None, Language]:
        person = await self.directory.person(Platform.TELEGRAM, update.effective_user.id)
        language = language_of(person, update.effective_user.language_code)
        if person is None:
            await self._say(update, language.gettext(STRANGER))
            return None, language
        if person.role not in (Role.INSPECTOR, Role.ADMIN):
            await self._say(update, language.gettext(ONLY_INSPECTORS))
            return None, language
        return person, language

    async def _download(self, document: Document, target: Path) -> None:
        file = await document.get_file()
        await file.download_to_drive(target)

    async def _check(self, update: Update, person: Person, language: Language, folder: Path) -> None:
        report_path = next(p for p in sorted(folder.iterdir()) if p.suffix.lower() in REPORT_FILES)
        with read_report(report_path, self.app.settings.factories) as checked:
            missing = _missing_photos(checked)
            if missing and report_path.suffix.lower() != BUNDLE_SUFFIX:
                await self._wait_for_photos(update, language, checked, missing)
                return
            if not checked.ok:
                await self._refuse(update, language, checked)
                shutil.rmtree(folder, ignore_errors=True)
                return
            for photo in checked.photos.values():
                self.app.media.put(photo.path, photo.sha256, photo.format)
            photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        shutil.rmtree(folder, ignore_errors=True)
        reply = await self.app.bus.handle(
            PostVisit(checked.report, photos), Actor(person, Platform.TELEGRAM),
            update_key=f"telegram:{update.update_id}",
        )
        self.deliver()
        await self._say(update, reply_text(reply, language))

    async def _wait_for_photos(self, update, language: Language, checked: CheckedReport, names: list[str]) -> None:
        others = [p for p in checked.problems if p.code != PHOTO_MISSING and p.level == "error"]
        text = language.gettext(WAITING) % {"count": len(names), "names": ", ".join(names)}
        await self._say(update, "\n".join([text, *map(str, others)]))

    async def _refuse(self, update, language: Language, checked: CheckedReport) -> None:
        errors = [p for p in checked.problems if p.level == "error"]
        header = language.gettext(REFUSED) % {"name": checked.name, "count": len(errors)}
        await self._say(update, "\n".join([header, *map(str, checked.problems)]))

    async def _say(self, update: Update, text: str) -> None:
        for chunk in split_message(text):
            await update.effective_message.reply_text(chunk)


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
