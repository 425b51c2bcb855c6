"""Photos kept beside the database, named by their SHA-256: the same photo sent twice is
stored once, and a stored photo can never be swapped for another under the same name."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "HEIF": ".heic"}


class MediaStore:
    def __init__(self, root: Path):
        self.root = root

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
