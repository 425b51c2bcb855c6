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
from handlers.reports.photos import register_heif_opener
from handlers.results import Reply
from storage.media import MediaStore

MAX_BYTES = 10 * 1024 * 1024
ASK_FOR_PHOTOS = N_("Please reply to this message with photos of the corrected units (at least one).")
TAP_FIRST = N_("To report an instruction done, tap its “done, with photos” button on the notice first.")


def stored_photo(media: MediaStore, content: bytes) -> str | Reply:
    """The photo's SHA-256 once stored, or the refusal to answer (nothing stored then)."""
    if len(content) > MAX_BYTES:
        return Reply("photo_too_large", {"size": f"{len(content) / 1024 / 1024:.1f}"}, ok=False)
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


async def report_with_photo(app, actor: Actor, instruction_id: int, content: bytes, update_key: str) -> Reply:
    """Stores the photo and reports the instruction done with it (or adds it to the report)."""
    stored = stored_photo(app.media, content)
    if isinstance(stored, Reply):
        return stored
    return await app.bus.handle(report_done(instruction_id, (stored,)), actor, update_key=update_key)
