"""How each factory is doing and which orders warrant a follow-up visit: the figures on a small
portfolio worked out by hand, in both languages, as JSON, and what a factory contact may see."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bot.chat.answers import answer
from bot.chat.intents import Factories, intent_of
from handlers.commands import AcknowledgeNotice, Actor, ImportOrders
from handlers.model import Factory, Platform
from handlers.model.orders import OrderLine
from handlers.queries.factories import Criterion, FactoryReport, FactorySummary, factory_report, trouble
from handlers.queries.factories import _reach, _window
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from tests.test_status import (  # noqa: F401 (stored: a fixture)
    ORDER,
    OTHER_ORDER,
    followup,
    people,
    prepare,
    send_notice,
    stored,
)

NEW_ORDER = "PO-2026-0170"


async def import_new_order(app) -> None:
    """Not visited yet, at the other factory: first order there, complex packaging, two working
    days (Sat 12th, Mon 14th) from final inspection to ex-factory."""
    line = OrderLine(reference=NEW_ORDER, factory="SZ-OTHER", product_name="Stoneware mug", quantity=500,
                     unit_value="2.50", currency="USD", final_inspection=date(2026, 12, 11),
                     ex_factory=date(2026, 12, 14), first_order_with_factory=True, packaging="complex")
    buyer = Actor(people(app)["Anna Schmidt"], Platform.CONSOLE)
    assert (await app.bus.handle(ImportOrders((line,), False), buyer)).ok


@pytest.fixture
async def portfolio_of_two(stored, clock):
    """Evergreen: ours (at risk, gap 17), PO-0150 (late, gap 17), PO-0160 (on track, gap 0); its
    notice on ours acknowledged 5 h after sending. Other: PO-0143 (at risk, gap 17), its notice
    unanswered for 30 h (deadline 24 h), and PO-0170 not visited yet."""
    app, visits = stored
    await send_notice(app, visits[ORDER])
    clock.advance(hours=5)
    contact = Actor(people(app)["Li Wei"], Platform.CONSOLE)
    notice = await _notice_of(app, visits[ORDER])
    assert (await app.bus.handle(AcknowledgeNotice(notice), contact)).ok
    await send_notice(app, visits[OTHER_ORDER])
    clock.advance(hours=30)
    await import_new_order(app)
    return app


async def _notice_of(app, visit_id: int) -> int:
    async with app.store.unit_of_work() as uow:
        return (await uow.notices.for_visit(visit_id))[0].id


def test_factories_is_asked_for_in_both_languages() -> None:
    assert intent_of("factories") == intent_of("/factories") == intent_of("工厂") == intent_of("工厂表现") == Factories()


async def test_each_factory_is_summed_up_across_its_orders(portfolio_of_two, clock) -> None:
    app = portfolio_of_two
    report = await factory_report(app.store, app.settings, people(app)["Anna Schmidt"], clock.now())
    figures = {s.factory.id: s for s in report.factories}
    evergreen, other = figures["NB-EVERGREEN"], figures["SZ-OTHER"]
    assert (evergreen.orders, evergreen.visited, evergreen.late, evergreen.at_risk) == (3, 3, 1, 1)
    assert evergreen.average_gap_pts == pytest.approx((17 + 17 + 0) / 3)
    assert (evergreen.open_instructions, evergreen.awaiting_acknowledgement) == (7, 0)
    assert evergreen.average_acknowledgement_hours == 5.0
    assert (other.orders, other.visited, other.not_visited, other.average_gap_pts) == (2, 1, 1, 17.0)
    assert (other.awaiting_acknowledgement, other.past_deadline, other.average_acknowledgement_hours) == (1, 1, None)
    assert (evergreen.overdue_instructions, other.overdue_instructions) == (0, 0)

    clock.advance(days=30)  # past every due date: what is still open at each factory is overdue
    later = {s.factory.id: s for s in (await factory_report(app.store, app.settings, people(app)["Anna Schmidt"],
                                                            clock.now())).factories}
    assert [(s.open_instructions, s.overdue_instructions) for s in later.values()] == [(7, 7), (7, 7)]


async def test_orders_are_recommended_for_a_visit_by_the_briefs_criteria(portfolio_of_two, clock) -> None:
    app = portfolio_of_two
    report = await factory_report(app.store, app.settings, people(app)["Anna Schmidt"], clock.now())
    first = report.recommendations[0]
    assert first.reference == NEW_ORDER
    assert [str(r) for r in first.reasons] == [
        "first order with this factory", "tight window: 2 working days to ex-factory", "complex packaging",
        "factory history: 0 late, 0 overdue, average gap 17.0 pts"]
    assert report.recommendations[1].reference == "PO-2026-0150"  # late: no working day left before ex-factory
    assert report.recommended == 5


async def test_the_chat_answer_in_english_for_the_buyer_and_in_chinese_for_a_factory_contact(portfolio_of_two) -> None:
    app = portfolio_of_two
    english = (await answer(app, "telegram", people(app)["Anna Schmidt"], "/factories")).text
    assert "<b>Shenzhen Other Ceramics Ltd.</b>\n2 orders (1 visited, 1 not yet)" in english
    assert "Average acknowledgement: 5.0 h" in english and "<b>Recommended follow-up visits</b>" in english

    chinese = (await answer(app, "slack", people(app)["Li Wei"], "工厂表现")).text
    assert "*宁波常青家居用品有限公司*" in chinese and "平均确认收到用时：5.0 小时" in chinese
    assert "深圳" not in chinese and "SZ-OTHER" not in chinese and OTHER_ORDER not in chinese
    assert NEW_ORDER not in chinese


def test_followup_factories_json(tmp_path, visit_dir, example_data) -> None:
    config = prepare(tmp_path, visit_dir, example_data)
    data = json.loads(followup(config, "factories", "--json").output)
    assert [f["factory"]["id"] for f in data["factories"]] == ["NB-EVERGREEN", "SZ-OTHER"]
    assert data["factories"][1]["average_gap_pts"] == 17.0
    assert data["flagged_by_criterion"] == {"first_order": 0, "large": 0, "high_value": 0, "tight_window": 1,
                                            "complex_packaging": 0, "factory_history": 4}
    contact = json.loads(followup(config, "factories", "--json", "--as", "Zhao Min").output)
    assert [f["factory"]["id"] for f in contact["factories"]] == ["SZ-OTHER"]
    assert "recommended_visits" not in contact and "flagged_by_criterion" not in contact  # the buyer's judgement


def summary(n: int, late: int, overdue: int, gap: float | None) -> FactorySummary:
    factory = Factory(id=f"F{n:02d}", name=f"Factory {n:02d} Ltd.", name_zh=f"第{n}工厂有限公司")
    return FactorySummary(factory=factory, orders=5, visited=4, late=late, at_risk=1, average_gap_pts=gap,
                          open_instructions=overdue, overdue_instructions=overdue, disputed_notices=0,
                          awaiting_acknowledgement=0, past_deadline=0, average_acknowledgement_hours=None)


@pytest.mark.parametrize(("locale", "more"), [(ENGLISH, "and 2 more factories"), (CHINESE, "另有 2 家工厂")])
def test_a_buyer_with_many_factories_reads_the_ten_in_most_trouble_first(locale: str, more: str) -> None:
    calm = [summary(n, late=0, overdue=0, gap=None) for n in range(9)]
    troubled = [summary(20, late=0, overdue=3, gap=2.0), summary(21, late=1, overdue=0, gap=1.0),
                summary(22, late=0, overdue=3, gap=9.0)]
    ranked = sorted(calm + troubled, key=trouble)
    assert [s.factory.id for s in ranked[:4]] == ["F21", "F22", "F20", "F00"]  # late, then overdue, then gap

    report = FactoryReport(ranked, [], 0)
    text = render("console", "chat/factories.j2", Language(locale, "Europe/Berlin"), report=report)
    assert [s.factory.id for s in report.shown_factories] == [s.factory.id for s in ranked[:10]]
    def name(n: int) -> str:
        return f"第{n}工厂有限公司" if locale == CHINESE else f"Factory {n:02d} Ltd."

    assert text.index(name(21)) < text.index(name(22)) < text.index(name(20)) < text.index(name(0))
    assert name(7) not in text and name(8) not in text  # the 11th and 12th are only counted
    assert more in text


async def test_an_ordinary_order_is_not_a_tight_window_and_the_summary_counts_what_each_criterion_flags(
        portfolio_of_two, clock) -> None:
    """Final inspection on Friday, ex-factory the Tuesday after: three working days at the
    factory (it works Saturdays) for the last cartons, the inspection and loading. Not tight."""
    app = portfolio_of_two
    buyer = people(app)["Anna Schmidt"]
    ordinary = OrderLine(reference="PO-2026-0171", factory="SZ-OTHER", product_name="Plate", quantity=800,
                         final_inspection=date(2026, 12, 18), ex_factory=date(2026, 12, 22))
    assert (await app.bus.handle(ImportOrders((ordinary,)), Actor(buyer, Platform.CONSOLE))).ok

    report = await factory_report(app.store, app.settings, buyer, clock.now())
    reasons = {r.reference: r.criteria for r in report.recommendations}
    assert Criterion.TIGHT_WINDOW not in reasons["PO-2026-0171"]
    assert report.flagged == {Criterion.FIRST_ORDER: 1, Criterion.LARGE: 0, Criterion.HIGH_VALUE: 0,
                              Criterion.TIGHT_WINDOW: 2, Criterion.COMPLEX_PACKAGING: 1,
                              Criterion.FACTORY_HISTORY: 6}
    text = (await answer(app, "console", buyer, "/factories")).text
    assert text.endswith("Orders flagged by each criterion: first order 1; large order 0; high value 0; "
                         "tight window 2; complex packaging 1; factory history 6")


async def test_a_factory_contact_sees_its_own_figures_not_the_buyers_judgement_of_it(portfolio_of_two,
                                                                                       clock) -> None:
    app = portfolio_of_two
    for who, ask in (("Li Wei", "/factories"), ("Li Wei", "工厂表现")):
        text = (await answer(app, "telegram", people(app)[who], ask)).text
        assert "宁波常青家居用品有限公司" in text and "平均进度差" in text  # its own figures
        for judgement in ("建议", "Recommended", "factory history", "PO-2026-0150", "PO-2026-0142"):
            assert judgement not in text
    report = await factory_report(app.store, app.settings, people(app)["Li Wei"], clock.now())
    assert (report.recommendations, report.recommended, report.flagged, report.for_factory) == ([], 0, {}, True)


@pytest.mark.parametrize("enough", [1, 3, 5])
def test_the_day_a_production_end_reaches_enough_working_days_agrees_with_counting_each_order(enough: int) -> None:
    """The store calls a window tight when ex-factory comes before the day its production end
    reaches `enough` working days (worked out once per calendar and day); that must be what
    counting each order's working days says, across rest days and holidays."""
    factory = Factory(id="NB", name="Ningbo", name_zh="宁波", working_days=("mon", "tue", "wed", "thu", "fri", "sat"),
                      holidays=(date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5)))
    days = [date(2026, 9, 25) + timedelta(days=n) for n in range(16)]
    for end in days:
        reached = _reach(end, factory, enough)
        for ex_factory in days:
            assert (ex_factory < reached) is (_window(end, ex_factory, factory, enough) < enough), (end, ex_factory)


async def test_a_year_later_the_same_orders_are_flagged_in_the_same_order_and_long_past_inspection(
        portfolio_of_two, clock) -> None:
    """Both factories' history already warrants visits, and no other criterion depends on
    today; which orders come first counts days to final inspection from today at each
    factory, so a year on, long past every inspection, they keep their order."""
    app, buyer = portfolio_of_two, people(portfolio_of_two)["Anna Schmidt"]
    now = await factory_report(app.store, app.settings, buyer, clock.now())
    clock.advance(days=365)
    later = await factory_report(app.store, app.settings, buyer, clock.now())
    assert (later.flagged, later.recommended) == (now.flagged, now.recommended)
    assert [r.reference for r in later.recommendations] == [r.reference for r in now.recommendations]
    assert [r.days_to_final_inspection + 365 for r in later.recommendations] == [
        r.days_to_final_inspection for r in now.recommendations]
