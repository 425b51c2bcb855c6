"""The progress chart a buyer or a factory sees on a phone: a PNG in their language, every
word from the catalog, Chinese drawn with the bundled font, and the CLI that writes it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont
from PIL import Image

from bot.app import build_app
from bot.cli.followup import main
from bot.config import load_config
from handlers.analysis.progress import ProgressChart, progress_chart, reports_chart
from handlers.intake.reports import read_report
from handlers.commands import PostVisit
from handlers.model import Role, Thresholds
from messages import canvas
from messages import chart as renderer
from messages.chart import ChartLabels, chart_labels, draw, overlap, render_chart
from messages.fonts import font_path
from messages.i18n import CHINESE, ENGLISH, Language
from tests.conftest import (EXAMPLE_CONFIG, EXAMPLE_ITEMS_VISIT, EXAMPLE_VISIT, ROOT, actor, example_config_file,
                            example_report)
from tests.fakes import FakeClock, RecordingConsole, Transcript
from tests.test_progress_chart import EVERGREEN, first_visit, stored

ZH = Language(CHINESE)


def example_chart(example_data: dict, production_start: date | None = None, **changes) -> ProgressChart:
    """The example visit; with `production_start` (the example order's is 2 Nov), a plan to draw."""
    return progress_chart([stored(example_data, **changes)], EVERGREEN, Thresholds(), production_start)


def png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(BytesIO(data))
    image.load()
    return image


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {rgb for _, rgb in image.convert("RGB").getcolors(maxcolors=1 << 20)}


def near(colour: str, found: set[tuple[int, int, int]]) -> bool:
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return any(all(abs(a - b) <= 6 for a, b in zip(rgb, wanted, strict=True)) for rgb in found)


@pytest.mark.parametrize("locale", [ENGLISH, "en_GB", CHINESE])
def test_the_example_chart_is_a_phone_sized_png_with_every_series_drawn(example_data, locale) -> None:
    image = png(render_chart(example_chart(example_data, date(2026, 11, 2)), Language(locale)))

    assert image.size == (renderer.WIDTH_PX, renderer.HEIGHT_PX) == (1080, 720)
    found = colours(image)
    assert len(found) > 50  # lines, markers and anti-aliased text, not a blank canvas
    for series in ("verified", "reported", "plan", "projection", "packaging", "at_risk", "missed"):
        assert near(renderer.COLOURS[series], found), series


def test_a_chinese_reader_gets_every_label_from_the_catalog(example_data) -> None:
    labels = chart_labels(example_chart(example_data), ZH)

    assert labels.title == "PO-2026-0142 · 生产进度"
    assert labels.status == "有风险"
    assert labels.plan == "计划进度（至尾期检验）"
    assert labels.verified == "验货员核实进度：48.0%"
    assert labels.reported == "工厂报告进度：65.0%"
    assert labels.projection == "按当前产能预计（日产200件）"
    assert labels.packaging == "包装材料检查点 40%：未到厂"
    assert labels.packaging_reached == "11月24日到达检查点"  # the red marker's legend entry
    assert labels.final_inspection == "尾期检验 12月14日"
    assert labels.ex_factory == "出厂日期 12月18日"
    assert labels.gap == "进度差异17.0个百分点"
    assert labels.completion == "12月12日"
    assert labels.y_ticks[2] == (40, "40%")
    assert all(text.endswith("日") for _, text in labels.x_ticks)


def test_an_english_reader_gets_dates_in_their_locale(example_data) -> None:
    figures = example_chart(example_data)
    us, gb = chart_labels(figures, Language(ENGLISH)), chart_labels(figures, Language("en_GB"))

    assert us.title == "PO-2026-0142 · production progress" and us.status == "At risk"
    assert us.final_inspection == "Final inspection Dec 14" and gb.final_inspection == "Final inspection 14 Dec"
    assert us.verified == "Verified: 48.0 %" and us.gap == "gap 17.0 pts"
    assert us.packaging == "Packaging check at 40 %: materials missing"
    # The chart's Nov 24 – Dec 18 widened to Nov 16 – Dec 20: two days on the right, and on the
    # left ⌈0.27 × 28⌉ = 8 days for the gap label. Mondays a week apart, none on the very edge.
    assert renderer.x_range(figures) == (date(2026, 11, 16), date(2026, 12, 20))
    assert [day for day, _ in us.x_ticks] == [date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30),
                                             date(2026, 12, 7), date(2026, 12, 14)]


def test_chinese_is_drawn_with_the_bundled_font_never_as_empty_boxes(example_data) -> None:
    figures = example_chart(example_data)
    chinese = render_chart(figures, ZH)
    english = render_chart(figures, Language(ENGLISH))

    assert chinese != english
    labels = chart_labels(figures, ZH)
    # The picture follows the labels it is given, and nothing else.
    assert draw(figures, labels) == chinese
    # The chart letters in the bundled font, which has a glyph for every character the Chinese
    # chart shows: Pillow would draw a missing one as the font's empty box, silently.
    assert Path(canvas.font(renderer.TEXT_PX * canvas.SCALE).path) == font_path()
    with TTFont(font_path(), lazy=True) as bundled:
        glyphs = bundled.getBestCmap()
    shown = {character for text in words(labels) for character in text if not character.isspace()}
    assert len(shown) > 30 and [c for c in sorted(shown) if ord(c) not in glyphs] == []


def words(labels: ChartLabels) -> list[str]:
    """Every text of the labels, ticks included."""
    found = []
    for value in vars(labels).values():
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(text for _, text in value)
    return found


def test_stalled_production_and_a_visit_after_the_final_inspection_still_draw(example_data) -> None:
    stalled = example_chart(example_data, progress__daily_output=0)
    after = progress_chart(
        [stored(example_data, visit__date=date(2026, 12, 16), progress__counted_complete=5400)],
        EVERGREEN,
        Thresholds(),
    )
    before_checkpoint = progress_chart([first_visit(example_data)], EVERGREEN, Thresholds())

    for figures in (stalled, after, before_checkpoint):
        for language in (Language(ENGLISH), ZH):
            assert png(render_chart(figures, language)).size == (1080, 720)
    assert chart_labels(stalled, ZH).projection == "生产停滞：日产量为零" and chart_labels(stalled, ZH).completion is None
    assert chart_labels(before_checkpoint, Language(ENGLISH)).packaging == (
        "Packaging check at 40 %: materials not yet on site"
    )


def test_the_cli_charts_a_report_file(tmp_path: Path) -> None:
    out = tmp_path / "chart.png"
    result = CliRunner().invoke(main, ["chart", "--report", str(EXAMPLE_VISIT / "report.yaml"), "--out", str(out),
                                       "--locale", "zh", "--config", str(EXAMPLE_CONFIG)])

    assert result.exit_code == 0, result.output
    assert "PO-2026-0142 (1 visit)" in result.output
    assert png(out.read_bytes()).size == (1080, 720)


def test_the_cli_charts_every_stored_visit_of_an_order(config, tmp_path: Path) -> None:
    asyncio.run(post_the_example(config))
    config_file = example_config_file(tmp_path / "followup.toml", config.storage.url)
    out = tmp_path / "chart.png"
    runner = CliRunner()

    found = runner.invoke(main, ["chart", "po-2026-0142", "--out", str(out), "--config", str(config_file)])
    unknown = runner.invoke(main, ["chart", "PO-2099-0001", "--out", str(out), "--config", str(config_file)])
    neither = runner.invoke(main, ["chart", "--out", str(out), "--config", str(config_file)])

    assert found.exit_code == 0, found.output
    assert "PO-2026-0142 (1 visit)" in found.output and png(out.read_bytes()).size == (1080, 720)
    assert unknown.exit_code == 2 and "no visit of order 'PO-2099-0001'" in unknown.output
    assert neither.exit_code == 2 and "REFERENCE or --report" in neither.output


async def post_the_example(config) -> None:
    app = await build_app(config, FakeClock(), RecordingConsole(Transcript()))
    try:
        report, photos = example_report(config)
        reply = await app.bus.handle(PostVisit(report, photos), actor(config, Role.INSPECTOR))
        assert reply.ok
    finally:
        await app.close()


def test_the_bot_starts_without_pillow_and_a_chart_is_drawn_without_matplotlib(tmp_path: Path) -> None:
    """Pillow is imported when the first chart is drawn, and matplotlib (two thirds of a first
    chart's time, when the chart was drawn with it) never is."""
    out = tmp_path / "chart.png"
    probe = (
        "import sys, bot.cli.followup, bot.app, messages.chart\n"
        "print('PIL' in sys.modules)\n"
        f"bot.cli.followup.main(['chart', '--report', {str(EXAMPLE_VISIT / 'report.yaml')!r}, '--out', {str(out)!r},"
        f" '--locale', 'zh', '--config', {str(EXAMPLE_CONFIG)!r}], standalone_mode=False)\n"
        "print('PIL' in sys.modules, 'matplotlib' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[0] == "False" and result.stdout.splitlines()[-1] == "True False"
    assert png(out.read_bytes()).size == (1080, 720)


def test_the_packaging_checkpoint_marker_has_a_legend_entry_and_no_start_draws_no_plan(example_data) -> None:
    labels = chart_labels(example_chart(example_data), Language(ENGLISH))
    assert labels.packaging_reached == "Checkpoint reached Nov 24"
    assert chart_labels(example_chart(example_data, progress__counted_complete=600), Language(ENGLISH)
                        ).packaging_reached is None  # 10 %: the checkpoint lies ahead, no marker

    without_start = progress_chart([stored(example_data)], EVERGREEN, Thresholds())
    found = colours(png(render_chart(without_start, Language(ENGLISH))))
    assert without_start.plan is None and near(renderer.COLOURS["missed"], found)


def charts_of_every_shape(example_data) -> list[ProgressChart]:
    """The example finished every few days from 2 Dec to 4 Jan (before, on and after both the
    final inspection, 14 Dec, and the ex-factory date, 18 Dec), stalled, visited after the final
    inspection, with a plan and without; and the order of three items, late by its slowest."""
    shapes = [example_chart(example_data, start, progress__daily_output=output)
              for output in range(90, 400, 7) for start in (None, date(2026, 11, 2))]
    shapes.append(example_chart(example_data, progress__daily_output=0))
    shapes.append(example_chart(example_data, visit__date=date(2026, 12, 16), progress__counted_complete=5400))
    config = load_config(EXAMPLE_CONFIG)
    with read_report(EXAMPLE_ITEMS_VISIT / "report.yaml", [f.id for f in config.factories]) as checked:
        report = checked.report
    shapes.append(reports_chart([report], config.factory(report.order.factory), config.analysis))
    return shapes


@pytest.mark.parametrize("locale", [ENGLISH, CHINESE])
def test_no_word_on_the_chart_crosses_a_date_line_or_another_word(example_data, locale) -> None:
    """The projection's completion day, the gap, the items' codes and the two dates above the
    plot: each note's box clear of the final-inspection and ex-factory lines, the gap bracket
    and every other note (the layout `draw` follows, not its pixels)."""
    language = Language(locale)
    completions = set()
    for figures in charts_of_every_shape(example_data):
        placed = renderer.layout(figures, chart_labels(figures, language))
        boxes = [note.box for note in placed.notes]
        crossing = [(note.text, line) for note in placed.notes for line in placed.lines if overlap(note.box, line)]
        touching = [(a.text, b.text) for i, a in enumerate(placed.notes) for b in placed.notes[i + 1:]
                    if overlap(a.box, b.box)]
        assert crossing == [] and touching == [], (figures.projection.completion, figures.latest.day)
        assert len(boxes) == 2 + len(figures.items) + (figures.latest.gap_pts >= renderer.MIN_GAP_PTS_LABELLED) + (
            figures.projection.completion is not None)
        completions.add(figures.projection.completion)
    assert {date(2026, 12, 14), date(2026, 12, 18)} <= completions  # on either line, not only near it


def test_the_completion_day_moves_off_the_final_inspection_line_it_would_cross(example_data) -> None:
    """12 Dec centred on its point ran over the final-inspection line two days later: it goes
    left of the point, where nothing is in the way."""
    figures = example_chart(example_data, date(2026, 11, 2))
    placed = renderer.layout(figures, chart_labels(figures, Language("en_GB")))
    (completion,) = [note for note in placed.notes if note.text == "12 Dec"]
    end = placed.frame.x(figures.projection.completion)
    assert completion.anchor == "rd" and completion.at[0] == end < placed.final_inspection[0]
