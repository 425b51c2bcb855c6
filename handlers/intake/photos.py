"""Photos referenced by a visit report: found safely, checked against Telegram's limits, described.

A report names its photos by paths relative to the report's folder. Those names come from an
inspector's upload, so they are untrusted: a name may try to leave the folder, point at a
device, or at a file that only pretends to be an image. `inspect_photo` refuses all of that
before any pixel is decoded, then makes sure the image is whole, so that a truncated upload is
caught here rather than when the bot sends it to a chat. A JPEG (nearly every camera photo) is
whole when its end-of-image marker follows its last scan: that reads no pixel, where decoding
40 camera photos took seconds of a `visit post` that nobody looked at. Other formats are
decoded in full.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, BinaryIO

from handlers.intake.problems import PHOTO_MISSING, Level, Problem, errors
from handlers.translatable import N_, Text

if TYPE_CHECKING:
    from PIL import Image

# Pillow's names for the formats Telegram shows as photos; phones' multi-picture JPEGs open as
# "MPO" but are ordinary JPEGs to everyone else. HEIF is tried last, and only then taught to
# Pillow (register_heif_opener): most reports hold JPEGs alone.
_PILLOW_FORMATS = ("JPEG", "PNG")
_HEIF_FORMATS = ("HEIF",)
_FORMAT_ALIASES = {"MPO": "JPEG"}
# Screenshots and exports carry no camera clock, so only these can be expected to have one.
_CAMERA_FORMATS = frozenset({"JPEG", "HEIF"})

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132
_EXIF_TIME_FORMAT = "%Y:%m:%d %H:%M:%S"

# A report's photos are inspected side by side (handlers/intake/side_by_side.py), but the
# warnings filter that makes Pillow's bomb warning an error is the process's, not a thread's: one
# photo at a time is decoded, the hashing (most of the time) still shared between the cores.
_DECODING = threading.Lock()

# What Pillow and its plugins raise on malformed input; untrusted files can trigger any of them.
_DECODE_ERRORS = (OSError, ValueError, EOFError, SyntaxError, RuntimeError)

_KB = 1024
_MB = 1024 * 1024


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 10 * _MB  # Telegram's photo limit
    max_pixels: int = 40_000_000  # beyond this Pillow's decompression-bomb guard is our limit too
    max_side_sum: int = 10_000  # Telegram: width + height <= 10,000; warning only (downscalable)
    max_per_report: int = 300  # distinct photo names; a thorough visit report has a few dozen


@dataclass(frozen=True)
class Photo:
    name: str  # the name as written in the report (relative path)
    path: Path  # resolved file
    sha256: str  # hex of the file bytes
    format: str  # "JPEG" | "PNG" | "HEIF"
    width: int
    height: int
    size_bytes: int
    captured_at: datetime | None  # EXIF DateTimeOriginal (else DateTime), camera's naive local time


@dataclass(frozen=True)
class _Decoded:
    format: str
    width: int
    height: int
    captured_at: datetime | None


_BYTES = N_("%(size)s bytes")


def format_size(size: int) -> Text:
    """Human size in binary units, labelled the way people say them ("12.4 MB")."""
    if size < _KB:
        return Text(_BYTES, size=size)
    unit, name = (_MB, "MB") if size >= _MB else (_KB, "KB")
    return Text.verbatim(f"{size / unit:.1f}".removesuffix(".0") + f" {name}")


def size_over_limit(message: str, size: int, limit: int) -> Text:
    """`message` ("photo is %(size)s; the limit is %(limit)s") with both sizes, in bytes when
    rounding would hide the excess."""
    shown, shown_limit = format_size(size), format_size(limit)
    if str(shown) == str(shown_limit):
        shown, shown_limit = Text(_BYTES, size=f"{size:,}"), Text(_BYTES, size=f"{limit:,}")
    return Text(message, size=shown, limit=shown_limit)


@cache
def register_heif_opener() -> None:
    """Teach Pillow HEIC once, on first use, so importing this module changes no global state
    and a process that reads no photo (the bot's own, which leaves photos to its workers) does
    not hold libheif (6 MB)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def inspect_photo(
    base_dir: Path,
    name: str,
    field: str,
    visit_date: date | None,
    limits: PhotoLimits = PhotoLimits(),
) -> tuple[Photo | None, list[Problem]]:
    """Check the photo `name` (relative to `base_dir`) that the report references at `field`.

    Returns the photo when it has no ERROR, with any warnings; every problem's path is `field`.
    """
    path, problems = locate_photo(base_dir, name, field)
    if path is None:
        return None, problems
    return inspect_located(path, name, field, visit_date, limits)


def inspect_located(
    path: Path, name: str, field: str, visit_date: date | None, limits: PhotoLimits = PhotoLimits()
) -> tuple[Photo | None, list[Problem]]:
    """Check the file `locate_photo` found for `name`: size, format, pixels, a full decode."""
    fp, problems = _open_for_reading(path, name, field)
    if fp is None:
        return None, problems
    with fp:
        return _inspect_file(fp, name, path, field, visit_date, limits)


def locate_photo(base_dir: Path, name: str, field: str) -> tuple[Path | None, list[Problem]]:
    """Resolve `name` inside `base_dir`, following symlinks, so nothing outside it can be read."""
    if not name.strip():
        return None, [Problem(field, Text(N_("photo name is empty")))]
    if Path(name).is_absolute() or PureWindowsPath(name).anchor:
        message = N_("'%(name)s' is an absolute path; give the path relative to the report")
        return None, [Problem(field, Text(message, name=name))]
    root = base_dir.resolve()
    try:
        path = (root / name).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # symlink loops, NUL bytes
        return None, [Problem(field, Text(N_("cannot resolve '%(name)s': %(error)s"), name=name, error=str(exc)))]
    if not path.is_relative_to(root):
        return None, [Problem(field, Text(N_("'%(name)s' points outside the report's folder"), name=name))]
    if not path.exists():
        message = N_("photo file '%(name)s' not found next to the report")
        return None, [Problem(field, Text(message, name=name), code=PHOTO_MISSING)]
    if not path.is_file():
        return None, [Problem(field, Text(N_("'%(name)s' is not a regular file"), name=name))]
    return path, []


def _open_for_reading(path: Path, name: str, field: str) -> tuple[BinaryIO | None, list[Problem]]:
    """Open once and work on that handle, so the file checked is the file decoded and hashed."""
    try:
        return path.open("rb"), []
    except PermissionError:
        return None, [Problem(field, Text(N_("cannot read '%(name)s': permission denied"), name=name))]
    except OSError as exc:
        message = N_("cannot read '%(name)s': %(error)s")
        return None, [Problem(field, Text(message, name=name, error=str(exc.strerror or exc)))]


def _inspect_file(
    fp: BinaryIO,
    name: str,
    path: Path,
    field: str,
    visit_date: date | None,
    limits: PhotoLimits,
) -> tuple[Photo | None, list[Problem]]:
    """Size first (cheap, and refuses huge files before any decoder sees them), then decode."""
    size = os.fstat(fp.fileno()).st_size
    if size == 0:
        return None, [Problem(field, Text(N_("'%(name)s' is empty"), name=name))]
    if size > limits.max_bytes:
        message = N_("photo is %(size)s; the limit is %(limit)s")
        return None, [Problem(field, size_over_limit(message, size, limits.max_bytes))]
    decoded, problems = _decode(fp, field, limits)
    if decoded is None:
        return None, problems
    problems += _capture_date_problems(decoded, visit_date, field)
    photo = Photo(
        name=name,
        path=path,
        sha256=_sha256(fp),
        format=decoded.format,
        width=decoded.width,
        height=decoded.height,
        size_bytes=size,
        captured_at=decoded.captured_at,
    )
    return photo, problems


def _sha256(fp: BinaryIO) -> str:
    """The file's SHA-256 in one call over its mapped pages, so hashlib releases the GIL once
    per photo. Read in 256 KB chunks (hashlib.file_digest), a photo took the GIL back some
    thirty times, each time waiting behind the command's imports on the main thread."""
    with mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as content:
        return hashlib.sha256(content).hexdigest()


def _decode(fp: BinaryIO, field: str, limits: PhotoLimits) -> tuple[_Decoded | None, list[Problem]]:
    """Identify the real format from the content, check dimensions from the header, then decode.

    Pillow's own bomb guard stays on; its warning (between its one and two times limit) is made
    an error here without touching `Image.MAX_IMAGE_PIXELS`, which other code may rely on.
    """
    with _DECODING:
        return _decode_alone(fp, field, limits)


def _decode_alone(fp: BinaryIO, field: str, limits: PhotoLimits) -> tuple[_Decoded | None, list[Problem]]:
    from PIL import Image, UnidentifiedImageError  # here: the chat process never decodes a photo (RSS, issue 17)

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = _open_image(fp)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            message = N_("image is too large to decode safely: %(error)s")
            return None, [Problem(field, Text(message, error=str(exc)))]
        except UnidentifiedImageError:
            return None, [Problem(field, Text(N_("not an image: file content is not JPEG, PNG or HEIC")))]
        except _DECODE_ERRORS as exc:
            return None, [Problem(field, Text(N_("image is corrupt: %(error)s"), error=str(exc)))]
    with img:
        width, height = img.size
        problems = _dimension_problems(width, height, field, limits)
        if errors(problems):
            return None, problems
        image_format = _FORMAT_ALIASES.get(img.format or "", img.format or "")
        try:
            if image_format != "JPEG" or not _jpeg_looks_whole(fp):
                img.load()  # decoded in full: the only proof for other formats, the judge for a doubtful JPEG
        except _DECODE_ERRORS as exc:
            message = N_("image is truncated or corrupt: %(error)s")
            return None, problems + [Problem(field, Text(message, error=str(exc)))]
        return _Decoded(image_format, width, height, _capture_time(img)), problems


def _open_image(fp: BinaryIO) -> Image.Image:
    """The image as Pillow opens it (header only); HEIF support is loaded (libheif, some 20 ms
    of a `visit post`) only for a file that is neither JPEG nor PNG."""
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(fp, formats=_PILLOW_FORMATS)
    except UnidentifiedImageError:
        register_heif_opener()
        fp.seek(0)
        return Image.open(fp, formats=_HEIF_FORMATS)


def _jpeg_looks_whole(fp: BinaryIO) -> bool:
    """Whether the last end-of-image marker (FF D9) follows the first start-of-scan (FF DA) with
    no scan after it, which saves decoding a camera's photo in full. Inside a scan every FF byte is followed by 00 or a restart
    marker, so neither marker appears there by chance: a file cut short ends in a scan, and its
    last FF D9, if any, is its EXIF thumbnail's, before the photo's first scan. Only the head and
    the tail of the file are read. Not so (False) for a file cut short, and also for one with
    data after its image (a phone's motion photo carries its video there, whose bytes may hold
    either marker): those are decoded in full, which tells the two apart."""
    with mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as content:
        end = content.rfind(b"\xff\xd9")
        scan = content.find(b"\xff\xda")
        return scan >= 0 and end > scan and content.find(b"\xff\xda", end) < 0


def _dimension_problems(width: int, height: int, field: str, limits: PhotoLimits) -> list[Problem]:
    """Pixel count is a hard limit (memory); width + height only means a downscale for Telegram."""
    problems = []
    if width * height > limits.max_pixels:
        message = N_("image is %(width)s×%(height)s = %(pixels)s pixels; the limit is %(limit)s pixels")
        text = Text(message, width=width, height=height, pixels=f"{width * height:,}", limit=f"{limits.max_pixels:,}")
        problems.append(Problem(field, text))
    if width + height > limits.max_side_sum:
        message = N_("image is %(width)s×%(height)s: width + height is %(sum)s, over Telegram's %(limit)s; "
                     "it must be downscaled to be sent as a photo")
        text = Text(message, width=width, height=height, sum=f"{width + height:,}", limit=f"{limits.max_side_sum:,}")
        problems.append(Problem(field, text, Level.WARNING))
    return problems


def _capture_time(img: Image.Image) -> datetime | None:
    """When the camera says the photo was taken: DateTimeOriginal, else the file's DateTime."""
    try:
        exif = img.getexif()
        candidates = (exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL), exif.get(_DATETIME))
    except _DECODE_ERRORS:  # broken EXIF is no capture time, not a broken photo
        return None
    return next((t for t in map(_parse_exif_time, candidates) if t is not None), None)


def _parse_exif_time(value: object) -> datetime | None:
    """EXIF's "YYYY:MM:DD HH:MM:SS"; an unset camera clock writes zeros, which count as none."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip("\x00 "), _EXIF_TIME_FORMAT)
    except ValueError:
        return None


def _capture_date_problems(decoded: _Decoded, visit_date: date | None, field: str) -> list[Problem]:
    """Warn when the camera clock disagrees with the visit date, or a camera photo has no clock."""
    if visit_date is None:
        return []
    if decoded.captured_at is None:
        if decoded.format not in _CAMERA_FORMATS:
            return []
        message = N_("no capture time in EXIF; cannot confirm it was taken on the visit")
        return [Problem(field, Text(message), Level.WARNING)]
    taken = decoded.captured_at.date()
    if taken == visit_date:
        return []
    message = N_("taken on %(taken)s, not on the visit date %(visit_date)s")
    return [Problem(field, Text(message, taken=taken.isoformat(), visit_date=visit_date.isoformat()), Level.WARNING)]
