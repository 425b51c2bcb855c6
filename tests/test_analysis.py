"""The analysis of one visit, checked on worked examples whose figures are computed by hand.

The story is the example visit PO-2026-0142 (6,000 mug sets, visited Tuesday 2026-11-24,
final inspection 2026-12-14, ex-factory 2026-12-18) and small variations of it: what the
buyer learns about progress, schedule, packaging, materials, the AQL sample, systematic
findings and the options still open. Every expected figure below is worked out in a
comment, never taken from the code under test.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner

from bot.cli.followup import main
from handlers.analysis.analyze import Analysis, analyze
from handlers.model import Factory, Thresholds
from handlers.model.report import Severity, VisitReport
from handlers.model.verdicts import Option, Status
from tests.conftest import EXAMPLE_CONFIG, changed, write_report

MON_SAT = ("mon", "tue", "wed", "thu", "fri", "sat")
MON_FRI = ("mon", "tue", "wed", "thu", "fri")


def factory(working_days: tuple[str, ...] = MON_SAT, holidays: tuple[date, ...] = ()) -> Factory:
    return Factory(
        id="NB-EVERGREEN",
        name="Ningbo Evergreen Homeware Co., Ltd.",
        name_zh="宁波常青家居用品有限公司",
        working_days=working_days,
        holidays=holidays,
    )


def report(data: dict, *changes: tuple[str, object]) -> VisitReport:
    """The example report with each (dotted path, value) change applied in turn."""
    for path, value in changes:
        data = changed(data, path, value)
    return VisitReport.model_validate(data)


def analysed(
    data: dict,
    *changes: tuple[str, object],
    plant: Factory | None = None,
    thresholds: Thresholds | None = None,
) -> Analysis:
    return analyze(report(data, *changes), plant or factory(), thresholds or Thresholds())


def options(analysis: Analysis) -> dict[Option, tuple[str, ...]]:
    return dict(analysis.options)


def by_severity(analysis: Analysis, severity: Severity):
    return next(r for r in analysis.quality.by_severity if r.severity is severity)


# An order that is fine: everything counted as reported, materials and packaging on site,
# a full sample of 200 checked with nothing found, no instruction proposed, and plenty of time.
ON_TRACK = (
    ("visit.sample_size", 200),
    ("progress.reported_complete", 4800),
    ("progress.counted_complete", 4800),
    ("progress.in_progress", 0),
    ("progress.not_started", 1200),
    ("progress.daily_output", 400),
    ("materials", [{"name": "Stoneware clay body", "status": "on_site"}]),
    ("findings", []),
    ("packaging", {"materials_on_site": True, "checks": []}),
)


# --- progress -------------------------------------------------------------------------


def test_the_example_shows_the_factory_ahead_of_the_count(example_data):
    progress = analysed(example_data).progress

    # reported 3900/6000 = 65.0 %, counted 2880/6000 = 48.0 %, gap 65.0 − 48.0 = 17.0 points
    assert progress.ordered == 6000
    assert progress.reported_complete == 3900
    assert progress.verified_complete == 2880
    assert progress.reported_pct == 65.0
    assert progress.verified_pct == 48.0
    assert progress.gap_pts == 17.0


@pytest.mark.parametrize(
    ("ordered", "reported", "counted", "reported_pct", "verified_pct", "gap_pts"),
    [
        # 1/8 = 12.5 % exactly; 0/8 = 0.0 %; gap 12.5
        (8, 1, 0, 12.5, 0.0, 12.5),
        # 3/8 = 37.5 %, 1/8 = 12.5 %; gap 25.0
        (8, 3, 1, 37.5, 12.5, 25.0),
        # 2/3 = 66.66… → 66.7 %, 1/3 = 33.33… → 33.3 %; gap of the shown figures 66.7 − 33.3 = 33.4
        (3, 2, 1, 66.7, 33.3, 33.4),
        # 1/400 = 0.25 % → half up 0.3 (banker's rounding would give 0.2); gap 0.3
        (400, 1, 0, 0.3, 0.0, 0.3),
        # 1/2000 = 0.05 % → half up 0.1 (banker's rounding would give 0.0); gap 0.1
        (2000, 1, 0, 0.1, 0.0, 0.1),
        # 1/800 = 0.125 % → 0.1 (below the half); gap 0.0
        (800, 1, 1, 0.1, 0.1, 0.0),
    ],
)
def test_percentages_round_half_up_to_one_decimal(
    example_data, ordered, reported, counted, reported_pct, verified_pct, gap_pts
):
    progress = analysed(
        example_data,
        ("order.quantity", ordered),
        ("progress.reported_complete", reported),
        ("progress.counted_complete", counted),
    ).progress

    assert (progress.reported_pct, progress.verified_pct, progress.gap_pts) == (reported_pct, verified_pct, gap_pts)


# --- schedule -------------------------------------------------------------------------


def test_the_example_finishes_two_days_before_the_final_inspection(example_data):
    analysis = analysed(example_data)
    schedule = analysis.schedule

    # remaining 6000 − 2880 = 3120; 3120/200 = 15.6 → 16 working days after Tue 2026-11-24, Mon–Sat:
    # Nov 25 26 27 28 (4), Nov 30 Dec 1 2 3 4 5 (10), Dec 7 8 9 10 11 12 (16) → Sat 2026-12-12.
    # Slack: Dec 12 → Dec 14 = 2 calendar days, fewer than 3 → at risk (not late).
    assert schedule.daily_output == 200
    assert schedule.remaining == 3120
    assert schedule.working_days_needed == 16
    assert schedule.projected_completion == date(2026, 12, 12)
    assert schedule.final_inspection == date(2026, 12, 14)
    assert schedule.ex_factory == date(2026, 12, 18)
    assert schedule.slack_days == 2
    assert analysis.status is Status.AT_RISK
    assert not schedule.misses_ex_factory


# 3120 remaining at 260 a day = exactly 12 working days.
TWELVE_DAYS = (("progress.daily_output", 260),)


def test_twelve_working_days_monday_to_saturday(example_data):
    # After Tue 2026-11-24: Nov 25 26 27 28 (4), [Sun 29], Nov 30 Dec 1 2 3 4 5 (10), [Sun 6], Dec 7 8 (12)
    schedule = analysed(example_data, *TWELVE_DAYS, plant=factory(MON_SAT)).schedule

    assert schedule.working_days_needed == 12
    assert schedule.projected_completion == date(2026, 12, 8)
    assert schedule.slack_days == 6  # Dec 8 → Dec 14


def test_twelve_working_days_monday_to_friday(example_data):
    # After Tue 2026-11-24: Nov 25 26 27 (3), [Sat 28, Sun 29], Nov 30 Dec 1 2 3 4 (8),
    # [Sat 5, Sun 6], Dec 7 8 9 10 (12) → Thu 2026-12-10
    schedule = analysed(example_data, *TWELVE_DAYS, plant=factory(MON_FRI)).schedule

    assert schedule.projected_completion == date(2026, 12, 10)
    assert schedule.slack_days == 4  # Dec 10 → Dec 14


def test_a_holiday_inside_the_period_pushes_completion_one_day(example_data):
    # Tue 2026-12-01 off: the 12 Mon–Sat working days end on Wed 2026-12-09 instead of Tue 12-08
    plant = factory(MON_SAT, holidays=(date(2026, 12, 1),))
    schedule = analysed(example_data, *TWELVE_DAYS, plant=plant).schedule

    assert schedule.projected_completion == date(2026, 12, 9)


def test_a_holiday_on_a_sunday_changes_nothing_for_a_monday_to_saturday_factory(example_data):
    # 2026-11-29 is a Sunday: not a working day anyway, so still Tue 2026-12-08
    plant = factory(MON_SAT, holidays=(date(2026, 11, 29),))
    schedule = analysed(example_data, *TWELVE_DAYS, plant=plant).schedule

    assert schedule.projected_completion == date(2026, 12, 8)


def test_a_holiday_after_completion_changes_nothing(example_data):
    # 2027-01-01 (the example factory's holiday) is long after 2026-12-08
    plant = factory(MON_SAT, holidays=(date(2027, 1, 1),))
    assert analysed(example_data, *TWELVE_DAYS, plant=plant).schedule.projected_completion == date(2026, 12, 8)


def test_a_part_day_of_work_still_takes_a_whole_working_day(example_data):
    # 3120/259 = 12.05 → 13 working days: one after Tue 12-08 → Wed 2026-12-09
    schedule = analysed(example_data, ("progress.daily_output", 259)).schedule

    assert schedule.working_days_needed == 13
    assert schedule.projected_completion == date(2026, 12, 9)


def test_nothing_left_to_make_completes_on_the_visit_date(example_data):
    # 6000 − 6000 = 0 remaining: projected = the visit date 2026-11-24, slack 20 days to 12-14
    analysis = analysed(
        example_data,
        ("progress.reported_complete", 6000),
        ("progress.counted_complete", 6000),
        ("progress.in_progress", 0),
        ("progress.not_started", 0),
        ("progress.daily_output", 0),
    )

    assert analysis.schedule.remaining == 0
    assert analysis.schedule.projected_completion == date(2026, 11, 24)
    assert analysis.schedule.slack_days == 20
    assert "no_output" not in analysis.status_reasons


def test_no_daily_output_cannot_be_projected_and_is_late(example_data):
    analysis = analysed(example_data, ("progress.daily_output", 0))

    assert analysis.schedule.remaining == 3120
    assert analysis.schedule.projected_completion is None
    assert analysis.schedule.slack_days is None
    assert analysis.status is Status.LATE
    assert analysis.status_reasons[0] == "no_output"
    assert "late" not in analysis.status_reasons
    # nothing can be projected, so ex-factory counts as missed: rebook the freight
    assert options(analysis)[Option.REVISE_FREIGHT_BOOKING] == ("misses_ex_factory",)
    assert options(analysis)[Option.ADJUST_FINAL_INSPECTION] == ("no_output",)


def test_completion_after_the_final_inspection_is_late_but_can_still_ship(example_data):
    # 3120/165 = 18.9 → 19 working days: Dec 12 is the 16th, then Mon 14 (17), Tue 15 (18), Wed 16 (19).
    # Slack Dec 16 → Dec 14 = −2: late; Dec 16 is before ex-factory Dec 18, so the freight stands.
    analysis = analysed(example_data, ("progress.daily_output", 165))

    assert analysis.schedule.projected_completion == date(2026, 12, 16)
    assert analysis.schedule.slack_days == -2
    assert analysis.status is Status.LATE
    assert "late" in analysis.status_reasons
    assert "little_slack" not in analysis.status_reasons
    assert options(analysis)[Option.ADJUST_FINAL_INSPECTION] == ("late",)
    assert Option.REVISE_FREIGHT_BOOKING not in options(analysis)


def test_completion_on_the_ex_factory_date_misses_the_shipment(example_data):
    # 3120/150 = 20.8 → 21 working days: Wed 16 (19), Thu 17 (20), Fri 18 (21) = ex-factory 2026-12-18.
    # Slack Dec 18 → Dec 14 = −4; no day is left to inspect before ex-factory.
    analysis = analysed(example_data, ("progress.daily_output", 150))

    assert analysis.schedule.projected_completion == date(2026, 12, 18)
    assert analysis.schedule.slack_days == -4
    assert analysis.status is Status.LATE
    assert options(analysis)[Option.REVISE_FREIGHT_BOOKING] == ("misses_ex_factory",)
    assert "late" in options(analysis)[Option.ESCALATE_WITH_FACTORY]


def test_three_days_of_slack_is_not_little(example_data):
    # 3120/208 = 15 working days exactly → Fri 2026-12-11; Dec 11 → Dec 14 = 3 days, not < 3
    analysis = analysed(example_data, ("progress.daily_output", 208))

    assert analysis.schedule.projected_completion == date(2026, 12, 11)
    assert analysis.schedule.slack_days == 3
    assert "little_slack" not in analysis.status_reasons
    assert Option.ADJUST_FINAL_INSPECTION not in options(analysis)


def test_the_slack_threshold_is_configurable(example_data):
    # the example's 2 days of slack are enough for a buyer who only worries below 2
    analysis = analysed(example_data, thresholds=Thresholds(slack_days_at_risk=2))

    assert analysis.schedule.slack_days == 2
    assert "little_slack" not in analysis.status_reasons


# --- status ---------------------------------------------------------------------------


def test_an_order_with_nothing_wrong_is_on_track_and_proposes_nothing(example_data):
    analysis = analysed(example_data, *ON_TRACK)

    # 4800/6000 = 80.0 % both ways, gap 0.0; 1200/400 = 3 working days → Fri 2026-11-27;
    # slack Nov 27 → Dec 14 = 17 days; lot 4800 → L, n 200, nothing found → pass
    assert analysis.progress.gap_pts == 0.0
    assert analysis.schedule.projected_completion == date(2026, 11, 27)
    assert analysis.schedule.slack_days == 17
    assert analysis.quality.lot_size == 4800
    assert {r.sample_size for r in analysis.quality.by_severity} == {200}
    assert analysis.status is Status.ON_TRACK
    assert analysis.status_reasons == ()
    assert analysis.materials == ()
    assert analysis.options == ()


def test_a_gap_of_exactly_ten_points_is_at_risk(example_data):
    # reported 3480/6000 = 58.0 %, counted 48.0 % → gap 10.0 ≥ 10
    analysis = analysed(example_data, *ON_TRACK, ("progress.reported_complete", 3480),
                        ("progress.counted_complete", 2880), ("progress.daily_output", 3120))

    assert analysis.progress.gap_pts == 10.0
    assert analysis.status is Status.AT_RISK
    assert analysis.status_reasons == ("progress_gap",)
    assert options(analysis)[Option.ESCALATE_WITH_FACTORY] == ("progress_gap",)


def test_a_gap_just_under_ten_points_is_on_track(example_data):
    # reported 3474/6000 = 57.9 %, counted 48.0 % → gap 9.9 < 10; 3120 at 3120 a day = 1 day
    analysis = analysed(example_data, *ON_TRACK, ("progress.reported_complete", 3474),
                        ("progress.counted_complete", 2880), ("progress.daily_output", 3120))

    assert analysis.progress.gap_pts == 9.9
    assert analysis.status is Status.ON_TRACK


def test_the_gap_threshold_is_configurable(example_data):
    # the example's 17.0-point gap is below a threshold of 20
    analysis = analysed(example_data, thresholds=Thresholds(gap_pts_at_risk=20))

    assert "progress_gap" not in analysis.status_reasons


def test_a_failed_sample_alone_puts_the_order_at_risk(example_data):
    # lot 4800 → L, n 200, major AQL 2.5 → Ac 10 / Re 11; 11 major defects found → fail
    finding = {"category": "workmanship", "severity": "major", "description": "Chipped rim.",
               "units_checked": 200, "units_affected": 11}
    analysis = analysed(example_data, *ON_TRACK, ("findings", [finding]))

    assert by_severity(analysis, Severity.MAJOR).result == "fail"
    assert analysis.status is Status.AT_RISK
    assert analysis.status_reasons == ("quality_fail",)


def test_a_substituted_material_alone_puts_the_order_at_risk(example_data):
    # a substitute no one approved is a risk to the order, not an arrival (issue 15)
    substituted = {"name": "Base pad", "status": "substituted", "substitute": "EVA foam pad"}
    analysis = analysed(example_data, *ON_TRACK, ("materials", [substituted]))

    assert analysis.status is Status.AT_RISK
    assert analysis.status_reasons == ("materials_substituted",)
    assert options(analysis)[Option.ESCALATE_WITH_FACTORY] == ("materials_substituted",)


# --- packaging ------------------------------------------------------------------------


def test_packaging_materials_missing_at_exactly_forty_percent_is_a_risk(example_data):
    # counted 2400/6000 = 40.0 % ≥ 40 and materials not on site → risk
    analysis = analysed(example_data, ("progress.counted_complete", 2400))

    assert analysis.progress.verified_pct == 40.0
    assert analysis.packaging.materials_on_site is False
    assert analysis.packaging.threshold_pct == 40.0
    assert analysis.packaging.materials_risk is True
    assert "packaging_materials" in analysis.status_reasons


def test_packaging_materials_missing_at_thirty_nine_point_nine_percent_is_not_yet_a_risk(example_data):
    # counted 2394/6000 = 39.9 % < 40 → no risk yet
    analysis = analysed(example_data, ("progress.counted_complete", 2394))

    assert analysis.progress.verified_pct == 39.9
    assert analysis.packaging.materials_risk is False
    assert "packaging_materials" not in analysis.status_reasons


def test_packaging_materials_on_site_are_never_a_risk(example_data):
    # 48.0 % complete, but the cartons and boxes are there
    analysis = analysed(example_data, ("packaging.materials_on_site", True))

    assert analysis.packaging.materials_on_site is True
    assert analysis.packaging.materials_risk is False


def test_the_packaging_threshold_is_configurable(example_data):
    # 48.0 % < 50 → no risk for a buyer whose rule is 50 %
    analysis = analysed(example_data, thresholds=Thresholds(packaging_materials_pct=50))

    assert analysis.packaging.threshold_pct == 50.0
    assert analysis.packaging.materials_risk is False


# --- materials ------------------------------------------------------------------------


def test_materials_lists_what_is_not_on_site_or_substituted(example_data):
    analysis = analysed(example_data)

    # M1 clay on site (left out), M2 glaze partial, M3 base pad substituted
    assert [(i, m.name, m.status.value) for i, m in analysis.materials] == [
        (1, "Matte sage glaze", "partial"),
        (2, "Base pad", "substituted"),
    ]
    assert "materials_substituted" in analysis.status_reasons


def test_a_partly_arrived_material_is_listed_but_not_a_risk_reason(example_data):
    partial = {"name": "Matte sage glaze", "status": "partial"}
    analysis = analysed(example_data, *ON_TRACK, ("materials", [partial]))

    assert [m.name for _, m in analysis.materials] == ["Matte sage glaze"]
    assert analysis.status_reasons == ()


def test_a_missing_material_is_a_risk_reason(example_data):
    missing = {"name": "Matte sage glaze", "status": "missing"}
    analysis = analysed(example_data, *ON_TRACK, ("materials", [missing]))

    assert analysis.status is Status.AT_RISK
    assert analysis.status_reasons == ("materials_missing",)


# --- quality --------------------------------------------------------------------------


def test_the_example_sample_fails_on_major_defects(example_data):
    quality = analysed(example_data).quality

    # lot = counted 2880 → level II code letter K, n = 125.
    # critical AQL 0: Ac 0 / Re 1, none found → pass
    # major AQL 2.5: Ac 7 / Re 8; F1 9 in sample (F2's 40 were checked on the line, not in the sample) → fail
    # minor AQL 4.0: Ac 10 / Re 11; F3 6 → pass
    assert quality.lot_size == 2880
    assert quality.sample_drawn is True
    assert quality.hundred_percent is False
    got = [(r.severity, r.aql, r.sample_size, r.accept, r.reject, r.found, r.result) for r in quality.by_severity]
    assert got == [
        (Severity.CRITICAL, Decimal(0), 125, 0, 1, 0, "pass"),
        (Severity.MAJOR, Decimal("2.5"), 125, 7, 8, 9, "fail"),
        (Severity.MINOR, Decimal("4.0"), 125, 10, 11, 6, "pass"),
    ]
    assert quality.fails


def test_findings_outside_the_sample_do_not_count(example_data):
    # with F2 in the sample the major count is 9 + 40 = 49
    analysis = analysed(example_data, ("findings.1.in_sample", True))

    assert by_severity(analysis, Severity.MAJOR).found == 49


def test_one_critical_defect_in_the_sample_fails_critical(example_data):
    critical = {"category": "function", "severity": "critical", "description": "Cracked handle.",
                "units_checked": 125, "units_affected": 1}
    data = changed(example_data, "findings", [*example_data["findings"], critical])
    result = by_severity(analysed(data), Severity.CRITICAL)

    # AQL 0: Ac 0 / Re 1, one found → fail
    assert (result.accept, result.reject, result.found, result.result) == (0, 1, 1, "fail")


def test_the_visit_lot_size_overrides_the_counted_units(example_data):
    quality = analysed(example_data, ("visit.lot_size", 500)).quality

    # lot 500 → level II code letter H, n = 50.
    # critical 0 → 0/1, found 0 pass; major 2.5 → 3/4, found 9 fail; minor 4.0 → 5/6, found 6 fail
    assert quality.lot_size == 500
    got = [(r.sample_size, r.accept, r.reject, r.found, r.result) for r in quality.by_severity]
    assert got == [(50, 0, 1, 0, "pass"), (50, 3, 4, 9, "fail"), (50, 5, 6, 6, "fail")]


def test_a_tiny_lot_is_inspected_in_full(example_data):
    quality = analysed(example_data, ("visit.lot_size", 3), ("visit.sample_size", 3), ("findings", [])).quality

    # lot 3 → code letter A (n 2).
    # critical AQL 0: A, n 2, Ac 0 / Re 1 (2 < 3, not capped)
    # major AQL 2.5: A ↓ B ↓ C 0/1, n 5 > 3 → capped at the lot: 3 (100 %)
    # minor AQL 4.0: A ↓ B 0/1, n 3 = lot (100 %)
    assert quality.lot_size == 3
    assert quality.hundred_percent is True
    got = [(r.sample_size, r.accept, r.reject, r.result) for r in quality.by_severity]
    assert got == [(2, 0, 1, "pass"), (3, 0, 1, "pass"), (3, 0, 1, "pass")]
    letters = [(r.code_letter, r.plan_letter) for r in quality.by_severity]
    assert letters == [("A", "A"), ("A", "C"), ("A", "B")]


def test_an_order_may_tighten_its_major_aql(example_data):
    result = by_severity(analysed(example_data, ("order.aql.major", 1.0)), Severity.MAJOR)

    # lot 2880 → K, n 125; AQL 1.0 → Ac 3 / Re 4; 9 found → fail
    assert result.aql == Decimal("1.0")
    assert (result.sample_size, result.accept, result.reject, result.found, result.result) == (125, 3, 4, 9, "fail")


def test_an_order_may_relax_its_major_aql_to_pass(example_data):
    result = by_severity(analysed(example_data, ("order.aql.major", 4.0)), Severity.MAJOR)

    # lot 2880 → K, n 125; AQL 4.0 → Ac 10 / Re 11; 9 found → pass
    assert (result.accept, result.reject, result.result) == (10, 11, "pass")


def test_level_three_draws_a_bigger_sample(example_data):
    quality = analysed(example_data, ("order.inspection_level", "III"), ("visit.sample_size", 200)).quality

    # lot 2880 at level III → code letter L, n 200 drawn: 0 → 0/1, 2.5 → 10/11, 4.0 → 14/15;
    # major found 9 ≤ 10 → pass
    got = [(r.sample_size, r.accept, r.reject, r.result) for r in quality.by_severity]
    assert got == [(200, 0, 1, "pass"), (200, 10, 11, "pass"), (200, 14, 15, "pass")]


def test_no_sample_drawn_means_nothing_is_judged(example_data):
    analysis = analysed(example_data, ("visit.sample_drawn", False))
    quality = analysis.quality

    assert quality.sample_drawn is False
    assert quality.hundred_percent is False
    assert [r.result for r in quality.by_severity] == ["not_judged"] * 3
    assert [r.sample_size for r in quality.by_severity] == [None] * 3
    # the defects seen are still counted: major 9, minor 6
    assert [r.found for r in quality.by_severity] == [0, 9, 6]
    assert not quality.fails
    assert "quality_fail" not in analysis.status_reasons


# --- systematic findings --------------------------------------------------------------


def systematic(analysis: Analysis) -> dict[int, tuple[str, ...]]:
    return {s.finding: s.reasons for s in analysis.quality.systematic}


def test_the_wrong_backstamp_is_the_one_systematic_finding_of_the_example(example_data):
    # F1 glaze crawl: 9/125 = 7.2 % < 10, workmanship, alone in its category → not systematic
    # F2 backstamp: inspector says so; 40/40 = 100 % ≥ 10; labelling with 40 > 1 affected
    # F3 colour: 6/125 = 4.8 %, finishing, alone → not systematic
    assert systematic(analysed(example_data)) == {
        1: ("inspector_judged_systematic", "high_rate", "process_category"),
    }


def test_the_inspector_can_overrule_every_other_sign(example_data):
    # F2 would qualify on rate and category, but the inspector saw it and judged it isolated
    assert systematic(analysed(example_data, ("findings.1.systematic", False))) == {}


def test_a_rate_of_exactly_the_threshold_is_systematic(example_data):
    # F1 9/90 = 10.0 % ≥ 10
    found = systematic(analysed(example_data, ("findings.0.units_checked", 90)))
    assert found[0] == ("high_rate",)


def test_a_rate_just_under_the_threshold_is_not(example_data):
    # F1 9/91 = 9.89… → 9.9 % < 10
    assert 0 not in systematic(analysed(example_data, ("findings.0.units_checked", 91)))


def test_the_rate_threshold_is_configurable(example_data):
    # F1 9/125 = 7.2 % ≥ 5; F3 6/125 = 4.8 % < 5
    found = systematic(analysed(example_data, thresholds=Thresholds(systematic_rate_pct=5)))
    assert found[0] == ("high_rate",)
    assert 2 not in found


def test_the_same_category_twice_looks_systematic(example_data):
    # F3 re-filed as workmanship: F1 and F3 share a category
    found = systematic(analysed(example_data, ("findings.2.category", "workmanship")))
    assert found[0] == ("repeated_category",)
    assert found[2] == ("repeated_category",)


def test_a_substituted_material_on_more_than_one_unit_looks_systematic(example_data):
    # F3 as material substitution, 6/125 = 4.8 % but 6 > 1 units of a process category
    found = systematic(analysed(example_data, ("findings.2.category", "material_substitution")))
    assert found[2] == ("process_category",)


def test_a_single_mislabelled_unit_is_not_a_process_problem(example_data):
    # F2 not flagged by the inspector, 1 of 40 = 2.5 %, labelling but only 1 unit → nothing
    found = systematic(analysed(
        example_data, ("findings.1.systematic", None), ("findings.1.units_affected", 1),
    ))
    assert 1 not in found


# --- options --------------------------------------------------------------------------


def test_the_example_leaves_four_options_each_with_its_reasons(example_data):
    analysis = analysed(example_data)

    # status reasons, most serious first: slack 2 < 3, gap 17.0 ≥ 10, major fails, F2 (major)
    # systematic, packaging not on site at 48.0 % ≥ 40, base pad substituted
    reasons = ("little_slack", "progress_gap", "quality_fail", "systematic_defect", "packaging_materials",
               "materials_substituted")
    assert analysis.status_reasons == reasons
    # completion Dec 12 is before ex-factory Dec 18: the freight booking stands
    assert analysis.options == (
        (Option.ADJUST_FINAL_INSPECTION, ("little_slack",)),
        (Option.ESCALATE_WITH_FACTORY, ("progress_gap", "materials_substituted")),
        # another check for what the sample and the packaging rule found, and for F2
        (Option.ADDITIONAL_CHECK, ("quality_fail", "packaging_materials", "systematic")),
        (Option.WRITTEN_CORRECTIVE_REQUIREMENTS, ("instructions_proposed",)),
    )


def test_an_on_track_visit_with_an_instruction_only_proposes_writing_it(example_data):
    check = {"item": "shipping_marks", "status": "wrong",
             "instruction": {"kind": "correct_shipping_marks", "due": date(2026, 12, 3)}}
    analysis = analysed(example_data, *ON_TRACK, ("packaging.checks", [check]))

    assert analysis.status is Status.ON_TRACK
    assert analysis.options == ((Option.WRITTEN_CORRECTIVE_REQUIREMENTS, ("instructions_proposed",)),)


def test_an_on_track_visit_with_a_systematic_finding_proposes_another_check(example_data):
    finding = {"category": "labelling", "severity": "minor", "description": "Barcode misprinted.",
               "units_checked": 200, "units_affected": 2}
    analysis = analysed(example_data, *ON_TRACK, ("findings", [finding]))

    # 2/200 = 1.0 % < 10 but labelling on 2 > 1 units; lot 4800 → L, minor 4.0 Ac 14 → pass
    assert analysis.status is Status.ON_TRACK
    assert analysis.options == ((Option.ADDITIONAL_CHECK, ("systematic",)),)


# --- the command line -----------------------------------------------------------------


def run_analyze(path, *extra: str):
    return CliRunner().invoke(main, ["visit", "analyze", str(path), "--config", str(EXAMPLE_CONFIG), *extra])


def test_analyze_json_prints_one_object_with_the_examples_figures(visit_dir):
    result = run_analyze(visit_dir / "report.yaml", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"progress", "schedule", "packaging", "materials", "quality", "options"} <= data.keys()
    # 3900/6000 = 65.0 %, 2880/6000 = 48.0 %, gap 17.0
    assert data["progress"] == {
        "ordered": 6000, "reported_complete": 3900, "verified_complete": 2880,
        "reported_pct": 65.0, "verified_pct": 48.0, "gap_pts": 17.0,
    }
    # remaining 3120; ceil(3120/200) = 16 working days after Tue 11-24 → Sat 12-12; 12-12 → 12-14 = 2
    schedule = data["schedule"]
    assert schedule["daily_output"] == 200
    assert schedule["remaining"] == 3120
    assert schedule["projected_completion"] == "2026-12-12"
    assert schedule["final_inspection"] == "2026-12-14"
    assert schedule["ex_factory"] == "2026-12-18"
    assert schedule["slack_days"] == 2
    assert schedule["status"] == "at_risk"
    assert data["status"] == "at_risk"
    # not on site at 48.0 % ≥ 40 %
    assert data["packaging"]["materials_on_site"] is False
    assert data["packaging"]["materials_risk"] is True
    assert [(m["item"], m["status"]) for m in data["materials"]] == [("M2", "partial"), ("M3", "substituted")]
    # lot 2880 → K, n 125: 0/1 found 0, 7/8 found 9, 10/11 found 6
    quality = data["quality"]
    assert quality["lot_size"] == 2880
    assert [
        (quality[s]["sample_size"], quality[s]["accept"], quality[s]["reject"], quality[s]["found"], quality[s]["result"])
        for s in ("critical", "major", "minor")
    ] == [(125, 0, 1, 0, "pass"), (125, 7, 8, 9, "fail"), (125, 10, 11, 6, "pass")]
    assert [s["finding"] for s in quality["systematic"]] == ["F2"]
    assert [o["option"] for o in data["options"]] == [
        "adjust_final_inspection", "escalate_with_factory", "additional_check", "written_corrective_requirements",
    ]
    assert [r["code"] for r in data["options"][0]["reasons"]] == ["little_slack"]


def test_analyze_json_reports_a_stalled_line_as_late_with_no_date(visit_dir, example_data):
    path = write_report(visit_dir, changed(example_data, "progress.daily_output", 0))
    result = run_analyze(path, "--json")

    assert result.exit_code == 0, result.output
    schedule = json.loads(result.stdout)["schedule"]
    assert schedule["projected_completion"] is None
    assert schedule["slack_days"] is None
    assert schedule["status"] == "late"
    assert schedule["status_reasons"][0]["code"] == "no_output"


def test_analyze_json_stays_one_object_when_the_report_has_warnings(visit_dir, example_data):
    # 2880 + 1000 + 1920 = 5800 of 6000 accounted for: a warning, not an error
    path = write_report(visit_dir, changed(example_data, "progress.in_progress", 1000))
    result = run_analyze(path, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["progress"]["gap_pts"] == 17.0
    assert "200 units are unaccounted for" in result.stderr


def test_analyze_without_json_prints_readable_text(visit_dir):
    result = run_analyze(visit_dir / "report.yaml")

    assert result.exit_code == 0, result.output
    text = result.stdout
    assert not text.lstrip().startswith("{")
    assert "Status: AT RISK" in text
    assert "Gap: 17.0 percentage points" in text
    assert "Projected completion: Dec 12, 2026" in text  # the CLI speaks en (US formats)
    assert "2 days to spare before the final inspection" in text
    assert "MA major · AQL 2.5: sample 125, Ac 7 / Re 8, found 9 → FAIL" in text
