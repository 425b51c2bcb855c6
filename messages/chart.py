"""An order's progress chart as a PNG, sized and lettered to be read on a phone.

`chart_labels` puts every word and date in the reader's language (gettext msgids, Babel
dates); `draw` lays the figures and those labels out on a Pillow canvas (messages/canvas.py),
which starts in milliseconds where matplotlib took some 300 ms to import. The font is Noto
Sans SC for both languages, so Chinese never falls back to empty boxes on a machine with no
fonts installed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from handlers.analysis.progress import ProgressChart
from handlers.catalog import N_
from messages import wording
from messages.i18n import Language

if TYPE_CHECKING:  # Pillow is imported when a chart is drawn: the bot's own process never draws one
    from messages.canvas import Box, Canvas, Point

WIDTH_PX, HEIGHT_PX = 1080, 720
# Text sizes in pixels of the 1080 px wide PNG: a phone shows it some 400 px wide, so 24 px
# letters read as 9 px ones, the smallest a phone's own small print uses.
TITLE_PX, STATUS_PX, LEGEND_PX, TEXT_PX, ITEM_CODE_PX = 40, 33, 25, 24, 18
PLOT: Box = (92, 148, 1048, 529)  # left, top, right, bottom: room above for the dates' two rows, below for the legend
Y_TOP = 112  # percent at the plot's top: room over 100 % for the completion day
TICK = 7.5  # a tick's length, and the gap between it and its label
GAP_CLEARANCE, GAP_LABEL_OFFSET = 14.5, 16.5  # the gap bracket stops short of the markers it joins; its label beside it
ARROW_HEAD = 9  # the length of the gap bracket's heads
PAD_DAYS = 2
ROOM_FOR_GAP_LABEL = 0.27  # share of the width left of the newest visit that its gap label needs
MAX_X_TICKS = 7
LEGEND_ROWS, LEGEND_ROW, LEGEND_BOTTOM = 3, 40, 17.5  # rows of two below the plot; more move the plot up
HANDLE, HANDLE_PAD, COLUMN_SPACING = 55, 12.5, 30  # a legend entry's line sample, its gap to the text, between columns
LEGEND_MARGIN = 16  # the least room left and right of the legend
MIN_GAP_PTS_LABELLED = 5  # a smaller gap is too short to bracket; the legend still gives both figures
DATE_LINE = 3.75  # the final-inspection and ex-factory lines' width
LINE_CLEARANCE = 4  # the least room between a word's box and a vertical line

TITLE = N_("%(order)s · production progress")
PLAN = N_("Plan to the final inspection")
VERIFIED = N_("Verified: %(pct)s")
REPORTED = N_("Reported by factory: %(pct)s")
PROJECTION = N_("Projection at %(rate)s units/day")
ITEM_PROJECTION = N_("Projection: item %(item)s at %(rate)s units/day")
STALLED = N_("Stalled: no daily output")
GAP = N_("gap %(gap)s pts")
PACKAGING_MISSED = N_("Packaging check at %(pct)s: materials missing")
PACKAGING_MET = N_("Packaging check at %(pct)s: materials on site")
PACKAGING_PENDING = N_("Packaging check at %(pct)s: materials not yet on site")
PACKAGING_REACHED = N_("Checkpoint reached %(day)s")
ITEMS = N_("Items, verified")
LAST_ITEM = N_("%(day)s, item %(item)s")
FINAL_INSPECTION = N_("Final inspection")
EX_FACTORY = N_("Ex-factory")

COLOURS = {
    "plan": "#6E6E6E",
    "verified": "#0072B2",
    "reported": "#E69F00",
    "projection": "#CC3D8F",
    "packaging": "#8A6A14",
    "final_inspection": "#1A1A1A",
    "ex_factory": "#B22222",
    "on_track": "#1B8A3A",
    "at_risk": "#C77700",
    "late": "#C62828",
    "missed": "#C62828",
    "met": "#1B8A3A",
    "items": "#56B4E9",
    "grid": "#E4E4E4",
    "spine": "#9A9A9A",
    "gap": "#555555",
    "gap_label": "#444444",
    "text": "#1A1A1A",
    "label_box": "#FFFFFFD9",  # white at 85 %: a line under a label still shows
}


@dataclass(frozen=True)
class Pen:
    """How a series is drawn, on the plot and in its legend entry; sizes in pixels, a width
    of 0 for markers alone, `dash` the on and off lengths of a dashed line."""

    colour: str
    width: float = 0
    dash: tuple[float, ...] = ()
    marker: str | None = None
    marker_size: float = 0
    edge: str | None = None


PENS = {
    "plan": Pen(COLOURS["plan"], 4.2, (21, 12.5)),
    "projection": Pen(COLOURS["projection"], 6.3, (6.3, 9.4)),
    "reported": Pen(COLOURS["reported"], 4.2, marker="s", marker_size=17),
    "verified": Pen(COLOURS["verified"], 5.2, marker="o", marker_size=19),
    "packaging": Pen(COLOURS["packaging"], 3.75, (22.5, 7.5, 5.6, 7.5)),
    "items": Pen(COLOURS["items"], marker="D", marker_size=15, edge="white"),
}


@dataclass(frozen=True)
class ChartLabels:
    """Every word and date the chart shows, in one language; `draw` adds none of its own."""

    title: str
    status: str
    plan: str
    verified: str
    reported: str
    projection: str
    packaging: str
    packaging_reached: str | None  # the checkpoint's marker; None: not reached yet
    final_inspection: str
    ex_factory: str
    gap: str
    completion: str | None  # with the item it waits for, when the order has several
    items: str | None  # the items' markers; None: one item
    x_ticks: tuple[tuple[date, str], ...]
    y_ticks: tuple[tuple[int, str], ...]


def render_chart(chart: ProgressChart, language: Language) -> bytes:
    return draw(chart, chart_labels(chart, language))


def chart_labels(chart: ProgressChart, language: Language) -> ChartLabels:
    _ = language.gettext
    latest = chart.latest
    completion = chart.projection.completion
    threshold = chart.packaging.threshold_pct

    rate = language.number(chart.projection.daily_output)
    if completion is None:
        projection = _(STALLED)
    elif chart.projection.item is None:
        projection = _(PROJECTION) % {"rate": rate}
    else:
        projection = _(ITEM_PROJECTION) % {"item": chart.projection.item, "rate": rate}
    return ChartLabels(
        title=_(TITLE) % {"order": chart.reference},
        status=wording.word(language, "status", chart.status),
        plan=_(PLAN),
        verified=_(VERIFIED) % {"pct": language.percent(latest.verified_pct)},
        reported=_(REPORTED) % {"pct": language.percent(latest.reported_pct)},
        projection=projection,
        packaging=_(_packaging_msgid(chart)) % {"pct": language.percent(threshold, 0 if threshold.is_integer() else 1)},
        packaging_reached=None if chart.packaging.reached_on is None
        else _(PACKAGING_REACHED) % {"day": language.day_month(chart.packaging.reached_on)},
        final_inspection=f"{_(FINAL_INSPECTION)} {language.day_month(chart.final_inspection)}",
        ex_factory=f"{_(EX_FACTORY)} {language.day_month(chart.ex_factory)}",
        gap=_(GAP) % {"gap": language.number(latest.gap_pts, 1)},
        completion=None if completion is None else _completion(language, completion, chart.projection.item),
        items=_(ITEMS) if chart.items else None,
        x_ticks=tuple((day, language.day_month(day)) for day in x_ticks(chart)),
        y_ticks=tuple((value, language.percent(value, 0)) for value in range(0, 101, 20)),
    )


def _completion(language: Language, completion: date, item: str | None) -> str:
    day = language.day_month(completion)
    return day if item is None else language.gettext(LAST_ITEM) % {"day": day, "item": item}


def _packaging_msgid(chart: ProgressChart) -> str:
    if chart.packaging.missed:
        return PACKAGING_MISSED
    return PACKAGING_MET if chart.packaging.materials_on_site else PACKAGING_PENDING


def x_range(chart: ProgressChart) -> tuple[date, date]:
    """The dates the x axis spans: the chart's, a little wider, and on the left wide enough
    for the newest visit's gap label."""
    span = (chart.end - chart.start).days + 2 * PAD_DAYS
    room = 0
    if chart.latest.gap_pts >= MIN_GAP_PTS_LABELLED:
        room = math.ceil(ROOM_FOR_GAP_LABEL * span) - (chart.latest.day - chart.start).days
    return chart.start - timedelta(days=max(PAD_DAYS, room)), chart.end + timedelta(days=PAD_DAYS)


def x_ticks(chart: ProgressChart) -> tuple[date, ...]:
    """Mondays a whole number of weeks apart (every few days on a short chart), at most
    MAX_X_TICKS, so the date labels never run into each other on a phone."""
    first, last = x_range(chart)
    span = (last - first).days
    if span <= 14:
        step, day = max(1, math.ceil(span / MAX_X_TICKS)), first
    else:
        step = 7 * math.ceil(span / (7 * MAX_X_TICKS))
        day = first + timedelta(days=-first.weekday() % 7)
    ticks = []
    while day <= last - timedelta(days=span // 20):  # a label centred on the right edge would be cut
        ticks.append(day)
        day += timedelta(days=step)
    return tuple(ticks)


def load_fonts() -> None:
    """Every size of the font the chart is lettered in, loaded ahead of its first chart: the
    CPU pool's fork server does it for its workers (bot/cpu_warm.py)."""
    from messages.canvas import SCALE, font

    for size in (TITLE_PX, STATUS_PX, LEGEND_PX, TEXT_PX, ITEM_CODE_PX):
        font(size * SCALE)


def draw(chart: ProgressChart, labels: ChartLabels) -> bytes:
    """The chart as PNG bytes, WIDTH_PX × HEIGHT_PX."""
    from messages.canvas import Canvas

    canvas = Canvas(WIDTH_PX, HEIGHT_PX)
    placed = layout(chart, labels)
    _grid(canvas, placed.frame, labels)
    _series(canvas, placed, chart)
    _axes(canvas, placed.frame, labels)
    for note in placed.notes:
        canvas.text(note.at, note.text, note.size, note.colour, note.anchor, box=note.background, pad=note.pad)
    _header(canvas, chart, labels)
    _legend(canvas, placed.legend)
    return canvas.png()


@dataclass(frozen=True)
class _Frame:
    """The plot's box on the canvas and the dates and percentages it spans."""

    first: date
    last: date
    box: Box

    def x(self, day: date) -> float:
        left, _, right, _ = self.box
        return left + (day - self.first).days / (self.last - self.first).days * (right - left)

    def y(self, pct: float) -> float:
        _, top, _, bottom = self.box
        return bottom - pct / Y_TOP * (bottom - top)

    def at(self, day: date, pct: float) -> Point:
        return self.x(day), self.y(pct)


@dataclass(frozen=True)
class Note:
    """A word on or over the plot: drawn at `at` by `anchor`, on a box of `background` (none:
    bare) `pad` pixels wider all round; `box` is what it covers, padding included."""

    text: str
    at: Point
    anchor: str
    size: float
    colour: str
    box: Box
    background: str | None = None
    pad: float = 0


@dataclass(frozen=True)
class Layout:
    """Where `draw` puts things, worked out before anything is drawn: the plot's frame, the
    vertical lines (final inspection, ex-factory, the gap bracket) as the boxes they cover
    with a margin, and the notes, each where its box crosses none of those lines and no note
    placed before it. Data, so that tests hold every shape of chart to that."""

    frame: _Frame
    final_inspection: Box
    ex_factory: Box
    bracket: Box | None  # None: the gap is too small to bracket
    notes: tuple[Note, ...]
    legend: list[tuple[str, Pen]]

    @property
    def lines(self) -> tuple[Box, ...]:
        return tuple(line for line in (self.final_inspection, self.ex_factory, self.bracket) if line is not None)


def layout(chart: ProgressChart, labels: ChartLabels) -> Layout:
    """The frame, lines and notes of `chart` lettered with `labels`; its legend's entries."""
    legend = _legend_entries(chart, labels)
    extra_rows = max(math.ceil(len(legend) / 2) - LEGEND_ROWS, 0)  # an order's items add a row
    left, top, right, bottom = PLOT
    frame = _Frame(*x_range(chart), (left, top, right, bottom - extra_rows * LEGEND_ROW))
    dates = [_vertical(frame, day) for day in (chart.final_inspection, chart.ex_factory)]
    latest = chart.latest
    bracket = None
    if latest.gap_pts >= MIN_GAP_PTS_LABELLED:
        bracket = _bracket(frame.x(latest.day), frame.y(latest.reported_pct), frame.y(latest.verified_pct))
    lines = Layout(frame, *dates, bracket, (), legend)
    notes = _Notes(frame, lines.lines)
    _place_notes(notes, chart, labels)
    return replace(lines, notes=tuple(notes.placed))


def _vertical(frame: _Frame, day: date) -> Box:
    """What a date's line covers, with the room a word keeps from it."""
    x, (_, top, _, bottom) = frame.x(day), frame.box
    half = DATE_LINE / 2 + LINE_CLEARANCE
    return x - half, top, x + half, bottom


def _plot(canvas: Canvas, points: list[Point], pen: Pen) -> None:
    if pen.width:
        canvas.line(points, pen.colour, pen.width, pen.dash)
    if pen.marker:
        for point in points:
            canvas.marker(point, pen.marker, pen.marker_size, pen.colour, pen.edge)


def _reached_pen(chart: ProgressChart) -> Pen:
    missed = chart.packaging.missed
    return Pen(COLOURS["missed" if missed else "met"], marker="X" if missed else "P", marker_size=25, edge="white")


def _grid(canvas: Canvas, frame: _Frame, labels: ChartLabels) -> None:
    left, top, right, bottom = frame.box
    for value, _ in labels.y_ticks:
        canvas.line([(left, frame.y(value)), (right, frame.y(value))], COLOURS["grid"], 2)
    for day, _ in labels.x_ticks:
        canvas.line([(frame.x(day), top), (frame.x(day), bottom)], COLOURS["grid"], 2)


def _series(canvas: Canvas, placed: Layout, chart: ProgressChart) -> None:
    """Every line and marker, those drawn later over those before, as matplotlib's z-order did."""
    frame = placed.frame
    left, top, right, bottom = frame.box
    packaging = frame.y(chart.packaging.threshold_pct)
    _plot(canvas, [(left, packaging), (right, packaging)], PENS["packaging"])
    for day, colour, dash in ((chart.final_inspection, COLOURS["final_inspection"], ()),
                              (chart.ex_factory, COLOURS["ex_factory"], (15, 7.5))):
        canvas.line([(frame.x(day), top), (frame.x(day), bottom)], colour, DATE_LINE, dash)
    if chart.plan is not None:
        plan = chart.plan
        _plot(canvas, [frame.at(plan.start, plan.start_pct), frame.at(plan.end, plan.end_pct)], PENS["plan"])
    line = chart.projection.line
    _plot(canvas, [frame.at(line.start, line.start_pct), frame.at(line.end, line.end_pct)], PENS["projection"])
    _plot(canvas, [frame.at(p.day, p.reported_pct) for p in chart.visits], PENS["reported"])
    latest = chart.latest
    _plot(canvas, [frame.at(latest.day, item.verified_pct) for item in chart.items], PENS["items"])
    _plot(canvas, [frame.at(p.day, p.verified_pct) for p in chart.visits], PENS["verified"])
    if placed.bracket is not None:
        _gap_bracket(canvas, placed.bracket)
    if chart.packaging.reached_on is not None:
        _plot(canvas, [frame.at(chart.packaging.reached_on, chart.packaging.threshold_pct)], _reached_pen(chart))


def _bracket(x: float, high: float, low: float) -> Box | None:
    """The box of a double arrow between the reported (`high`) and the verified point (`low`),
    clear of both markers; none when they are too close for its two heads (a gap of a few
    points), where it would turn inside out over the markers: its label still gives the figure."""
    high, low = high + GAP_CLEARANCE, low - GAP_CLEARANCE
    if low - high < 2 * ARROW_HEAD:
        return None
    return x - ARROW_HEAD / 2, high, x + ARROW_HEAD / 2, low


def _gap_bracket(canvas: Canvas, box: Box) -> None:
    left, high, right, low = box
    x = (left + right) / 2
    canvas.line([(x, high), (x, low)], COLOURS["gap"], 2.7)
    for tip, inward in ((high, 1), (low, -1)):
        head = tip + ARROW_HEAD * inward
        canvas.line([(x - ARROW_HEAD / 2, head), (x, tip), (x + ARROW_HEAD / 2, head)], COLOURS["gap"], 2.7)


def _axes(canvas: Canvas, frame: _Frame, labels: ChartLabels) -> None:
    left, top, right, bottom = frame.box
    for value, text in labels.y_ticks:
        canvas.line([(left - TICK, frame.y(value)), (left, frame.y(value))], COLOURS["text"], 1.7)
        canvas.text((left - 2 * TICK, frame.y(value)), text, TEXT_PX, COLOURS["text"], "rm")
    for day, text in labels.x_ticks:
        canvas.line([(frame.x(day), bottom), (frame.x(day), bottom + TICK)], COLOURS["text"], 1.7)
        canvas.text((frame.x(day), bottom + 2 * TICK), text, TEXT_PX, COLOURS["text"], "mt")
    canvas.line([(left, top), (left, bottom), (right, bottom)], COLOURS["spine"], 1.7)


class _Notes:
    """Notes placed one by one, each at the first of its places where its box stays over the
    plot (above it is the dates' rows) and crosses no line and no note placed before it; at
    its first place when none is free."""

    def __init__(self, frame: _Frame, lines: tuple[Box, ...]):
        left, _, right, bottom = frame.box
        self.frame = frame
        self.within: Box = (left, 0, right, bottom)
        self.lines = lines
        self.placed: list[Note] = []

    def add(self, text: str, places: list[tuple[Point, str]], size: float, colour: str,
            background: str | None = COLOURS["label_box"], pad: float = 0) -> None:
        from messages.canvas import text_box

        notes = [Note(text, at, anchor, size, colour, text_box(at, text, size, anchor, pad), background, pad)
                 for at, anchor in places]
        self.placed.append(next((note for note in notes if self._free(note.box)), notes[0]))

    def _free(self, box: Box) -> bool:
        left, top, right, bottom = self.within
        inside = left <= box[0] and box[2] <= right and top <= box[1] and box[3] <= bottom
        return inside and not any(overlap(box, other) for other in [*self.lines, *(n.box for n in self.placed)])


def overlap(one: Box, other: Box) -> bool:
    """True when two boxes share more than an edge."""
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def _place_notes(notes: _Notes, chart: ProgressChart, labels: ChartLabels) -> None:
    """The final-inspection and ex-factory dates above the plot on two rows, so those never
    collide however close the dates are; the items' codes, the gap and the completion day on
    it, each beside what it names on whichever side is free."""
    frame, latest = notes.frame, chart.latest
    top = frame.box[1]
    middle = frame.first + (frame.last - frame.first) / 2
    for day, text, colour, raised in (
        (chart.final_inspection, labels.final_inspection, COLOURS["final_inspection"], 6),
        (chart.ex_factory, labels.ex_factory, COLOURS["ex_factory"], 44),
    ):
        notes.add(text, [((frame.x(day), top - raised), "rd" if day > middle else "ld")], TEXT_PX, colour, None)
    x = frame.x(latest.day)
    for item in chart.items:  # each diamond's code beside it, so the reader tells which item lags
        y = frame.y(item.verified_pct)
        notes.add(item.code, [((x + 14.5, y), "lm"), ((x - 14.5, y), "rm")], ITEM_CODE_PX, COLOURS["verified"], pad=2)
    if latest.gap_pts >= MIN_GAP_PTS_LABELLED:
        # left of the bracket, where x_range made room for it; right of it when a long label
        # (a Chinese one on a short chart) would run over the percentages on the y axis
        y = frame.y((latest.verified_pct + latest.reported_pct) / 2)
        notes.add(labels.gap, [((x - GAP_LABEL_OFFSET, y), "rm"), ((x + GAP_LABEL_OFFSET, y), "lm")], TEXT_PX,
                  COLOURS["gap_label"], pad=3.5)
    if labels.completion is not None:
        line = chart.projection.line
        x, y, pad = frame.x(line.end), frame.y(line.end_pct) - 10.5, 2.5
        # over the line's end, else beside it, else just clear of a line in the way, the nearest first
        clear = [((box[0] - pad, y), "rd") for box in notes.lines] + [((box[2] + pad, y), "ld") for box in notes.lines]
        clear.sort(key=lambda place: abs(place[0][0] - x))
        places = [((x, y), "md"), ((x, y), "rd"), ((x, y), "ld"), *clear]
        notes.add(labels.completion, places, TEXT_PX, COLOURS["projection"], pad=pad)


def _header(canvas: Canvas, chart: ProgressChart, labels: ChartLabels) -> None:
    canvas.text((32, 25), labels.title, TITLE_PX, COLOURS["text"], "lt")
    canvas.text((WIDTH_PX - 32, 25), labels.status, STATUS_PX, "white", "rt",
                box=COLOURS[chart.status.value], pad=13, radius=12)


def _legend_entries(chart: ProgressChart, labels: ChartLabels) -> list[tuple[str, Pen]]:
    entries = [(labels.verified, PENS["verified"]), (labels.items, PENS["items"]),
               (labels.reported, PENS["reported"]), (labels.plan if chart.plan else None, PENS["plan"]),
               (labels.projection, PENS["projection"]), (labels.packaging, PENS["packaging"]),
               (labels.packaging_reached, _reached_pen(chart))]
    return [(text, pen) for text, pen in entries if text is not None]


def _legend(canvas: Canvas, entries: list[tuple[str, Pen]]) -> None:
    """Two columns under the plot, filled down the first, centred as a whole; its letters
    smaller when the longest entries (an item's projection) would not fit the width."""
    rows = math.ceil(len(entries) / 2)
    columns = [entries[:rows], entries[rows:]]
    texts = [max(canvas.text_width(text, LEGEND_PX) for text, _ in column) for column in columns]
    room = WIDTH_PX - 2 * LEGEND_MARGIN - 2 * (HANDLE + HANDLE_PAD) - COLUMN_SPACING
    size = LEGEND_PX * min(1, room / sum(texts))
    widths = [text * size / LEGEND_PX + HANDLE + HANDLE_PAD for text in texts]
    x = (WIDTH_PX - sum(widths) - COLUMN_SPACING) / 2
    for column, width in zip(columns, widths, strict=True):
        for row, (text, pen) in enumerate(column):
            y = HEIGHT_PX - LEGEND_BOTTOM - (rows - row - 0.5) * LEGEND_ROW
            if pen.width:
                canvas.line([(x, y), (x + HANDLE, y)], pen.colour, pen.width, pen.dash)
            if pen.marker:
                canvas.marker((x + HANDLE / 2, y), pen.marker, pen.marker_size, pen.colour, pen.edge)
            canvas.text((x + HANDLE + HANDLE_PAD, y), text, size, COLOURS["text"], "lm")
        x += width + COLUMN_SPACING
