"""A Pillow drawing surface for the progress chart, in the PNG's own pixels.

Pillow draws without antialiasing, so everything is drawn at SCALE times the size and each
SCALE × SCALE square of pixels is averaged into one at the end: lines, markers and letters come
out as smooth as a plotting library's. (Shrinking with LANCZOS looked the same and took 80 ms
of a 1080 × 720 chart, averaging 5 ms.) Pillow (already needed for photos) and FreeType start in a few
milliseconds, where importing matplotlib took two thirds of a first chart's 470 ms. Text is
drawn with the one bundled font, Noto Sans SC, so Chinese never shows as empty boxes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from messages.fonts import font_path

SCALE = 2
Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, top, right, bottom


@cache
def font(size: float) -> ImageFont.FreeTypeFont:
    """The bundled font at `size` pixels of the drawing (SCALE times the PNG's), loaded once
    per process and size (bot/cpu_warm.py loads the chart's sizes in the CPU pool's fork server)."""
    # FreeType's own layout: the chart needs no shaping, and the picture is the same whether or not
    # the machine has libraqm (Pillow prefers it when it does)
    return ImageFont.truetype(str(font_path()), round(size), layout_engine=ImageFont.Layout.BASIC)


class Canvas:
    """Coordinates, widths and sizes are the PNG's pixels; only `png` shrinks the drawing."""

    def __init__(self, width: int, height: int, background: str = "white"):
        self.size = (width, height)
        self._image = Image.new("RGB", (width * SCALE, height * SCALE), background)
        self._draw = ImageDraw.Draw(self._image, "RGBA")  # a box of "#RRGGBBAA" lets what it covers show through

    def png(self) -> bytes:
        buffer = BytesIO()
        # zlib at level 3: as small a file as the default 6 (~145 kB), in two thirds of the time
        self._image.reduce(SCALE).save(buffer, format="PNG", compress_level=3)
        return buffer.getvalue()

    def line(self, points: Sequence[Point], colour: str, width: float, dash: Sequence[float] = ()) -> None:
        """A polyline; `dash` alternates on and off lengths, in pixels, from its start."""
        scaled = [_scaled(p) for p in points]
        pieces = _dashed(scaled, [d * SCALE for d in dash]) if dash else [scaled]
        for piece in pieces:
            self._draw.line(piece, fill=colour, width=max(1, round(width * SCALE)), joint="curve")

    def rectangle(self, box: Box, colour: str, radius: float = 0) -> None:
        self._draw.rounded_rectangle([c * SCALE for c in box], radius=radius * SCALE, fill=colour)

    def marker(self, centre: Point, shape: str, size: float, colour: str, edge: str | None = None) -> None:
        """A filled marker `size` pixels across ("o", "s", "D", "P", "X"), with a rim of `edge`."""
        if edge is not None:
            self._draw.polygon(_outline(_scaled(centre), shape, (size + 3) * SCALE), fill=edge)
        self._draw.polygon(_outline(_scaled(centre), shape, size * SCALE), fill=colour)

    def text(self, at: Point, text: str, size: float, colour: str, anchor: str = "la",
             box: str | None = None, pad: float = 0, radius: float = 0) -> Box:
        """`text` placed by Pillow's `anchor` at `at`, on a `box` of that colour `pad` pixels
        wider all round; returns where it was drawn, box included, in the PNG's pixels."""
        padded = text_box(at, text, size, anchor, pad)
        if box is not None:
            self.rectangle(padded, box, radius)
        self._draw.text(_scaled(at), text, font=font(size * SCALE), fill=colour, anchor=anchor)
        return padded

    def text_width(self, text: str, size: float) -> float:
        return font(size * SCALE).getlength(text) / SCALE


def text_box(at: Point, text: str, size: float, anchor: str = "la", pad: float = 0) -> Box:
    """Where `Canvas.text` puts `text`, `pad` pixels wider all round, measured without drawing:
    a chart places its words clear of its lines and of each other before it draws any."""
    left, top, right, bottom = font(size * SCALE).getbbox(text, anchor=anchor)
    x, y = at
    return x + left / SCALE - pad, y + top / SCALE - pad, x + right / SCALE + pad, y + bottom / SCALE + pad


def _scaled(point: Point) -> Point:
    return point[0] * SCALE, point[1] * SCALE


def _dashed(points: Sequence[Point], pattern: Sequence[float]) -> list[list[Point]]:
    """The drawn pieces of a polyline dashed by `pattern`, which carries on across its corners."""
    pieces: list[list[Point]] = []
    index, left, on = 0, pattern[0], True
    current: list[Point] = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        length, done = math.hypot(x1 - x0, y1 - y0), 0.0
        while length - done > left:
            done += left
            at = (x0 + (x1 - x0) * done / length, y0 + (y1 - y0) * done / length)
            if on:
                pieces.append([*current, at])
            current = [at]
            index = (index + 1) % len(pattern)
            left, on = pattern[index], not on
        left -= length - done
        if on:
            current.append((x1, y1))
    if on and len(current) > 1:
        pieces.append(current)
    return pieces


def _outline(centre: Point, shape: str, size: float) -> list[Point]:
    """The corners of a marker `size` across, centred on `centre` (a circle as a 32-gon)."""
    x, y = centre
    r = size / 2
    if shape == "o":
        return [(x + r * math.cos(a), y + r * math.sin(a)) for a in (i * math.pi / 16 for i in range(32))]
    if shape == "s":
        return [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
    if shape == "D":
        return [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
    arm = r / 3  # half the width of a plus's or a cross's bar
    plus = [(-arm, -r), (arm, -r), (arm, -arm), (r, -arm), (r, arm), (arm, arm),
            (arm, r), (-arm, r), (-arm, arm), (-r, arm), (-r, -arm), (-arm, -arm)]
    turn = math.pi / 4 if shape == "X" else 0.0
    cos, sin = math.cos(turn), math.sin(turn)
    return [(x + dx * cos - dy * sin, y + dx * sin + dy * cos) for dx, dy in plus]
