"""The issue's heavy visit, made at bench time in a temporary folder (never committed): the
example report with 20 findings of two camera photos each, 4000×3000 JPEGs of 2–4 MB with the
visit's capture date, beside the example's own material and packaging photos (43 in all)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "visit-PO-2026-0142"
_DATETIME_ORIGINAL, _EXIF_IFD = 0x9003, 0x8769


def camera_photo(path: Path, seed: int, taken: str) -> None:
    """A distinct 12-megapixel JPEG of 2–4 MB: noise enlarged (JPEG cannot squeeze it small)."""
    noise = Image.effect_noise((1000, 750), 40 + seed % 30).resize((4000, 3000), Image.BILINEAR)
    gradient = Image.linear_gradient("L").resize((4000, 3000)).point(lambda v: (v + 7 * seed) % 256)
    exif = Image.Exif()
    exif.get_ifd(_EXIF_IFD)[_DATETIME_ORIGINAL] = f"{taken.replace('-', ':')} 10:{seed % 60:02}:00"
    Image.merge("RGB", (noise, gradient, noise.point(lambda v: 255 - v))).save(
        path, "JPEG", quality=85 + seed % 7, exif=exif)


def write_visit(folder: Path, findings: int = 20, photos_each: int = 2) -> Path:
    """report.yaml and its photos in `folder`; returns the report's path."""
    report = yaml.safe_load((EXAMPLE / "report.yaml").read_text(encoding="utf-8"))
    taken = str(report["visit"]["date"])
    first = report["findings"][0]
    report["findings"] = []
    for n in range(findings):
        names = [f"finding-{n + 1:02}-{k + 1}.jpg" for k in range(photos_each)]
        for k, name in enumerate(names):
            camera_photo(folder / name, n * photos_each + k, taken)
        finding = copy.deepcopy(first)
        finding["description"] = f"Glaze crawling at the handle joint, station {n + 1}."
        finding["description_zh"] = f"第{n + 1}工位手柄连接处缩釉。"
        finding["units_affected"] = 2
        finding["photos"] = names
        report["findings"].append(finding)
    for photo in EXAMPLE.glob("*.jpg"):
        if not photo.name.startswith("f"):
            (folder / photo.name).write_bytes(photo.read_bytes())
    path = folder / "report.yaml"
    path.write_text(yaml.safe_dump(report, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_visit_apart(folder: Path, findings: int = 20, photos_each: int = 2) -> Path:
    """`write_visit` in a process of its own: the peak RSS a child reports includes its parent's
    at the fork (Linux keeps the high-water mark across exec), so the parent stays small."""
    subprocess.run([sys.executable, __file__, str(folder), str(findings), str(photos_each)], check=True)
    return folder / "report.yaml"


if __name__ == "__main__":
    write_visit(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
