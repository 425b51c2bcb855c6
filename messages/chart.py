"""An order's progress chart as a PNG, sized and lettered to be read on a phone.

`chart_labels` puts every word and date in the reader's language (gettext msgids, Babel
dates); `draw` lays the figures and those labels out with matplotlib, imported on first
use so the bot and the CLI start without it. The font is Noto Sans SC for both languages,
so Chinese never falls back to empty boxes on a machine with no fonts installed.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from io import BytesIO

from handlers.analysis.progress import ProgressChart
from handlers.catalog import N_
from messages import wording
from messages.fonts import font_path
from messages.i18n import Language

WIDTH_PX, HEIGHT_PX, DPI = 1080, 720, 150  # 1 pt = 2.08 px: 13 pt text is 27 px tall, readable on a phone
PAD_DAYS = 2
ROOM_FOR_GAP_LABEL = 0.27  # share of the width left of the newest visit that its gap label needs
MAX_X_TICKS = 7
AXES = (0.085, 0.265, 0.885, 0.53)  # left, bottom, width, height: room below for LEGEND_ROWS rows of two
LEGEND_ROWS, LEGEND_ROW = 3, 0.055
MIN_GAP_PTS_LABELLED = 5  # a smaller gap is too short to bracket; the legend still gives both figures
# rc_context changes matplotlib's process-wide rcParams: two charts drawn at once in threads
# of one process would mix their styles, so one is drawn at a time (the bot draws in its CPU
# pool's processes, one job each; a caller with threads of its own is kept safe all the same).
_DRAWING = threading.Lock()

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
    "text": "#1A1A1A",
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


def draw(chart: ProgressChart, labels: ChartLabels) -> bytes:
    """The chart as PNG bytes, WIDTH_PX × HEIGHT_PX."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _DRAWING, rc_context(_style()):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        FigureCanvasAgg(figure)
        _header(figure, chart, labels)
        axes = figure.add_axes(AXES)
        _frame(axes, chart, labels)
        handles = _series(axes, chart, labels)
        extra_rows = max(math.ceil(len(handles) / 2) - LEGEND_ROWS, 0)  # an order's items add a row
        if extra_rows:
            left, bottom, width, height = AXES
            axes.set_position((left, bottom + extra_rows * LEGEND_ROW, width, height - extra_rows * LEGEND_ROW))
        _dates(axes, chart, labels)
        figure.legend(
            handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=2, frameon=False,
            handlelength=2.2, columnspacing=1.2, handletextpad=0.5, borderaxespad=0.3, fontsize=12,
        )
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


@cache
def font_family() -> str:
    """The chart font, registered with matplotlib once per process (the CPU pool's fork server
    does it for its workers: bot/cpu_preload.py)."""
    from matplotlib import font_manager

    path = str(font_path())
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def _style() -> dict:
    return {
        "font.family": font_family(),
        # Codes, names and references come from reports: "SD-$x^2$" is an item code, never a formula
        "text.parse_math": False,
        "font.size": 12,
        "axes.unicode_minus": False,
        "axes.edgecolor": "#9A9A9A",
        "text.color": COLOURS["text"],
        "xtick.color": COLOURS["text"],
        "ytick.color": COLOURS["text"],
        "xtick.labelsize": 11.5,
        "ytick.labelsize": 11.5,
    }


def _header(figure, chart: ProgressChart, labels: ChartLabels) -> None:
    figure.text(0.03, 0.965, labels.title, fontsize=19, va="top", ha="left")
    figure.text(
        0.97, 0.965, labels.status, fontsize=16, va="top", ha="right", color="white",
        bbox={"boxstyle": "round,pad=0.4", "facecolor": COLOURS[chart.status.value], "edgecolor": "none"},
    )


def _frame(axes, chart: ProgressChart, labels: ChartLabels) -> None:
    axes.set_xlim(*x_range(chart))
    axes.set_ylim(0, 112)
    axes.set_yticks([v for v, _ in labels.y_ticks], [text for _, text in labels.y_ticks])
    axes.set_xticks([d for d, _ in labels.x_ticks], [text for _, text in labels.x_ticks])
    axes.grid(True, color=COLOURS["grid"], linewidth=1)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _series(axes, chart: ProgressChart, labels: ChartLabels) -> list:
    days = [p.day for p in chart.visits]
    plan = []
    if chart.plan is not None:
        plan = axes.plot(
            [chart.plan.start, chart.plan.end], [chart.plan.start_pct, chart.plan.end_pct],
            color=COLOURS["plan"], linestyle=(0, (5, 3)), linewidth=2, label=labels.plan,
        )
    line = chart.projection.line
    projection = axes.plot(
        [line.start, line.end], [line.start_pct, line.end_pct],
        color=COLOURS["projection"], linestyle=(0, (1, 1.5)), linewidth=3, label=labels.projection,
    )
    reported = axes.plot(
        days, [p.reported_pct for p in chart.visits],
        color=COLOURS["reported"], marker="s", markersize=8, linewidth=2, label=labels.reported,
    )
    verified = axes.plot(
        days, [p.verified_pct for p in chart.visits],
        color=COLOURS["verified"], marker="o", markersize=9, linewidth=2.5, label=labels.verified, zorder=4,
    )
    packaging = axes.axhline(
        chart.packaging.threshold_pct, color=COLOURS["packaging"], linestyle=(0, (6, 2, 1.5, 2)), linewidth=1.8,
        label=labels.packaging, zorder=1,
    )
    _gap(axes, chart, labels)
    items = _items(axes, chart, labels)
    reached = _packaging_mark(axes, chart, labels)
    if labels.completion is not None:
        first, last = x_range(chart)
        near_the_edge = (last - line.end).days < 0.1 * (last - first).days
        axes.annotate(
            labels.completion, (line.end, line.end_pct), xytext=(0, 5), textcoords="offset points",
            ha="right" if near_the_edge else "center", va="bottom", fontsize=11.5, color=COLOURS["projection"],
            bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
    return [*verified, *items, *reported, *plan, *projection, packaging, *reached]


def _items(axes, chart: ProgressChart, labels: ChartLabels) -> list:
    """Each item of an order of several at the newest visit, beside the order's own point: the
    item that lags shows below it, however the sums average it away."""
    if not chart.items:
        return []
    for item in chart.items:  # each diamond's code beside it, so the reader tells which item lags
        axes.annotate(
            item.code, (chart.latest.day, item.verified_pct), xytext=(7, 0), textcoords="offset points",
            ha="left", va="center", fontsize=8.5, color=COLOURS["verified"], zorder=3,
            bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
        )
    return axes.plot(
        [chart.latest.day] * len(chart.items), [i.verified_pct for i in chart.items], marker="D", markersize=7,
        color=COLOURS["items"], markeredgecolor="white", linestyle="none", zorder=3, label=labels.items,
    )


def _gap(axes, chart: ProgressChart, labels: ChartLabels) -> None:
    latest = chart.latest
    if latest.gap_pts < MIN_GAP_PTS_LABELLED:
        return
    axes.annotate(
        "", (latest.day, latest.verified_pct), xytext=(latest.day, latest.reported_pct),
        arrowprops={"arrowstyle": "<->", "color": "#555555", "linewidth": 1.3, "shrinkA": 7, "shrinkB": 7},
    )
    axes.annotate(
        labels.gap, (latest.day, (latest.verified_pct + latest.reported_pct) / 2), xytext=(-8, 0),
        textcoords="offset points", ha="right", va="center", fontsize=11.5, color="#444444", zorder=6,
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
    )


def _packaging_mark(axes, chart: ProgressChart, labels: ChartLabels) -> list:
    """The day production crossed the checkpoint, green with the materials there, red without."""
    checkpoint = chart.packaging
    if checkpoint.reached_on is None:
        return []
    return axes.plot(
        [checkpoint.reached_on], [checkpoint.threshold_pct], marker="X" if checkpoint.missed else "P",
        markersize=12, color=COLOURS["missed" if checkpoint.missed else "met"], markeredgecolor="white",
        linestyle="none", zorder=5, label=labels.packaging_reached,
    )


def _dates(axes, chart: ProgressChart, labels: ChartLabels) -> None:
    """The final-inspection and ex-factory lines, labelled above the plot on two rows so
    the labels never collide however close the dates are."""
    first, last = x_range(chart)
    for day, text, colour, raise_pt, style in (
        (chart.final_inspection, labels.final_inspection, COLOURS["final_inspection"], 3, "solid"),
        (chart.ex_factory, labels.ex_factory, COLOURS["ex_factory"], 21, (0, (4, 2))),
    ):
        axes.axvline(day, color=colour, linestyle=style, linewidth=1.8, zorder=2)
        right_half = (day - first).days > (last - first).days / 2
        axes.annotate(
            text, (day, 1), xycoords=("data", "axes fraction"), xytext=(0, raise_pt), textcoords="offset points",
            ha="right" if right_half else "left", va="bottom", fontsize=11.5, color=colour, annotation_clip=False,
        )
