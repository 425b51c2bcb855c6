"""Writes the hostile corpus into tests/hostile/reports/: `.venv/bin/python tests/hostile/build.py`.

Each file is one attack an upload can carry, built on a one-finding report that is valid
otherwise, so the one thing wrong is the attack. The files are committed (small: the largest is
a few tens of KB) and rebuilt identically by this script; what each must be answered with is in
tests/test_hostile_reports.py. Big inputs (a megabyte of YAML, a 12 MB photo) are made by the
tests themselves rather than committed.
"""

from __future__ import annotations

import copy
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import yaml
from PIL import Image

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "reports"
EXAMPLE = HERE.parent.parent / "examples" / "visit-PO-2026-0142" / "report.yaml"
FIXED_TIME = (2026, 11, 24, 9, 30, 0)  # every entry dated alike, so rebuilding changes no byte
MB = 1024 * 1024


def base_report() -> dict:
    """The example cut to one finding with one photo, f1.jpg, and no other photos."""
    report = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    report["findings"] = report["findings"][:1]
    report["findings"][0]["photos"] = ["f1.jpg"]
    del report["visit"]["sample_size"]  # F1's 125 say it; the line numbers the tests name stay put
    report["materials"] = [m for m in report["materials"] if "photos" not in m]
    report["packaging"] = {"materials_on_site": True, "checks": []}
    return report


def dumped(report: dict) -> bytes:
    return yaml.safe_dump(report, allow_unicode=True, sort_keys=False, width=1000).encode()


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "olive").save(buffer, "JPEG")
    return buffer.getvalue()


def big_png(side: int = 2000) -> bytes:
    """Costly to decode (4 megapixels), cheap to store (one colour compresses to a few KB)."""
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), "grey").save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height`: the shape of a decompression bomb."""
    buffer = io.BytesIO()
    Image.new("1", (8, 8)).save(buffer, "PNG")
    png = buffer.getvalue()
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def zipped(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """Entries written exactly as named (hostile names intact); `links`: name → symlink target."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(zipfile.ZipInfo(name, FIXED_TIME), content, zipfile.ZIP_DEFLATED)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o120777 << 16  # a symbolic link, as `zip -y` stores one
            archive.writestr(info, target)
    return buffer.getvalue()


def declaring(bundle: bytes, file_size: int, compress_size: int) -> bytes:
    """The bundle with every entry's sizes in the central directory rewritten: a zip can claim
    anything there, and the checks that run before extraction only have those claims."""
    data = bytearray(bundle)
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        struct.pack_into("<II", data, offset + 20, compress_size, file_size)
        offset = data.find(b"PK\x01\x02", offset + 4)
    return bytes(data)


def needing_version(bundle: bytes, version: int) -> bytes:
    """The bundle with its entries claiming to need zip version `version` / 10 to extract."""
    data = bytearray(bundle)
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        struct.pack_into("<H", data, offset + 6, version)
        offset = data.find(b"PK\x01\x02", offset + 4)
    return bytes(data)


def with_finding_photos(report: dict, names_per_finding: list[list[str]]) -> dict:
    """One finding per list of names, each without an instruction (fewer messages to build); the
    copies after the first were seen on the line, not in the sample, so the sample still holds
    the defects found in it and only the photos are wrong."""
    changed = copy.deepcopy(report)
    finding = {key: value for key, value in changed["findings"][0].items() if key != "instruction"}
    changed["findings"] = [{**finding, "photos": names, **({"in_sample": False} if i else {})}
                           for i, names in enumerate(names_per_finding)]
    return changed


def report_with(path: str, value: object) -> bytes:
    report = base_report()
    *parents, last = path.split(".")
    node = report
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return dumped(report)


def billion_laughs() -> bytes:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{', '.join(['*' + previous] * 9)}]")
    return ("\n".join(lines) + "\n").encode()


def corpus() -> dict[str, Callable[[], bytes]]:
    report = base_report()
    jpeg = small_jpeg()
    many = [[f"{i}-{j}/../big.png" for j in range(20)] for i in range(100)]
    crowded = [[f"{i}-{j}/../big.png" for j in range(30)] for i in range(100)]
    return {
        # photo names and bundle entries that reach for files they must not
        "photo-path-traversal.zip": lambda: zipped({
            "report.yaml": dumped(with_finding_photos(report, [
                ["../../../../etc/passwd.jpg", "/etc/hostname.jpg", "..\\..\\windows\\win.ini.jpg", "C:/boot.jpg"],
            ])),
            "f1.jpg": jpeg,
        }),
        "zip-slip.zip": lambda: zipped({"report.yaml": dumped(report), "f1.jpg": jpeg, "../../evil.jpg": jpeg,
                                        "/etc/cron.d/evil": b"* * * * * root true\n"}),
        "empty-entry-name.zip": lambda: zipped({"": dumped(report), "f1.jpg": jpeg}),  # found by fuzzing
        "unknown-zip-version.zip": lambda: needing_version(zipped({"report.yaml": dumped(report), "f1.jpg": jpeg}),
                                                           235),  # found by fuzzing
        "symlink-entry.zip": lambda: zipped({"report.yaml": dumped(report)}, links={"f1.jpg": "/etc/passwd"}),
        # sizes: compression ratio, total, pixels
        "zip-bomb-ratio.zip": lambda: zipped({"report.yaml": dumped(report), "f1.jpg": bytes(9 * MB)}),
        "zip-bomb-total.zip": lambda: declaring(
            zipped({"report.yaml": dumped(report), **{f"{i}.jpg": b"x" for i in range(40)}}),
            file_size=9 * MB, compress_size=95 * 1024),
        "decompression-bomb.zip": lambda: zipped({"report.yaml": dumped(report),
                                                  "f1.jpg": png_claiming(30_000, 30_000)}),
        # the text: nesting, aliases, lengths, encodings, characters
        "deep-nesting.yaml": lambda: b"order: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        "deep-nesting.json": lambda: b'{"order": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        "billion-laughs.yaml": billion_laughs,
        "merge-key.yaml": lambda: dumped(report).replace(b"order:\n", b"order:\n  <<: {buyer: Someone else}\n", 1),
        "10000-character-description.yaml": lambda: report_with("findings.0.description", "crawling " * 1111 + "x"),
        "10000-character-parameter.yaml": lambda: report_with(
            "findings.0.instruction", {"kind": "relabel", "params": {"correct_text": "A" * 10_000},
                                       "due": "2026-11-28"}),
        "invalid-utf-8.yaml": lambda: dumped(report).replace(b"Glaze crawling", b"Glaze \xff\xfe crawling", 1),
        "bidi-override.yaml": lambda: report_with("findings.0.description", "Glaze OK \u202edekcehc ton\u202c"),
        "zero-width-space.yaml": lambda: report_with("order.product.name", "Stoneware\u200b mug"),
        "control-character.yaml": lambda: dumped(report).replace(b"Glaze crawling", b"Glaze\x00crawling", 1),
        "nul-in-photo-name.yaml": lambda: report_with("findings.0.photos", ["f1.jpg\x00.png"]),
        "lone-surrogate.json": lambda: json.dumps(report, default=str).replace(
            "Glaze crawling", "Glaze \\ud800 crawling", 1).encode(),
        "hidden-unknown-key.yaml": lambda: report_with("findings.0.\u202e" + "x" * 5000, "unknown"),
        "huge-number.yaml": lambda: dumped(report).replace(b"quantity: 6000", b"quantity: " + b"9" * 5000, 1),
        "duplicate-key.yaml": lambda: dumped(report).replace(b"  quantity: 6000\n",
                                                             b"  quantity: 6000\n  quantity: 60\n", 1),
        "ten-thousand-findings.yaml": lambda: dumped({**report, "findings": []}).replace(
            b"findings: []", b"findings: [" + b"{}, " * 9_999 + b"{}]"),
        # many names for few files: the upload that froze the bot
        "2000-photo-names-one-file.zip": lambda: zipped({"report.yaml": dumped(with_finding_photos(report, many)),
                                                         "big.png": big_png()}),
        "3000-photo-names-one-file.zip": lambda: zipped({"report.yaml": dumped(with_finding_photos(report, crowded)),
                                                         "big.png": big_png()}),
        "duplicate-names-one-file.zip": lambda: zipped({
            "report.yaml": dumped(with_finding_photos(report, [["f1.jpg", "sub/../f1.jpg"], ["./f1.jpg", "f1.jpg"]])),
            "f1.jpg": jpeg,
        }),
    }


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for name, make in corpus().items():
        (CORPUS / name).write_bytes(make())
    print(f"{len(corpus())} files in {CORPUS}")


if __name__ == "__main__":
    main()
