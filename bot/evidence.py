"""Photos the factory sends as proof that an instruction is done, from any platform: checked
to be a real image within limits, stored by SHA-256 beside the visit photos, then reported
with `ReportDone`. Platform code only fetches the bytes."""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from bot.actions import report_done
from handlers.catalog import N_
from handlers.commands import Actor
from handlers.model import Platform
from handlers.reports.photos import register_heif_opener
from handlers.results import Reply
from messages.buttons import REPORT_DONE
from storage.media import MediaStore

MAX_BYTES = 10 * 1024 * 1024
ASK_FOR_PHOTOS = N_("Please reply to this message with photos of the corrected units (at least one).")
TAP_FIRST = N_("To report an instruction done, tap its “done, with photos” button on the notice first.")


def too_large(size: int) -> Reply | None:
    """The refusal for a photo of `size` bytes, before or after fetching it; None if it fits."""
    if size > MAX_BYTES:
        return Reply("photo_too_large", {"size": f"{size / 1024 / 1024:.1f}"}, ok=False)
    return None


def stored_photo(media: MediaStore, content: bytes) -> str | Reply:
    """The photo's SHA-256 once stored, or the refusal to answer (nothing stored then)."""
    if refused := too_large(len(content)):
        return refused
    register_heif_opener()
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return Reply("not_a_photo", {}, ok=False)
    if image_format not in ("JPEG", "PNG", "HEIF"):
        return Reply("not_a_photo", {}, ok=False)
    sha256 = hashlib.sha256(content).hexdigest()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "photo"
        source.write_bytes(content)
        media.put(source, sha256, image_format)
    return sha256


async def report_with_photo(app, actor: Actor, instruction_id: int, content: bytes,
                            update_key: str | None = None) -> Reply:
    """Stores the photo and reports the instruction done with it (or adds it to the report)."""
    stored = stored_photo(app.media, content)
    if isinstance(stored, Reply):
        return stored
    return await app.bus.handle(report_done(instruction_id, (stored,)), actor, update_key=update_key)


async def instruction_awaiting_photos(app, platform: Platform, chat: str, user: str, prompt: str,
                                      keep_as: str | None = None) -> int | None:
    """The instruction a photo answering the bot's `prompt` is for, or None. The question then
    stays open under `keep_as` (an album, a thread) for the photos that follow; a question
    that asked for words stays open as it was."""
    async with app.store.unit_of_work() as uow:
        found = await uow.pending.take(platform, chat, user, prompt)
        if found is None:
            return None
        action, target = found
        now = app.bus.clock.now()
        if action != REPORT_DONE:
            await uow.pending.expect(platform, chat, user, prompt, action, target, now)
            await uow.commit()
            return None
        if keep_as is not None:
            await uow.pending.expect(platform, chat, user, keep_as, action, target, now)
        await uow.commit()
    return target
