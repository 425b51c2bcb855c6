"""`followup status --json` and `followup orders --json`: an order's status as data, codes
with their English wording beside them (as `visit analyze --json` does), times in ISO 8601."""

from __future__ import annotations

from datetime import date, datetime

from handlers.model import InstructionState, Notice, NoticeState
from handlers.queries.factories import FactoryReport
from handlers.queries.status import NotVisited, OrderStatus, PortfolioLine
from handlers.views import label_of
from messages import wording
from messages.analysis_json import ENGLISH, completion_item_json, items_json, reasons_json


def status_json(s: OrderStatus) -> dict:
    report, analysis = s.visit.report, s.analysis
    name, name_zh = report.product_names()
    return {
        "order": s.visit.order_reference,
        "factory": _factory(s),
        "product": {"name": name, "name_zh": name_zh},
        "quantity": report.ordered,
        "items": items_json(analysis),
        "last_visit": {"date": report.visit.date.isoformat(), "type": report.visit.type.value},
        "status": analysis.status.value,
        "reasons": reasons_json(report, analysis, analysis.status_reasons),
        "progress": {**_progress(s), "planned_pct": s.planned_pct},
        "schedule": {
            "production_start": _iso(s.production_start),
            "projected_completion": _iso(analysis.schedule.projected_completion),
            "completion_item": completion_item_json(analysis),
            "final_inspection": _iso(analysis.schedule.final_inspection),
            "ex_factory": _iso(analysis.schedule.ex_factory),
            "slack_days": analysis.schedule.slack_days,
            "days_to_final_inspection": s.days_to_final_inspection,
        },
        "instructions": {state.value: s.instruction_counts().get(state.value, 0) for state in InstructionState},
        "overdue": len(s.overdue),
        "overdue_instructions": [
            {"item": label_of(i.source), "state": i.state.value, "deadline": i.deadline.isoformat()}
            for i in s.overdue
        ],
        "notices": [_notice(s, n) for n in s.notices],
        "next_step": {"code": s.next_step, "text": wording.word(ENGLISH, "next_step", s.next_step)},
    }


def portfolio_json(entries: list[PortfolioLine | NotVisited]) -> list[dict]:
    """One line per order, in the order given (the portfolio's: most urgent first)."""
    return [not_visited_json(s) if isinstance(s, NotVisited) else _line(s) for s in entries]


def _line(s: PortfolioLine) -> dict:
    return {
        "order": s.reference,
        "status": s.verdict.status.value,
        "factory": _factory(s),
        **_progress(s),
        "days_to_final_inspection": s.days_to_final_inspection,
        "overdue": len(s.overdue),
        "disputed": len(s.disputed_instructions),
        "awaiting_acknowledgement": len(s.awaiting_acknowledgement),
        "past_acknowledgement_deadline": len(s.past_deadline),
        "next_step": s.next_step,
    }


def not_visited_json(s: NotVisited) -> dict:
    """What is known of an order no visit has been posted for."""
    line = s.order.line
    return {
        "order": line.reference,
        "status": "not_visited",
        "factory": _factory(s),
        "product": {"name": line.product_name, "name_zh": line.product_name_zh},
        "quantity": line.quantity,
        "unit_value": None if line.unit_value is None else str(line.unit_value),
        "currency": line.currency,
        "first_order_with_factory": line.first_order_with_factory,
        "packaging": None if line.packaging is None else line.packaging.value,
        "last_visit": None,
        "schedule": {"production_start": _iso(line.production_start), "final_inspection": _iso(line.final_inspection),
                     "ex_factory": _iso(line.ex_factory), "days_to_final_inspection": s.days_to_final_inspection},
    }


def _factory(s: PortfolioLine | NotVisited) -> dict:
    return {"id": s.factory.id, "name": s.factory.name, "name_zh": s.factory.name_zh}


def _progress(s: PortfolioLine) -> dict:
    v = s.verdict
    return {"verified_pct": v.verified_pct, "reported_pct": v.reported_pct, "gap_pts": v.gap_pts}


def _notice(s: OrderStatus, n: Notice) -> dict:
    answered = n.answered.at if n.answered else None
    return {
        "number": n.number,
        "version": n.version,
        "state": n.state.value,
        "sent_at": _iso(n.sent.at),
        "acknowledge_by": _iso(n.acknowledge_by),
        "acknowledged_at": _iso(answered) if n.state is NoticeState.ACKNOWLEDGED else None,
        "disputed_at": _iso(answered) if n.state is NoticeState.DISPUTED else None,
        "past_deadline": n.state is NoticeState.SENT and s.is_past_deadline(n),
        "reminders": s.reminders_about(n),
    }


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def factories_json(report: FactoryReport) -> dict:
    """`followup factories --json`: each factory's figures, then the orders to visit with why."""
    return {
        "factories": [
            {
                "factory": {"id": f.factory.id, "name": f.factory.name, "name_zh": f.factory.name_zh},
                "orders": f.orders, "visited": f.visited, "not_visited": f.not_visited,
                "late": f.late, "at_risk": f.at_risk,
                "average_gap_pts": _rounded(f.average_gap_pts),
                "instructions": {"open": f.open_instructions, "overdue": f.overdue_instructions},
                "disputed_notices": f.disputed_notices,
                "awaiting_acknowledgement": f.awaiting_acknowledgement,
                "past_acknowledgement_deadline": f.past_deadline,
                "average_acknowledgement_hours": _rounded(f.average_acknowledgement_hours),
            }
            for f in report.factories
        ],
    } | ({} if report.for_factory else _recommended_json(report))


def _recommended_json(report: FactoryReport) -> dict:
    """The buyer's judgement of the factories: the orders to visit, and what each criterion flags."""
    return {
        "recommended_visits": [
            {"order": r.reference, "factory": r.factory.id, "days_to_final_inspection": r.days_to_final_inspection,
             "reasons": [{"code": reason.msgid, "criterion": criterion.value, "text": str(reason)}
                         for criterion, reason in zip(r.criteria, r.reasons, strict=True)]}
            for r in report.recommendations
        ],
        "recommended_in_all": report.recommended,
        "flagged_by_criterion": {criterion.value: n for criterion, n in report.flagged.items()},
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
