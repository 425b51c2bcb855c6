"""An inspector's upload that is hostile, or just broken in a way no honest tool would break
it, through the chat upload path every platform shares (`bot.chat.uploads`).

Each file of tests/hostile/reports/ (rebuilt by tests/hostile/build.py) is refused with a line
naming the field or file and what is wrong, and nothing is kept: the database dump, the media
folder and the staging folder are exactly as before. Big inputs are made here, not committed.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile

import pytest

from bot.app import App
from bot.chat.uploads import Uploads
from bot.cpu import CpuPool
from handlers.model import Role
from tests.conftest import EXAMPLE_VISIT, actor, zipped
from tests.hostile.build import CORPUS, base_report, dumped, small_jpeg

MB = 1024 * 1024

# File → (the path the problem is about, what the line must say). Every corpus file is here.
REFUSED = {
    "photo-path-traversal.zip": ("findings.0.photos.0",
                                 "'../../../../etc/passwd.jpg' points outside the report's folder"),
    "zip-slip.zip": ("bundle:../../evil.jpg", "zip entry escapes the bundle folder ('..' component)"),
    "empty-entry-name.zip": ("bundle:", "zip entry escapes the bundle folder (empty name)"),
    "unknown-zip-version.zip": ("unknown-zip-version.zip", "damaged zip archive: zip file version 23.5"),
    "symlink-entry.zip": ("bundle:f1.jpg", "zip entry is a symbolic link; links are not accepted"),
    "zip-bomb-ratio.zip": ("bundle:f1.jpg", "the limit is 100:1 (zip bomb guard)"),
    "zip-bomb-total.zip": ("zip-bomb-total.zip", "bundle content is 369 MB; the limit is 300 MB (uncompressed)"),
    "decompression-bomb.zip": ("findings.0.photos.0", "image is too large to decode safely"),
    "deep-nesting.yaml": ("deep-nesting.yaml", "line 1: nested more than 20 levels deep"),
    "deep-nesting.json": ("deep-nesting.json", "line 1: nested more than 20 levels deep"),
    "billion-laughs.yaml": ("billion-laughs.yaml", "line 1: YAML anchors (&a) are not accepted"),
    "merge-key.yaml": ("merge-key.yaml", "line 3: YAML merge keys (<<) are not accepted"),
    "10000-character-description.yaml": ("findings.0.description", "string should have at most 2000 characters"),
    "10000-character-parameter.yaml": ("findings.0.instruction.params.correct_text",
                                       "string should have at most 2000 characters"),
    "invalid-utf-8.yaml": ("invalid-utf-8.yaml", "not UTF-8 text: byte 0xFF on line 41"),
    "bidi-override.yaml": ("findings.0.description",
                           "contains the invisible character U+202E RIGHT-TO-LEFT OVERRIDE at position 10"),
    "zero-width-space.yaml": ("order.product.name", "contains the invisible character U+200B ZERO WIDTH SPACE"),
    "control-character.yaml": ("control-character.yaml",
                               "line 41: the character U+0000 NULL is not allowed in YAML; delete it"),
    "nul-in-photo-name.yaml": ("findings.0.photos.0", "contains the invisible character U+0000 NULL"),
    "lone-surrogate.json": ("findings.0.description", "unable to parse raw data as a unicode string"),
    "hidden-unknown-key.yaml": ("findings.0.\\u202e" + "x" * 54 + "…", "unknown field"),
    "huge-number.yaml": ("huge-number.yaml", "line 10: a number of more than 4,300 digits"),
    "duplicate-key.yaml": ("duplicate-key.yaml", "line 11: the key 'quantity' appears twice"),
    "ten-thousand-findings.yaml": ("findings", "list should have at most 100 items after validation, not 10000"),
    "2000-photo-names-one-file.zip": ("findings.15.photos.0", "the report names 2,000 photos; the limit is 300"),
    "3000-photo-names-one-file.zip": ("findings.0.photos", "list should have at most 20 items after validation"),
}
HARMLESS = {
    "duplicate-names-one-file.zip": (
        "findings.0.photos.1",
        "'sub/../f1.jpg' is the same file as 'f1.jpg' (findings.0.photos.0): checked once, kept as 'f1.jpg'",
    ),
}


def corpus_file(name: str) -> tuple[str, bytes]:
    return name, (CORPUS / name).read_bytes()


def everything_kept(app: App) -> tuple[list[str], list[str], list[str]]:
    """A full SQL dump, the media files and the staged files."""
    with sqlite3.connect(app.store.path) as db:
        dump = list(db.iterdump())
    db.close()
    folders = (app.media.root, app.store.path.parent / "uploads")
    files = [sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else [] for folder in folders]
    return dump, *files


async def upload(app: App, config, name: str, content: bytes) -> str:
    uploads = Uploads(app, app.store.path.parent / "uploads")
    answer = await uploads.receive(actor(config, Role.INSPECTOR), "telegram-222", name, content, "test:1")
    return answer.text


def test_every_file_of_the_corpus_has_its_expected_answer() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted({**REFUSED, **HARMLESS})


@pytest.mark.parametrize("name", sorted(REFUSED))
async def test_a_hostile_upload_is_refused_naming_the_problem_and_nothing_is_kept(app, config, name) -> None:
    before = everything_kept(app)

    text = await upload(app, config, *corpus_file(name))

    path, phrase = REFUSED[name]
    header, *lines = text.splitlines()
    assert header.startswith(f"{name} was refused with ") and header.endswith("nothing was stored:"), text
    assert any(line.startswith(f"{path}: ") and phrase in line for line in lines), text
    assert len(lines) <= 31  # a chat answer lists at most 30 problems and counts the rest
    assert everything_kept(app) == before


async def test_two_names_for_one_file_are_checked_once_and_the_inspector_is_told_which_name_is_kept(
    app, config
) -> None:
    text = await upload(app, config, *corpus_file("duplicate-names-one-file.zip"))

    path, phrase = HARMLESS["duplicate-names-one-file.zip"]
    posted, warnings, *lines = text.splitlines()
    assert posted == "Visit for PO-2026-0142 posted with 0 proposed instructions."
    assert warnings == "Warnings (the visit was posted all the same):"
    assert f"{path}: {phrase}" in lines
    assert len(list(app.media.root.rglob("*.jpg"))) == 1


# --- made here rather than committed ------------------------------------------------------------


def bundle(report: bytes, **files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.yaml", report)
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


BIG = [
    pytest.param("report.yaml", b"order: {product: {name: " + b"x" * (MB - 100) + b"}}\n", "report.yaml",
                 f"line 1: a value of {MB - 100:,} characters; the limit is 10,000", id="a-megabyte-value"),
    pytest.param("report.yaml", b"a: &a [x]\n" + b"b: [" + b"*a, " * 250_000 + b"*a]\n", "report.yaml",
                 "line 1: YAML anchors (&a) are not accepted", id="a-megabyte-of-aliases"),
    pytest.param("visit.zip", None, "bundle:f1.jpg", "entry is 12 MB; the limit is 10 MB (uncompressed)",
                 id="a-12-mb-photo"),
]


@pytest.mark.parametrize(("name", "content", "path", "phrase"), BIG)
async def test_a_big_hostile_upload_is_refused_naming_the_limit(app, config, name, content, path, phrase) -> None:
    if content is None:
        content = bundle(dumped(base_report()), **{"f1.jpg": small_jpeg() + bytes(12 * MB)})
    before = everything_kept(app)

    text = await upload(app, config, name, content)

    assert any(line.startswith(f"{path}: ") and phrase in line for line in text.splitlines()), text
    assert everything_kept(app) == before


# --- a failed upload never breaks the next one --------------------------------------------------


class FailingOnce(CpuPool):
    """The real pool, but its first job fails as a worker dying under it would."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def run(self, fn, /, *args, **kwargs):
        if not self.failed:
            self.failed = True
            raise RuntimeError("worker died")
        return await super().run(fn, *args, **kwargs)


async def test_after_a_check_that_failed_on_our_side_the_inspector_s_next_upload_works(app, config) -> None:
    app.cpu.close()
    app.cpu = FailingOnce()
    uploads = Uploads(app, app.store.path.parent / "uploads")
    inspector = actor(config, Role.INSPECTOR)
    report = (EXAMPLE_VISIT / "report.yaml").read_bytes()

    with pytest.raises(RuntimeError):
        await uploads.receive(inspector, "telegram-222", "report.yaml", report, "test:1")
    photo = await uploads.receive(inspector, "telegram-222", "f3-colour.jpg", b"\xff\xd8", "test:2")
    posted = await uploads.receive(inspector, "telegram-222", "visit.zip", zipped(EXAMPLE_VISIT), "test:3")

    assert photo.text == "Send the report file first, then its photos as files."
    assert posted.text == "Visit for PO-2026-0142 posted with 7 proposed instructions."


async def test_after_a_refused_report_the_inspector_s_photos_are_not_checked_against_it(app, config) -> None:
    uploads = Uploads(app, app.store.path.parent / "uploads")
    inspector = actor(config, Role.INSPECTOR)
    deep = (CORPUS / "deep-nesting.yaml").read_bytes()

    refused = await uploads.receive(inspector, "telegram-222", "report.yaml", deep, "test:1")
    photo = await uploads.receive(inspector, "telegram-222", "f1.jpg", small_jpeg(), "test:2")
    posted = await uploads.receive(inspector, "telegram-222", "visit.zip", zipped(EXAMPLE_VISIT), "test:3")

    assert "nested more than 20 levels deep" in refused.text
    assert photo.text == "Send the report file first, then its photos as files."
    assert posted.text == "Visit for PO-2026-0142 posted with 7 proposed instructions."
