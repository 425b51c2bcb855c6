"""A link as a QR code, for the PDF notice and the buyer's chat: a factory's phone scans it
from paper or from a screen passed on. segno is pure Python and writes the same PNG bytes for
the same link, so a version's PDF is the same whenever it is rendered."""

from __future__ import annotations

from io import BytesIO

import segno


def qr_png(url: str, scale: int = 8) -> bytes:
    """Black on white with the standard quiet zone of four modules; error correction M
    (15 %), enough for a crease in a printed page."""
    out = BytesIO()
    segno.make_qr(url, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
