"""Finding photos at print and screen size: a notice travels by chat and e-mail, so it
carries scaled copies, never the camera originals."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Protocol

from handlers.intake.photos import register_heif_opener
from handlers.views import View

LONGEST_SIDE = 1000


class PhotoStore(Protocol):
    """Where photos and their thumbnails are kept, by SHA-256 (storage.media.MediaStore)."""

    def find(self, sha256: str) -> Path | None: ...

    def find_thumbnail(self, sha256: str) -> Path | None: ...

    def keep_thumbnail(self, sha256: str, jpeg: bytes) -> Path: ...


@dataclass(frozen=True)
class Thumbnail:
    """A photo at print and screen size, as the JPEG a PDF embeds as it is (no re-compression)."""

    jpeg: bytes
    width: int
    height: int


def thumbnail(path: Path) -> Thumbnail:
    """A JPEG photo is decoded straight at the scale nearest above the thumbnail's (libjpeg's DCT
    scaling: a quarter of a 12-megapixel photo's side), never at full size: a notice of 20 camera
    photos took seconds to decode, scale and compress into its PDF."""
    from PIL import Image  # here: the chat process never scales a photo (RSS, issue 17)

    register_heif_opener()
    with Image.open(path) as original:
        scale = min(1.0, LONGEST_SIDE / max(original.size))
        original.draft("RGB", (math.ceil(original.width * scale), math.ceil(original.height * scale)))
        image = original.convert("RGB")
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return Thumbnail(buffer.getvalue(), image.width, image.height)


def stored_thumbnail(photos: PhotoStore, sha256: str) -> Thumbnail | None:
    """The photo's thumbnail, made once and kept beside the photo: decoding a camera photo,
    even at a quarter of its side, was most of what a notice PDF of 20 photos cost each time
    it was drawn. None when the photo is not stored."""
    kept = photos.find_thumbnail(sha256)
    if kept is not None:
        try:
            jpeg = kept.read_bytes()
        except FileNotFoundError:  # dropped by another worker just now: made again below
            pass
        else:
            from PIL import Image  # here, as in `thumbnail`

            with Image.open(BytesIO(jpeg)) as image:  # reads the header only
                return Thumbnail(jpeg, image.width, image.height)
    path = photos.find(sha256)
    if path is None:
        return None
    made = thumbnail(path)
    photos.keep_thumbnail(sha256, made.jpeg)
    return made


def keep_thumbnails(photos: PhotoStore, sha256s: list[str]) -> None:
    """Makes the thumbnails of photos just accepted, in the CPU pool, while nobody waits on them:
    the first notice PDF, HTML or visit report that shows them then decodes no camera photo."""
    for sha256 in sha256s:
        stored_thumbnail(photos, sha256)


def inline_photos(view: View, photos: PhotoStore) -> dict[str, str]:
    """The notice's photos as data: URIs, so the HTML file stands alone."""
    uris = {}
    for item in view.items:
        for name in item.item.photos:
            shown = stored_thumbnail(photos, view.visit.photos[name])
            if shown is not None:
                uris[name] = "data:image/jpeg;base64," + base64.b64encode(shown.jpeg).decode()
    return uris
