"""inspect_photo: every fixture is generated in the test, so each case shows what it feeds in."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image

from handlers.intake.photos import Photo, PhotoLimits, format_size, inspect_photo
from handlers.intake.problems import PHOTO_MISSING, Level
from tests.conftest import Said, said

FIELD = "findings.0.photos.1"
VISIT = date(2026, 11, 24)
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
DATETIME = 0x0132


def _noise(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Random pixels, so a JPEG has real entropy-coded data to cut short."""
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def _exif(original: str | None = None, plain: str | None = None) -> Image.Exif:
    exif = Image.Exif()
    if original is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = original
    if plain is not None:
        exif[DATETIME] = plain
    return exif


def _write_jpeg(path: Path, original: str | None = None, plain: str | None = None) -> Path:
    """A JPEG whose EXIF times are checked to round-trip, so tests rely on what Pillow wrote."""
    _noise().save(path, "JPEG", exif=_exif(original, plain))
    with Image.open(path) as written:
        exif = written.getexif()
        assert exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) == original
        assert exif.get(DATETIME) == plain
    return path


def _write_png(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("1", size).save(path, "PNG")
    return path


def _with_declared_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite the IHDR so the header claims a size the (tiny) data never had: a bomb's shape."""
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def _inspect(
    base: Path, name: str, visit_date: date | None = VISIT, limits: PhotoLimits = PhotoLimits()
) -> tuple[Photo | None, list[Said]]:
    photo, problems = inspect_photo(base, name, FIELD, visit_date, limits)
    return photo, said(problems)


def test_jpeg_taken_on_visit_day_is_described_without_problems(tmp_path: Path) -> None:
    path = _write_jpeg(tmp_path / "line3.jpg", original="2026:11:24 10:15:00")

    photo, problems = _inspect(tmp_path, "line3.jpg")

    assert problems == []
    assert photo == Photo(
        name="line3.jpg",
        path=path.resolve(),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        format="JPEG",
        width=64,
        height=48,
        size_bytes=path.stat().st_size,
        captured_at=datetime(2026, 11, 24, 10, 15),
    )


def test_photo_in_a_subfolder_is_found_by_its_relative_name(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    _write_jpeg(tmp_path / "photos" / "a.jpg", original="2026:11:24 08:00:00")

    photo, problems = _inspect(tmp_path, "photos/a.jpg")

    assert problems == []
    assert photo is not None and photo.name == "photos/a.jpg"


def test_capture_date_other_than_visit_date_is_a_warning(tmp_path: Path) -> None:
    _write_jpeg(tmp_path / "a.jpg", original="2026:11:20 16:40:00")

    photo, problems = _inspect(tmp_path, "a.jpg")

    assert photo is not None
    assert problems == [
        Said(FIELD, "taken on 2026-11-20, not on the visit date 2026-11-24", Level.WARNING)
    ]


def test_datetime_is_the_fallback_when_datetime_original_is_missing(tmp_path: Path) -> None:
    _write_jpeg(tmp_path / "a.jpg", plain="2026:11:24 07:05:09")

    photo, problems = _inspect(tmp_path, "a.jpg")

    assert problems == []
    assert photo is not None and photo.captured_at == datetime(2026, 11, 24, 7, 5, 9)


def test_datetime_original_wins_over_datetime(tmp_path: Path) -> None:
    _write_jpeg(tmp_path / "a.jpg", original="2026:11:24 07:00:00", plain="2026:12:01 09:00:00")

    photo, _ = _inspect(tmp_path, "a.jpg")

    assert photo is not None and photo.captured_at == datetime(2026, 11, 24, 7, 0)


@pytest.mark.parametrize("original", [None, "0000:00:00 00:00:00"])
def test_jpeg_without_capture_time_is_a_warning(tmp_path: Path, original: str | None) -> None:
    _write_jpeg(tmp_path / "a.jpg", original=original)

    photo, problems = _inspect(tmp_path, "a.jpg")

    assert photo is not None and photo.captured_at is None
    assert problems == [
        Said(
            FIELD,
            "no capture time in EXIF; cannot confirm it was taken on the visit",
            Level.WARNING,
        )
    ]


def test_date_checks_are_skipped_without_a_visit_date(tmp_path: Path) -> None:
    _write_jpeg(tmp_path / "old.jpg", original="2020:01:01 00:00:00")
    _write_jpeg(tmp_path / "none.jpg")

    assert _inspect(tmp_path, "old.jpg", visit_date=None)[1] == []
    assert _inspect(tmp_path, "none.jpg", visit_date=None)[1] == []


def test_png_without_exif_is_accepted_silently(tmp_path: Path) -> None:
    _write_png(tmp_path / "screen.png")

    photo, problems = _inspect(tmp_path, "screen.png")

    assert problems == []
    assert photo is not None
    assert (photo.format, photo.width, photo.height, photo.captured_at) == ("PNG", 64, 48, None)


def test_format_comes_from_the_content_not_the_extension(tmp_path: Path) -> None:
    _write_png(tmp_path / "really-a-png.jpg")

    photo, problems = _inspect(tmp_path, "really-a-png.jpg")

    assert problems == []
    assert photo is not None and photo.format == "PNG"


def test_multi_picture_jpeg_from_a_phone_is_a_jpeg(tmp_path: Path) -> None:
    """Pillow calls these "MPO"; to Telegram and to people they are JPEGs."""
    path = tmp_path / "portrait.jpg"
    _noise().save(path, "MPO", save_all=True, append_images=[_noise()])
    with Image.open(path) as written:
        assert written.format == "MPO"

    photo, problems = _inspect(tmp_path, "portrait.jpg", visit_date=None)

    assert problems == []
    assert photo is not None and photo.format == "JPEG"


def test_heic_is_read_with_its_exif(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("libheif here has no HEVC encoder, so no HEIC fixture can be written")
    pillow_heif.register_heif_opener()  # only the writer needs it; inspect_photo registers its own
    _noise().save(tmp_path / "a.heic", "HEIF", exif=_exif("2026:11:24 11:30:00"))

    photo, problems = _inspect(tmp_path, "a.heic")

    assert problems == []
    assert photo is not None
    assert (photo.format, photo.width, photo.height) == ("HEIF", 64, 48)
    assert photo.captured_at == datetime(2026, 11, 24, 11, 30)


@pytest.mark.parametrize(
    "content",
    [b"these are my notes, not a photo\n", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"],
    ids=["text", "gif"],
)
def test_content_other_than_jpeg_png_heic_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "a.jpg").write_bytes(content)

    photo, problems = _inspect(tmp_path, "a.jpg")

    assert photo is None
    assert problems == [Said(FIELD, "not an image: file content is not JPEG, PNG or HEIC")]


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    _noise((200, 200)).save(buffer, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    photo, problems = _inspect(tmp_path, "cut.jpg")

    assert photo is None
    assert [p.path for p in problems] == [FIELD]
    assert "image is truncated or corrupt" in problems[0].message


def test_a_motion_photo_whose_video_holds_jpeg_markers_is_a_whole_jpeg(tmp_path: Path) -> None:
    """A Pixel or Galaxy motion photo: the picture, then its video, whose bytes may hold FF D9
    and FF DA in any order; the picture is whole and is taken."""
    buffer = io.BytesIO()
    _noise((200, 200)).save(buffer, "JPEG")
    video = b"\x00\x00\x00\x18ftypmp42" + b"\xff\xd9" + os.urandom(64) + b"\xff\xda" + os.urandom(64)
    (tmp_path / "motion.jpg").write_bytes(buffer.getvalue() + video)

    photo, problems = _inspect(tmp_path, "motion.jpg")

    assert photo is not None and photo.format == "JPEG"
    assert not [p for p in problems if "corrupt" in p.message]


def test_decompression_bomb_is_refused_and_pillow_guard_is_untouched(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    png = _write_png(tmp_path / "small.png").read_bytes()
    (tmp_path / "bomb.png").write_bytes(_with_declared_size(png, 20_000, 20_000))
    guard = Image.MAX_IMAGE_PIXELS

    photo, problems = _inspect(tmp_path, "bomb.png")

    assert photo is None
    assert [p.path for p in problems] == [FIELD]
    assert "image is too large to decode safely" in problems[0].message
    assert Image.MAX_IMAGE_PIXELS == guard


def test_pillow_bomb_warning_counts_as_an_error(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    """Between Pillow's limit and twice it Pillow only warns; a warning must not let it through."""
    png = _write_png(tmp_path / "small.png").read_bytes()
    (tmp_path / "big.png").write_bytes(_with_declared_size(png, 10_000, 10_000))

    photo, problems = _inspect(tmp_path, "big.png", limits=PhotoLimits(max_pixels=10**9))

    assert photo is None
    assert [p.path for p in problems] == [FIELD]
    assert "image is too large to decode safely" in problems[0].message
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_pixel_limit_is_checked_from_the_header_with_the_side_warning(tmp_path: Path) -> None:
    """The pixels were never decoded (the data is a 64×48 image): only the header was judged."""
    png = _write_png(tmp_path / "small.png").read_bytes()
    (tmp_path / "wide.png").write_bytes(_with_declared_size(png, 8_000, 6_000))

    photo, problems = _inspect(tmp_path, "wide.png")

    assert photo is None
    assert problems == [
        Said(FIELD, "image is 8000×6000 = 48,000,000 pixels; the limit is 40,000,000 pixels"),
        Said(
            FIELD,
            "image is 8000×6000: width + height is 14,000, over Telegram's 10,000; "
            "it must be downscaled to be sent as a photo",
            Level.WARNING,
        ),
    ]


def test_width_plus_height_over_telegram_limit_is_only_a_warning(tmp_path: Path) -> None:
    _write_png(tmp_path / "a.png")

    photo, problems = _inspect(tmp_path, "a.png", limits=PhotoLimits(max_side_sum=100))

    assert photo is not None
    assert [(p.path, p.level) for p in problems] == [(FIELD, Level.WARNING)]
    assert "width + height is 112, over Telegram's 100" in problems[0].message


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (int(12.4 * 1024 * 1024), "photo is 12.4 MB; the limit is 10 MB"),
        (10 * 1024 * 1024 + 1, "photo is 10,485,761 bytes; the limit is 10,485,760 bytes"),
    ],
)
def test_oversized_file_is_refused_before_decoding(tmp_path: Path, size: int, message: str) -> None:
    """Zeros are not an image, yet only the size is reported: the decoder never saw the file."""
    with (tmp_path / "huge.jpg").open("wb") as fp:
        fp.truncate(size)

    assert _inspect(tmp_path, "huge.jpg") == (None, [Said(FIELD, message)])


def test_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").touch()

    assert _inspect(tmp_path, "a.jpg") == (None, [Said(FIELD, "'a.jpg' is empty")])


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert _inspect(tmp_path, "photos/nope.jpg") == (
        None,
        [Said(FIELD, "photo file 'photos/nope.jpg' not found next to the report", code=PHOTO_MISSING)],
    )


def test_directory_is_not_a_photo(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()

    expected = (None, [Said(FIELD, "'photos' is not a regular file")])
    assert _inspect(tmp_path, "photos") == expected


@pytest.mark.parametrize("name", ["/etc/passwd", "C:\\photos\\a.jpg"])
def test_absolute_name_is_refused(tmp_path: Path, name: str) -> None:
    photo, problems = _inspect(tmp_path, name)

    assert photo is None
    assert [p.path for p in problems] == [FIELD]
    assert "is an absolute path" in problems[0].message


def test_dotdot_out_of_the_report_folder_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "report"
    base.mkdir()
    _write_jpeg(tmp_path / "outside.jpg")

    assert _inspect(base, "../outside.jpg") == (
        None,
        [Said(FIELD, "'../outside.jpg' points outside the report's folder")],
    )


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "report"
    base.mkdir()
    _write_jpeg(tmp_path / "secret.jpg")
    (base / "a.jpg").symlink_to(tmp_path / "secret.jpg")

    assert _inspect(base, "a.jpg") == (
        None,
        [Said(FIELD, "'a.jpg' points outside the report's folder")],
    )


def test_symlink_inside_the_folder_is_followed(tmp_path: Path) -> None:
    target = _write_jpeg(tmp_path / "real.jpg", original="2026:11:24 09:00:00")
    (tmp_path / "alias.jpg").symlink_to(target)

    photo, problems = _inspect(tmp_path, "alias.jpg")

    assert problems == []
    assert photo is not None and (photo.name, photo.path) == ("alias.jpg", target.resolve())


def test_unreadable_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening is refused as the OS would for a chmod 000 file (which root could still read)."""
    _write_jpeg(tmp_path / "a.jpg")

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)

    assert _inspect(tmp_path, "a.jpg") == (
        None,
        [Said(FIELD, "cannot read 'a.jpg': permission denied")],
    )


@pytest.mark.parametrize(
    ("size", "shown"),
    [(512, "512 bytes"), (1536, "1.5 KB"), (10 * 1024 * 1024, "10 MB"), (13002342, "12.4 MB")],
)
def test_format_size(size: int, shown: str) -> None:
    assert str(format_size(size)) == shown
