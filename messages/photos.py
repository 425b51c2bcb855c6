"""Finding photos at print and screen size: a notice travels by chat and e-mail, so it
carries scaled copies, never the camera originals."""

from __future__ import annotations

import base64
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from PIL import Image

from handlers.intake.photos import register_heif_opener
from handlers.views import View

PhotoFinder = Callable[[str], Path | None]  # sha256 -> the stored file (storage.media.MediaStore.find)
LONGEST_SIDE = 1000


def thumbnail(path: Path) -> Image.Image:
    register_heif_opener()
    with Image.open(path) as original:
        image = original.convert("RGB")
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    return image


def inline_photos(view: View, find_photo: PhotoFinder) -> dict[str, str]:
    """The notice's photos as data: URIs, so the HTML file stands alone."""
    uris = {}
    for item in view.items:
        for name in item.item.photos:
            path = find_photo(view.visit.photos[name])
            if path is not None:
                buffer = BytesIO()
                thumbnail(path).save(buffer, "JPEG", quality=80)
                uris[name] = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    return uris
