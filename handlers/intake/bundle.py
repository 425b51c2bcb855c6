"""Where a report comes from: a YAML/JSON file with photos beside it, or one .zip holding both.

A bundle is an inspector's upload, so it is untrusted. Every entry is checked from the zip's
directory before a single byte is extracted (names that leave the folder, links, encryption,
sizes, compression ratios), and extraction itself reads each entry with a hard cap because the
sizes a zip declares can lie. Extracted files live in a temporary folder that exists only while
the caller's `with` block runs.
"""

from __future__ import annotations

import lzma
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

import yaml

from handlers.intake.photos import format_size, size_over_limit
from handlers.intake.problems import Problem, errors
from handlers.translatable import N_, Text

REPORT_SUFFIXES = (".yaml", ".yml", ".json")
BUNDLE_SUFFIX = ".zip"

_ACCEPTED_REPORTS = ".yaml, .yml or .json"
_REPORT_TOO_BIG = N_("report is %(size)s; the limit is %(limit)s")
_BUNDLE_TOO_BIG = N_("bundle is %(size)s; the limit is %(limit)s")
_MB = 1024 * 1024
_CHUNK = 64 * 1024
_LISTED_NAMES = 10  # enough to recognise the upload without flooding the chat
_SEPARATORS = re.compile(r"[/\\]")  # Windows tools may write "\"; "..\\x" must not slip through
_DRIVE = re.compile(r"^[A-Za-z]:")
_IGNORED_FOLDERS = frozenset({"__MACOSX"})  # Finder's resource forks
_IGNORED_FILES = frozenset({".DS_Store"})
_SUPPORTED_COMPRESSION = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
# What reading a damaged or hostile entry can raise, from zipfile and the decompressors below it.
_EXTRACT_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
    lzma.LZMAError,
)


@dataclass(frozen=True)
class BundleLimits:
    max_report_bytes: int = 1 * _MB
    max_zip_bytes: int = 200 * _MB  # the .zip file itself
    max_entries: int = 500
    max_entry_bytes: int = 10 * _MB  # uncompressed, per entry (photos too)
    max_total_bytes: int = 300 * _MB  # uncompressed, all entries
    max_ratio: int = 100  # uncompressed/compressed per entry: zip bomb guard


@dataclass
class ReportSource:
    report_path: Path  # the YAML/JSON file to parse
    base_dir: Path  # where photo names are resolved from


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]  # the entry's path split into safe components

    @property
    def label(self) -> str:
        return _entry_label(self.info)


@dataclass(frozen=True)
class _Plan:
    files: list[_Entry]
    report: _Entry


class _EntryOverflow(Exception):
    """An entry produced more bytes than allowed while being extracted."""


@contextmanager
def open_report_source(
    path: Path, limits: BundleLimits = BundleLimits()
) -> Iterator[tuple[ReportSource | None, list[Problem]]]:
    """Yield where to read the report from, or None and every problem that prevents it.

    For a .zip the yielded paths point into a temporary folder that is removed when the `with`
    block exits, so parse the report and read its photos inside the block.
    """
    suffix = path.suffix.lower()
    if suffix in REPORT_SUFFIXES:
        problems = _file_problems(path, limits.max_report_bytes, N_("report file is empty"), _REPORT_TOO_BIG)
        yield (None if errors(problems) else ReportSource(path, path.parent)), problems
    elif suffix == BUNDLE_SUFFIX:
        workdir, source, problems = _unpack_bundle(path, limits)
        if workdir is None:
            yield None, problems
        else:
            with workdir:
                yield source, problems
    else:
        shown = f"'{suffix}'" if suffix else Text(N_("without an extension"))
        message = N_("unsupported file %(suffix)s; send a %(accepted)s report, or a .zip bundle")
        yield None, [Problem(path.name, Text(message, suffix=shown, accepted=_ACCEPTED_REPORTS))]


def _file_problems(path: Path, max_bytes: int, empty: str, too_big: str) -> list[Problem]:
    """The uploaded file itself: there, a regular file, readable, not empty, not too big.

    `empty` and `too_big` are the messages that name what the file is (report or bundle)."""
    label = path.name
    if not path.exists():
        return [Problem(label, Text(N_("file not found")))]
    if not path.is_file():
        return [Problem(label, Text(N_("not a regular file")))]
    try:
        with path.open("rb") as fp:
            size = os.fstat(fp.fileno()).st_size
    except PermissionError:
        return [Problem(label, Text(N_("cannot read the file: permission denied")))]
    except OSError as exc:
        return [Problem(label, Text(N_("cannot read the file: %(error)s"), error=str(exc.strerror or exc)))]
    if size == 0:
        return [Problem(label, Text(empty))]
    if size > max_bytes:
        return [Problem(label, size_over_limit(too_big, size, max_bytes))]
    return []


def _unpack_bundle(
    path: Path, limits: BundleLimits
) -> tuple[tempfile.TemporaryDirectory[str] | None, ReportSource | None, list[Problem]]:
    """Check the whole bundle, then extract it; a live temporary folder only when all is well."""
    problems = _file_problems(path, limits.max_zip_bytes, N_("bundle file is empty"), _BUNDLE_TOO_BIG)
    if problems:
        return None, None, problems
    archive, problems = _open_archive(path)
    if archive is None:
        return None, None, problems
    with archive:
        plan, problems = _plan_bundle(archive.infolist(), path.name, limits)
        if plan is None:
            return None, None, problems
        return _extract(archive, plan, limits)


def _open_archive(path: Path) -> tuple[zipfile.ZipFile | None, list[Problem]]:
    """Open the zip's directory; a renamed file or a damaged zip is the inspector's to fix."""
    if not zipfile.is_zipfile(path):
        return None, [Problem(path.name, Text(N_("not a zip archive")))]
    try:
        return zipfile.ZipFile(path), []
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        # NotImplementedError: an entry needs a newer zip version to extract than zipfile reads
        return None, [Problem(path.name, Text(N_("damaged zip archive: %(error)s"), error=str(exc)))]


def _plan_bundle(
    infos: list[zipfile.ZipInfo], label: str, limits: BundleLimits
) -> tuple[_Plan | None, list[Problem]]:
    """Every check the zip's directory allows, over all entries; a plan only if none failed."""
    problems = []
    if len(infos) > limits.max_entries:
        message = N_("bundle has %(count)s entries; the limit is %(limit)s")
        problems.append(Problem(label, Text(message, count=len(infos), limit=limits.max_entries)))
    kept = [info for info in infos if not _is_ignored(info.filename)]
    for info in kept:
        problems += [Problem(_entry_label(info), text) for text in _entry_problems(info, limits)]
    files = [
        _Entry(info, _parts(info.filename))
        for info in kept
        if _escape_reason(info.filename) is None and not info.is_dir()  # is_dir() fails on an empty name
    ]
    problems += _duplicate_problems(files)
    problems += _total_size_problems(files, label, limits)
    report, report_problems = _find_report(files, label, limits)
    problems += report_problems
    if report is None or errors(problems):
        return None, problems
    return _Plan(files, report), problems


def _entry_label(info: zipfile.ZipInfo) -> str:
    """Problems about an entry name it as written in the zip, so the inspector can find it."""
    return f"bundle:{info.filename}"


def _is_ignored(name: str) -> bool:
    """macOS metadata that zips made in Finder carry; never part of the report."""
    parts = _parts(name)
    return bool(parts) and (parts[0] in _IGNORED_FOLDERS or parts[-1] in _IGNORED_FILES)


def _parts(name: str) -> tuple[str, ...]:
    """An entry name's components, with either separator, without empty and "." components."""
    return tuple(part for part in _SEPARATORS.split(name) if part not in ("", "."))


def _escape_reason(name: str) -> str | None:
    """Why extracting `name` could write outside the extraction folder (a msgid), judged on the
    name alone."""
    if name.startswith(("/", "\\")):
        return N_("absolute path")
    if _DRIVE.match(name):
        return N_("drive letter")
    if ".." in _SEPARATORS.split(name):
        return N_("'..' component")
    if not _parts(name):
        return N_("empty name")
    return None


def _entry_problems(info: zipfile.ZipInfo, limits: BundleLimits) -> list[Text]:
    """All that is wrong with one entry, each check independent of the others."""
    return [text for check in _ENTRY_CHECKS if (text := check(info, limits)) is not None]


def _check_name(info: zipfile.ZipInfo, limits: BundleLimits) -> Text | None:
    """Zip slip: an entry named to land outside the folder it is extracted into."""
    reason = _escape_reason(info.filename)
    message = N_("zip entry escapes the bundle folder (%(reason)s)")
    return None if reason is None else Text(message, reason=Text(reason))


def _check_symlink(info: zipfile.ZipInfo, limits: BundleLimits) -> Text | None:
    """A link extracted as a link could point anywhere; its target is data we never follow."""
    if stat.S_ISLNK(info.external_attr >> 16):
        return Text(N_("zip entry is a symbolic link; links are not accepted"))
    return None


def _check_encryption(info: zipfile.ZipInfo, limits: BundleLimits) -> Text | None:
    """There is no password to ask for in a chat, and the content could not be checked."""
    if info.flag_bits & 0x1:
        return Text(N_("zip entry is encrypted; send the bundle without a password"))
    return None


def _check_compression(info: zipfile.ZipInfo, limits: BundleLimits) -> Text | None:
    """Say so now rather than fail halfway through extraction."""
    if info.compress_type not in _SUPPORTED_COMPRESSION:
        message = N_("zip entry uses compression method %(method)s, which is not supported")
        return Text(message, method=info.compress_type)
    return None


def _check_size(info: zipfile.ZipInfo, limits: BundleLimits) -> Text | None:
    """The declared size, so an oversized entry is refused before extraction begins."""
    if info.file_size > limits.max_entry_bytes:
        message = N_("entry is %(size)s; the limit is %(limit)s (uncompressed)")
        return size_over_limit(message, info.file_size, limits.max_entry_bytes)
    return None


def _check_ratio(info: zipfile.ZipInfo, limits: BundleLimits) -> Text | None:
    """A tiny entry that inflates enormously is how zip bombs exhaust disk and memory."""
    if info.file_size <= limits.max_ratio * info.compress_size:
        return None
    ratio = f"{info.file_size // info.compress_size:,}:1" if info.compress_size else Text(N_("unbounded"))
    message = N_("compression ratio is %(ratio)s (%(compressed)s expands to %(size)s); "
                 "the limit is %(limit)s:1 (zip bomb guard)")
    return Text(message, ratio=ratio, compressed=format_size(info.compress_size),
                size=format_size(info.file_size), limit=limits.max_ratio)


_ENTRY_CHECKS: tuple[Callable[[zipfile.ZipInfo, BundleLimits], Text | None], ...] = (
    _check_name,
    _check_symlink,
    _check_encryption,
    _check_compression,
    _check_size,
    _check_ratio,
)


def _duplicate_problems(files: list[_Entry]) -> list[Problem]:
    """Two entries for one path would silently overwrite each other; say which."""
    seen: dict[tuple[str, ...], str] = {}
    problems = []
    for entry in files:
        if entry.parts in seen:
            message = N_("duplicate entry: same path as '%(first)s'")
            problems.append(Problem(entry.label, Text(message, first=seen[entry.parts])))
        else:
            seen[entry.parts] = entry.info.filename
    return problems


def _total_size_problems(files: list[_Entry], label: str, limits: BundleLimits) -> list[Problem]:
    """Many entries each under the limit can still fill the disk together."""
    total = sum(entry.info.file_size for entry in files)
    if total > limits.max_total_bytes:
        message = N_("bundle content is %(size)s; the limit is %(limit)s (uncompressed)")
        return [Problem(label, size_over_limit(message, total, limits.max_total_bytes))]
    return []


def _find_report(
    files: list[_Entry], label: str, limits: BundleLimits
) -> tuple[_Entry | None, list[Problem]]:
    """Exactly one report file, at the top of the bundle or of its single top-level folder."""
    folder = _report_folder(files)
    reports = [e for e in files if e.parts[:-1] == folder and _is_report_name(e.parts[-1])]
    if not reports:
        found = _listing(_folder_contents(files, folder)) or Text(N_("nothing"))
        message = N_("no report file (%(accepted)s) at the top of the bundle; found: %(found)s")
        return None, [Problem(label, Text(message, accepted=_ACCEPTED_REPORTS, found=found))]
    if len(reports) > 1:
        names = _listing(sorted(entry.info.filename for entry in reports))
        message = N_("%(count)s report files found, expected exactly one: %(names)s")
        return None, [Problem(label, Text(message, count=len(reports), names=names))]
    report = reports[0]
    if report.info.file_size > limits.max_report_bytes:
        text = size_over_limit(_REPORT_TOO_BIG, report.info.file_size, limits.max_report_bytes)
        return None, [Problem(report.label, text)]
    return report, []


def _is_report_name(name: str) -> bool:
    """By extension, case-insensitively: Windows tools often write "REPORT.YAML"."""
    return PurePosixPath(name).suffix.lower() in REPORT_SUFFIXES


def _report_folder(files: list[_Entry]) -> tuple[str, ...]:
    """Zipping a folder puts everything under its name; then the report is expected inside it."""
    tops = {entry.parts[0] for entry in files}
    if len(tops) == 1 and all(len(entry.parts) > 1 for entry in files):
        return (tops.pop(),)
    return ()


def _folder_contents(files: list[_Entry], folder: tuple[str, ...]) -> list[str]:
    """What sits directly in `folder`, subfolders marked with a trailing "/"."""
    depth = len(folder)
    return sorted(
        {entry.parts[depth] + ("/" if len(entry.parts) > depth + 1 else "") for entry in files}
    )


def _listing(names: list[str]) -> str | Text:
    """Names joined for a message, cut short so a huge bundle does not flood the chat."""
    shown = ", ".join(names[:_LISTED_NAMES])
    hidden = len(names) - _LISTED_NAMES
    return Text(N_("%(names)s and %(hidden)s more"), names=shown, hidden=hidden) if hidden > 0 else shown


def _extract(
    archive: zipfile.ZipFile, plan: _Plan, limits: BundleLimits
) -> tuple[tempfile.TemporaryDirectory[str] | None, ReportSource | None, list[Problem]]:
    """Extract into a fresh temporary folder, removing it again if any entry fails."""
    workdir = tempfile.TemporaryDirectory(prefix="followup-bundle-")
    root = Path(workdir.name).resolve()
    try:
        problems = _extract_files(archive, plan.files, root, limits)
    except BaseException:
        workdir.cleanup()
        raise
    if errors(problems):
        workdir.cleanup()
        return None, None, problems
    report_path = root.joinpath(*plan.report.parts)
    return workdir, ReportSource(report_path, report_path.parent), problems


def _extract_files(
    archive: zipfile.ZipFile, files: list[_Entry], root: Path, limits: BundleLimits
) -> list[Problem]:
    """Extract every file, within the per-entry cap and what is left of the total budget."""
    problems = []
    budget = limits.max_total_bytes
    for entry in files:
        cap = min(limits.max_entry_bytes, budget)
        try:
            budget -= _copy_entry(archive, entry, root.joinpath(*entry.parts), cap)
        except _EntryOverflow:
            message = N_("entry holds more data than declared; stopped at %(cap)s")
            problems.append(Problem(entry.label, Text(message, cap=format_size(cap))))
        except _EXTRACT_ERRORS as exc:
            problems.append(Problem(entry.label, Text(N_("cannot extract: %(error)s"), error=str(exc))))
    return problems


def _copy_entry(archive: zipfile.ZipFile, entry: _Entry, target: Path, cap: int) -> int:
    """Copy one entry, trusting the stream rather than the declared size; returns bytes written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(entry.info) as source, target.open("xb") as sink:
        return _copy_capped(source, sink, cap)


def _copy_capped(source: IO[bytes], sink: IO[bytes], cap: int) -> int:
    """Stream in chunks and stop one byte past `cap`, so memory and disk use stay bounded."""
    written = 0
    while chunk := source.read(min(_CHUNK, cap - written + 1)):
        written += len(chunk)
        if written > cap:
            raise _EntryOverflow
        sink.write(chunk)
    return written


def write_bundle(report: dict, photos: dict[str, Path], sink: IO[bytes]) -> None:
    """`report` as report.yaml beside each photo under its name in the report: a bundle that
    `followup visit check` and `visit post` read back as the same report."""
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.yaml", yaml.safe_dump(report, allow_unicode=True, sort_keys=False))
        for name, path in sorted(photos.items()):
            archive.write(path, name, zipfile.ZIP_STORED)  # photos are compressed already
