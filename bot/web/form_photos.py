"""A photo taken on the inspector's phone, into the draft: read with a cap (the server's own
limit on a posted body is for forms of a few fields), checked as a chat upload is (type, size,
a full decode, capture time against the visit date) in a worker process, kept in the media
folder by its SHA-256, and named in the finding's photos."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date
from pathlib import Path

from aiohttp import BodyPartReader, web

from handlers.intake.photos import PhotoLimits, format_size, inspect_photo
from handlers.intake.problems import errors
from handlers.model.drafts import VisitDraft
from handlers.visit_form import has_item, on_layout, with_photo
from bot.web.form_refusals import NOT_AN_ITEM, FormRefused
from handlers.translatable import N_, Text

LIMITS = PhotoLimits()
_CHUNK = 64 * 1024
_TOO_BIG = N_("the photo is larger than %(limit)s; send a smaller one")
_NOT_SENT = N_("choose a photo first")
_SUFFIX = {"JPEG": "jpg", "PNG": "png", "HEIF": "heic"}


async def receive_photo(app, draft: VisitDraft, request: web.Request, language, keep) -> str | None:
    """None once the photo is kept in the draft by `keep` (the form's one way to save); else why
    not, in `language`."""
    reader = await request.multipart()
    item, seen, folder = None, None, tempfile.TemporaryDirectory(prefix="form-photo-")
    with folder:
        received = None
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "item":
                item = (await part.text())[:40]
            elif part.name == "layout":
                seen = (await part.text())[:40]
            elif part.name == "photo" and part.filename is not None:
                received = Path(folder.name) / "photo"
                if not await _copy_capped(part, received):
                    return Text(_TOO_BIG, limit=format_size(LIMITS.max_bytes)).render(language)
        if item is None or not has_item(draft.report, item):
            raise FormRefused(400, Text(NOT_AN_ITEM, item=item or ""))
        if received is None or received.stat().st_size == 0:
            return Text(_NOT_SENT).render(language)
        visit_date = _visit_date(draft)
        photo, problems = await app.cpu.run(inspect_photo, Path(folder.name), "photo", item, visit_date, LIMITS)
        if photo is None:
            return errors(problems)[0].text.render(language)
        await asyncio.to_thread(app.media.put, photo.path, photo.sha256, photo.format)
        app.documents.prepare_photos([photo.sha256])
    name = f"{photo.sha256[:16]}.{_SUFFIX[photo.format]}"

    def kept(report):
        on_layout(report, seen, [item])
        return with_photo(report, item, name)
    await keep(draft, kept, {name: photo.sha256})
    return None


async def _copy_capped(part: BodyPartReader, target: Path) -> bool:
    """False once the photo passes the limit: nothing more of it is read."""
    written = 0
    with target.open("wb") as sink:
        while chunk := await part.read_chunk(_CHUNK):
            written += len(chunk)
            if written > LIMITS.max_bytes:
                return False
            sink.write(chunk)
    return True


def _visit_date(draft: VisitDraft) -> date | None:
    try:
        return date.fromisoformat(str(draft.report.get("visit", {}).get("date")))
    except ValueError:
        return None
