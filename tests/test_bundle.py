"""open_report_source: plain report files and .zip bundles, every bundle built here in the test."""

from __future__ import annotations

import io
import os
import stat
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.intake.bundle import BundleLimits, ReportSource, open_report_source
from handlers.intake.photos import format_size
from tests.conftest import Said, said

REPORT = b"visit_date: 2026-11-24\nfindings: []\n"
PHOTO = os.urandom(2048)  # incompressible, like a real JPEG


@pytest.fixture(autouse=True)
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Send extraction folders somewhere the test can see, to prove they are removed."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    yield root


def _zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    """Entries are written as named, unsanitised, so hostile names reach the reader intact."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def _symlink_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix, where the mode bits live in external_attr
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _patch_central_directory(data: bytes, name: bytes, offset: int, value: int) -> bytes:
    """Overwrite a 2- or 4-byte field of `name`'s central directory record (what readers trust)."""
    record = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
    size = 2 if offset == 8 else 4
    packed = struct.pack("<H" if size == 2 else "<I", value)
    return data[: record + offset] + packed + data[record + offset + size :]


def _read(
    path: Path, limits: BundleLimits = BundleLimits()
) -> tuple[ReportSource | None, list[Said]]:
    """The result, used after the context closed: only for cases that yield no source."""
    with open_report_source(path, limits) as (source, problems):
        return source, said(problems)


# Plain report files


@pytest.mark.parametrize("name", ["visit.yaml", "visit.yml", "visit.json", "VISIT.YAML"])
def test_plain_report_file_is_read_in_place(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(REPORT)

    with open_report_source(path) as (source, problems):
        assert problems == []
        assert source == ReportSource(report_path=path, base_dir=tmp_path)


def test_other_extension_is_refused_naming_the_accepted_ones(tmp_path: Path) -> None:
    path = tmp_path / "visit.txt"
    path.write_bytes(REPORT)

    assert _read(path) == (
        None,
        [
            Said(
                "visit.txt",
                "unsupported file '.txt'; send a .yaml, .yml or .json report, or a .zip bundle",
            )
        ],
    )


def test_missing_report_is_refused(tmp_path: Path) -> None:
    assert _read(tmp_path / "visit.yaml") == (None, [Said("visit.yaml", "file not found")])


def test_empty_report_is_refused(tmp_path: Path) -> None:
    (tmp_path / "visit.yaml").touch()

    assert _read(tmp_path / "visit.yaml") == (None, [Said("visit.yaml", "report file is empty")])


def test_report_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    (tmp_path / "visit.json").write_bytes(b" " * 1536)

    assert _read(tmp_path / "visit.json", BundleLimits(max_report_bytes=1024)) == (
        None,
        [Said("visit.json", "report is 1.5 KB; the limit is 1 KB")],
    )


def test_unreadable_report_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening is refused as the OS would for a chmod 000 file (which root could still read)."""
    (tmp_path / "visit.yaml").write_bytes(REPORT)

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)

    assert _read(tmp_path / "visit.yaml") == (
        None,
        [Said("visit.yaml", "cannot read the file: permission denied")],
    )


# Bundles that are accepted


def test_bundle_with_report_at_top_level_is_extracted_then_removed(
    tmp_path: Path, temp_root: Path
) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), ("photos/a.jpg", PHOTO)])

    with open_report_source(bundle) as (source, problems):
        assert problems == []
        assert source is not None
        assert source.report_path == source.base_dir / "report.yaml"
        assert source.report_path.read_bytes() == REPORT
        assert (source.base_dir / "photos" / "a.jpg").read_bytes() == PHOTO
        assert source.base_dir.parent == temp_root.resolve()

    assert not source.base_dir.exists()
    assert list(temp_root.iterdir()) == []


def test_report_inside_a_single_top_level_folder_is_accepted(tmp_path: Path) -> None:
    """Zipping a folder in Finder: one folder, plus macOS metadata that must be ignored."""
    bundle = _zip(
        tmp_path / "visit.zip",
        [
            ("visit/report.yml", REPORT),
            ("visit/photos/a.jpg", PHOTO),
            ("visit/.DS_Store", b"\0\0\0\1Bud1"),
            ("__MACOSX/visit/._report.yml", b"\0\5\26\7"),
        ],
    )

    with open_report_source(bundle) as (source, problems):
        assert problems == []
        assert source is not None
        assert source.base_dir.name == "visit"
        assert source.report_path == source.base_dir / "report.yml"
        assert (source.base_dir / "photos" / "a.jpg").exists()
        assert not (source.base_dir / ".DS_Store").exists()
        assert not (source.base_dir.parent / "__MACOSX").exists()


def test_folder_is_removed_even_when_the_caller_fails(tmp_path: Path, temp_root: Path) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("report.json", b"{}")])

    with pytest.raises(RuntimeError, match="parse failed"):
        with open_report_source(bundle) as (source, _):
            assert source is not None and source.report_path.exists()
            raise RuntimeError("parse failed")

    assert list(temp_root.iterdir()) == []


# Bundles refused as a whole


def test_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    (tmp_path / "visit.zip").write_bytes(b"visit_date: 2026-11-24\n")

    assert _read(tmp_path / "visit.zip") == (None, [Said("visit.zip", "not a zip archive")])


def test_bundle_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), ("a.jpg", PHOTO)])

    size = format_size(bundle.stat().st_size)

    assert _read(bundle, BundleLimits(max_zip_bytes=1024)) == (
        None,
        [Said("visit.zip", f"bundle is {size}; the limit is 1 KB")],
    )


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    entries = [("report.yaml", REPORT)] + [(f"photos/{i}.jpg", PHOTO) for i in range(4)]
    bundle = _zip(tmp_path / "visit.zip", entries)

    assert _read(bundle, BundleLimits(max_entries=3)) == (
        None,
        [Said("visit.zip", "bundle has 5 entries; the limit is 3")],
    )


def test_two_report_files_are_refused_listing_both(tmp_path: Path) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("b.json", b"{}"), ("a.yaml", REPORT), ("a.jpg", PHOTO)])

    assert _read(bundle) == (
        None,
        [Said("visit.zip", "2 report files found, expected exactly one: a.yaml, b.json")],
    )


def test_bundle_without_report_is_refused_listing_what_it_holds(tmp_path: Path) -> None:
    bundle = _zip(
        tmp_path / "visit.zip",
        [("notes.txt", b"hi"), ("photos/a.jpg", PHOTO), ("photos/deep/report.yaml", REPORT)],
    )

    assert _read(bundle) == (
        None,
        [
            Said(
                "visit.zip",
                "no report file (.yaml, .yml or .json) at the top of the bundle; "
                "found: notes.txt, photos/",
            )
        ],
    )


def test_total_uncompressed_size_over_the_limit_is_refused(tmp_path: Path) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), ("a.jpg", PHOTO)])

    total = len(REPORT) + len(PHOTO)

    assert _read(bundle, BundleLimits(max_total_bytes=2048)) == (
        None,
        [
            Said(
                "visit.zip",
                f"bundle content is {total:,} bytes; the limit is 2,048 bytes (uncompressed)",
            )
        ],
    )


# Bundles refused for their entries


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "'..' component"),
        ("photos/../../evil.txt", "'..' component"),
        ("..\\evil.txt", "'..' component"),
        ("/tmp/evil.txt", "absolute path"),
        ("\\evil.txt", "absolute path"),
        ("C:/evil.txt", "drive letter"),
    ],
)
def test_entry_escaping_the_bundle_folder_is_refused(
    tmp_path: Path, temp_root: Path, name: str, reason: str
) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), (name, b"pwned")])

    assert _read(bundle) == (
        None,
        [Said(f"bundle:{name}", f"zip entry escapes the bundle folder ({reason})")],
    )
    assert list(temp_root.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    link = _symlink_entry("a.jpg")
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), (link, b"/etc/passwd")])

    assert _read(bundle) == (
        None,
        [Said("bundle:a.jpg", "zip entry is a symbolic link; links are not accepted")],
    )


def test_encrypted_entry_is_refused(tmp_path: Path) -> None:
    """Python cannot write encrypted zips, so the 'encrypted' flag is set in the directory."""
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), ("a.jpg", PHOTO)])
    data = bundle.read_bytes()
    bundle.write_bytes(_patch_central_directory(data, b"a.jpg", 8, 0x1))

    assert _read(bundle) == (
        None,
        [Said("bundle:a.jpg", "zip entry is encrypted; send the bundle without a password")],
    )


def test_zip_bomb_entry_is_refused_by_its_compression_ratio(tmp_path: Path) -> None:
    zeros = bytes(5 * 1024 * 1024)
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), ("a.jpg", zeros)])

    source, problems = _read(bundle)

    assert source is None
    assert [p.path for p in problems] == ["bundle:a.jpg"]
    assert "expands to 5 MB); the limit is 100:1 (zip bomb guard)" in problems[0].message


def test_entry_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), ("a.jpg", PHOTO)])

    assert _read(bundle, BundleLimits(max_entry_bytes=1024)) == (
        None,
        [Said("bundle:a.jpg", "entry is 2 KB; the limit is 1 KB (uncompressed)")],
    )


def test_report_entry_over_the_report_limit_is_refused(tmp_path: Path) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT)])

    assert _read(bundle, BundleLimits(max_report_bytes=10)) == (
        None,
        [Said("bundle:report.yaml", f"report is {len(REPORT)} bytes; the limit is 10 bytes")],
    )


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    entries = [("report.yaml", REPORT), ("a.jpg", PHOTO), ("./a.jpg", PHOTO)]
    bundle = _zip(tmp_path / "visit.zip", entries)

    assert _read(bundle) == (
        None,
        [Said("bundle:./a.jpg", "duplicate entry: same path as 'a.jpg'")],
    )


def test_every_bad_entry_is_reported_not_just_the_first(tmp_path: Path, temp_root: Path) -> None:
    bundle = _zip(
        tmp_path / "visit.zip",
        [
            ("report.yaml", REPORT),
            ("../evil.txt", b"pwned"),
            ("/etc/cron.d/evil", b"pwned"),
            (_symlink_entry("photos/a.jpg"), b"/etc/shadow"),
            ("photos/b.jpg", bytes(1024 * 1024)),
        ],
    )

    source, problems = _read(bundle)

    assert source is None
    assert [p.path for p in problems] == [
        "bundle:../evil.txt",
        "bundle:/etc/cron.d/evil",
        "bundle:photos/a.jpg",
        "bundle:photos/b.jpg",
    ]
    assert "escapes the bundle folder" in problems[0].message
    assert "escapes the bundle folder" in problems[1].message
    assert "symbolic link" in problems[2].message
    assert "zip bomb guard" in problems[3].message
    assert list(temp_root.iterdir()) == []


# Extraction, where declared sizes are not trusted


def test_entry_whose_declared_size_lies_is_refused_and_cleaned_up(
    tmp_path: Path, temp_root: Path
) -> None:
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT), ("a.txt", b"a" * 500)])
    data = bundle.read_bytes()
    bundle.write_bytes(_patch_central_directory(data, b"a.txt", 24, 100))  # uncompressed size

    source, problems = _read(bundle)

    assert source is None
    assert [p.path for p in problems] == ["bundle:a.txt"]
    assert problems[0].message == "cannot extract: Bad CRC-32 for file 'a.txt'"
    assert list(temp_root.iterdir()) == []


def test_extraction_stops_at_the_cap_whatever_the_stream_yields(
    tmp_path: Path, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that ignores the declared size still stops at our cap, not only zipfile's."""
    bundle = _zip(tmp_path / "visit.zip", [("report.yaml", REPORT)])
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info: io.BytesIO(bytes(5000)))

    source, problems = _read(bundle, BundleLimits(max_entry_bytes=1024))

    assert source is None
    assert problems == [
        Said("bundle:report.yaml", "entry holds more data than declared; stopped at 1 KB")
    ]
    assert list(temp_root.iterdir()) == []
