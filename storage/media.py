"""Photos kept beside the database, named by their SHA-256: the same photo sent twice is
stored once, and a stored photo can never be swapped for another under the same name."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "HEIF": ".heic"}
THUMBNAILS_KEPT = 2000  # of some 150 KB each: the cache never passes about 300 MB


class MediaStore:
    def __init__(self, root: Path, thumbnails_kept: int = THUMBNAILS_KEPT):
        self.root = root
        self.thumbnails_kept = thumbnails_kept

    def put(self, source: Path, sha256: str, image_format: str) -> Path:
        return self._keep(self.path_for(sha256, image_format), lambda partial: shutil.copyfile(source, partial))

    def put_bytes(self, content: bytes, sha256: str, image_format: str) -> Path:
        """An image made here rather than received (a link's QR code)."""
        return self._keep(self.path_for(sha256, image_format), lambda partial: partial.write_bytes(content))

    @staticmethod
    def _keep(target: Path, write: Callable[[Path], object]) -> Path:
        """Written beside its place under a name of its own and moved in whole: a name never
        shows half a file, and two uploads of the same photo at once (a double tap) each write
        their own part and the second move replaces like with like."""
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
            os.close(handle)
            partial = Path(name)
            try:
                write(partial)
                partial.chmod(0o644)  # as a plain copy would be: mkstemp makes it private
                partial.replace(target)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        return target

    def find(self, sha256: str) -> Path | None:
        """The stored photo with this hash, whatever its format, or None."""
        for suffix in _SUFFIX.values():
            path = self.root / sha256[:2] / f"{sha256}{suffix}"
            if path.exists():
                return path
        return None

    def path_for(self, sha256: str, image_format: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{_SUFFIX[image_format]}"

    def find_thumbnail(self, sha256: str) -> Path | None:
        """The print-size copy made of this photo before (messages/photos.py), or None. Kept in
        thumbnails/ beside the media folder, a cache: found, it counts as just used."""
        path = self._thumbnail_path(sha256)
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        return path

    def keep_thumbnail(self, sha256: str, jpeg: bytes) -> Path:
        """Keeps a photo's print-size copy, so no later document decodes the camera original
        again; beyond `thumbnails_kept`, the least recently used are dropped."""
        path = self._keep(self._thumbnail_path(sha256), lambda partial: partial.write_bytes(jpeg))
        kept = sorted(self._thumbnail_folder().glob("*/*.jpg"), key=_used_at)
        for old in kept[:max(0, len(kept) - self.thumbnails_kept)]:
            old.unlink(missing_ok=True)
        return path

    def _thumbnail_folder(self) -> Path:
        return self.root.parent / "thumbnails"

    def _thumbnail_path(self, sha256: str) -> Path:
        return self._thumbnail_folder() / sha256[:2] / f"{sha256}.jpg"


def _used_at(path: Path) -> float:
    """A thumbnail another worker dropped meanwhile counts as the oldest."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
