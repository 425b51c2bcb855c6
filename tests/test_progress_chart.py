"""The figures behind an order's progress chart, worked out by hand.

The example visit PO-2026-0142: 6,000 sets, visited Tuesday 2026-11-24, 2,880 counted
(48.0 %) and 3,900 reported (65.0 %) complete, 200 sets a day, final inspection 2026-12-14,
ex-factory 2026-12-18, packaging materials not on site, production started 2026-11-02. The
factory works Monday to Saturday.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from handlers.analysis.progress import Line, progress_chart
from handlers.model import Decision, Factory, Platform, StoredVisit, Thresholds
from handlers.model.report import VisitReport
from handlers.model.verdicts import Status
from tests.conftest import changed

POSTED = Decision("inspector:Chen Jing", datetime(2026, 11, 24, 18, tzinfo=timezone.utc), Platform.CONSOLE)
EVERGREEN = Factory(id="NB-EVERGREEN", name="Ningbo Evergreen Homeware Co., Ltd.", name_zh="宁波常青家居用品有限公司")


def stored(data: dict, visit_id: int = 1, **changes) -> StoredVisit:
    """The example's visit with `changes`; without its production start unless given, as most
    reports come (there is then no plan to draw)."""
    data = changed(data, "order.production_start", None)
    for path, value in changes.items():
        data = changed(data, path.replace("__", "."), value)
    report = VisitReport.model_validate(data)
    return StoredVisit(visit_id, report.order.reference, report.order.factory, report, {}, POSTED)


def first_visit(data: dict) -> StoredVisit:
    """Two weeks earlier, Tuesday 2026-11-10: 1,200 counted (20.0 %), 1,500 reported (25.0 %)."""
    return stored(
        data,
        visit_id=1,
        visit__date=date(2026, 11, 10),
        progress__counted_complete=1200,
        progress__reported_complete=1500,
        progress__in_progress=1000,
        progress__not_started=3800,
        progress__daily_output=180,
    )


def test_the_example_visit_charts_plan_visit_projection_and_dates(example_data) -> None:
    chart = progress_chart([stored(example_data)], EVERGREEN, Thresholds())

    assert chart.reference == "PO-2026-0142"
    assert chart.status is Status.AT_RISK  # completion 2 days before the final inspection: little slack
    assert chart.plan is None  # no production start: nothing to hold the visit against
    assert [(p.day, p.verified_pct, p.reported_pct) for p in chart.visits] == [(date(2026, 11, 24), 48.0, 65.0)]
    assert chart.latest.gap_pts == 17.0
    # 3,120 sets left at 200 a day: 15.6 → 16 working days after Tue 24 Nov, Sundays off:
    # Nov 25 26 27 28, 30, Dec 1 2 3 4 5, 7 8 9 10 11, 12 → Saturday 2026-12-12.
    assert chart.projection.line == Line(date(2026, 11, 24), 48.0, date(2026, 12, 12), 100.0)
    assert chart.projection.completion == date(2026, 12, 12) and not chart.projection.stalled
    assert (chart.final_inspection, chart.ex_factory) == (date(2026, 12, 14), date(2026, 12, 18))
    assert (chart.start, chart.end) == (date(2026, 11, 24), date(2026, 12, 18))
    # 48 % ≥ 40 % with the packaging materials not on site: the checkpoint was missed.
    assert chart.packaging.threshold_pct == 40.0
    assert chart.packaging.reached_on == date(2026, 11, 24)
    assert chart.packaging.missed


def test_a_two_visit_order_projects_from_its_newest_visit(example_data) -> None:
    newest_first = [stored(example_data, visit_id=2), first_visit(example_data)]  # as the store lists them

    chart = progress_chart(newest_first, EVERGREEN, Thresholds())

    assert [(p.day, p.verified_pct, p.reported_pct) for p in chart.visits] == [
        (date(2026, 11, 10), 20.0, 25.0),
        (date(2026, 11, 24), 48.0, 65.0),
    ]
    assert chart.plan is None
    assert chart.projection.line == Line(date(2026, 11, 24), 48.0, date(2026, 12, 12), 100.0)
    assert chart.projection.daily_output == 200  # the newest visit's pace, not the first's 180
    assert chart.start == date(2026, 11, 10)
    # 20 % at the first visit is below the checkpoint; the second visit found 48 % and no materials.
    assert chart.packaging.reached_on == date(2026, 11, 24) and chart.packaging.missed


def test_packaging_on_site_at_the_checkpoint_is_kept_even_if_a_later_visit_lacks_it(example_data) -> None:
    early = stored(example_data, visit_id=1, visit__date=date(2026, 11, 17), packaging__materials_on_site=True)
    later = stored(example_data, visit_id=2, progress__counted_complete=3600, progress__not_started=1200)

    chart = progress_chart([early, later], EVERGREEN, Thresholds(packaging_materials_pct=45))

    assert chart.packaging.reached_on == date(2026, 11, 17)
    assert chart.packaging.materials_on_site and not chart.packaging.missed


def test_before_the_checkpoint_the_newest_visit_tells_whether_materials_are_there(example_data) -> None:
    visit = first_visit(example_data)  # 20 %

    chart = progress_chart([visit], EVERGREEN, Thresholds())

    assert chart.packaging.reached_on is None
    assert not chart.packaging.materials_on_site and not chart.packaging.missed


def test_stalled_production_projects_a_flat_line_to_the_end_of_the_chart(example_data) -> None:
    chart = progress_chart([stored(example_data, progress__daily_output=0)], EVERGREEN, Thresholds())

    assert chart.status is Status.LATE
    assert chart.projection.stalled and chart.projection.completion is None
    assert chart.projection.line == Line(date(2026, 11, 24), 48.0, date(2026, 12, 18), 48.0)


def test_a_visit_after_the_final_inspection_date_has_no_plan_of_its_own(example_data) -> None:
    # Wednesday 2026-12-16, 5,400 counted (90 %): 600 left, 3 working days → Saturday 2026-12-19.
    late = stored(
        example_data,
        visit__date=date(2026, 12, 16),
        progress__counted_complete=5400,
        progress__in_progress=600,
        progress__not_started=0,
    )

    alone = progress_chart([late], EVERGREEN, Thresholds())

    assert alone.plan is None
    assert alone.status is Status.LATE
    assert alone.projection.line == Line(date(2026, 12, 16), 90.0, date(2026, 12, 19), 100.0)
    assert (alone.start, alone.end) == (date(2026, 12, 14), date(2026, 12, 19))  # the missed date stays in view



def test_with_a_production_start_the_plan_runs_from_zero_on_that_day(example_data) -> None:
    chart = progress_chart([stored(example_data, order__production_start=date(2026, 11, 2))], EVERGREEN, Thresholds())

    assert chart.plan == Line(date(2026, 11, 2), 0.0, date(2026, 12, 14), 100.0)
    assert (chart.start, chart.end) == (date(2026, 11, 2), date(2026, 12, 18))
    # 22 of 42 days in, the plan stands at 52.4 %: the 48 % counted is behind it, which a plan
    # starting at the visit itself could not show.
    assert chart.plan.at(date(2026, 11, 24)) == 52.4
    # The order's production start (from the order list) stands in for a report without one.
    from_order = progress_chart([stored(example_data)], EVERGREEN, Thresholds(), production_start=date(2026, 11, 2))
    assert from_order.plan == chart.plan


def test_without_a_production_start_no_plan_is_drawn_so_a_first_visit_never_looks_on_plan(example_data) -> None:
    """A line from what the first visit counted would meet that visit exactly: every order would
    look on plan at its first visit, however far behind it is."""
    behind = first_visit(example_data)  # 20 % three weeks into a six-week order
    assert progress_chart([behind], EVERGREEN, Thresholds()).plan is None
    assert progress_chart([behind, stored(example_data, visit_id=2)], EVERGREEN, Thresholds()).plan is None
    started = progress_chart([behind], EVERGREEN, Thresholds(), production_start=date(2026, 10, 26))
    assert started.plan.at(date(2026, 11, 10)) > 20.0  # with a start, the plan shows it behind
