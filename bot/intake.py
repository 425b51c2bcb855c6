"""A report checked and, when it passes, its photos kept: the CPU-heavy half of posting a visit.

Reading a report, decoding every photo and hashing it hold the GIL for up to seconds, while one
event loop must keep answering every chat's taps; so this runs in a worker process
(`app.cpu.run(intake, ...)`). Hence a module-level function of picklable arguments returning
plain data. The photos it returns point at their kept copies in the media folder: a bundle's
temporary folder is gone once it returns.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from handlers.intake.checks import DEFAULT_OVERRUN_PCT
from handlers.intake.reports import CheckedReport, read_report
from handlers.intake.side_by_side import side_by_side
from storage.media import MediaStore


def intake(
    report: Path, factory_ids: list[str], media: MediaStore | None = None, wait_for_photos: bool = False,
    overrun_pct: float = DEFAULT_OVERRUN_PCT,
) -> CheckedReport:
    """The report at `report` checked (see `read_report`); when it passes and `media` is given,
    its photos are copied there. A refused report leaves the media folder as it was."""
    with read_report(report, factory_ids, wait_for_photos=wait_for_photos, overrun_pct=overrun_pct) as checked:
        if media is None or not checked.ok:
            return checked
        return keep_photos(checked, media)


def keep_photos(checked: CheckedReport, media: MediaStore) -> CheckedReport:
    """The passed report with its photos copied into `media` (inside `read_report`'s block: a
    bundle's photos are gone after it), each pointing at its kept copy."""
    kept = side_by_side(lambda photo: replace(photo, path=media.put(photo.path, photo.sha256, photo.format)),
                        checked.photos.values())
    return replace(checked, photos=dict(zip(checked.photos, kept)))
