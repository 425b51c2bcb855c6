"""`followup visit analyze --json`: the analysis as one JSON object, codes with their
English wording beside them, so scripts match on codes and people can read the text."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from handlers.analysis.analyze import Analysis
from handlers.model.report import VisitReport
from messages import wording
from messages.i18n import Language
from messages.reasons import reason_text

ENGLISH = Language("en")


def analysis_json(report: VisitReport, analysis: Analysis) -> dict:
    return {
        "order": {
            "reference": report.order.reference,
            "factory": report.order.factory,
            "product": report.product_names()[0],
        },
        "visit": {"date": report.visit.date.isoformat(), "type": report.visit.type.value,
                  "inspector": report.visit.inspector},
        "status": analysis.status.value,
        "progress": asdict(analysis.progress),
        "items": items_json(analysis),
        "schedule": _schedule(report, analysis),
        "packaging": _packaging(analysis),
        "materials": [_material(i, m) for i, m in analysis.materials],
        "quality": _quality(report, analysis),
        "warnings": [{"path": w.path, "code": w.code, "text": str(w.text)} for w in analysis.warnings],
        "options": [
            {"option": option.value, "text": wording.word(ENGLISH, "option", option.value),
             "reasons": reasons_json(report, analysis, reasons)}
            for option, reasons in analysis.options
        ],
    }


def items_json(analysis: Analysis) -> list[dict]:
    """Each item's figures as the order's are given (one item: the order itself)."""
    return [
        {
            "code": i.line.code, "name": i.line.name, "name_zh": i.line.name_zh,
            "progress": asdict(i.progress),
            "daily_output": i.schedule.daily_output,
            "remaining": i.schedule.remaining,
            "projected_completion": _iso(i.schedule.projected_completion),
            "slack_days": i.schedule.slack_days,
            "packaging_materials_risk": i.packaging.materials_risk,
            "packaging_needed_by": _iso(i.packaging.needed_by),
        }
        for i in analysis.items
    ]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _coded(table: str, codes) -> list[dict]:
    return [{"code": code, "text": wording.word(ENGLISH, table, code)} for code in codes]


def reasons_json(report: VisitReport, analysis: Analysis, codes) -> list[dict]:
    return [{"code": code, "text": reason_text(ENGLISH, code, report, analysis)} for code in codes]


def _schedule(report: VisitReport, analysis: Analysis) -> dict:
    s = analysis.schedule
    return {
        "daily_output": s.daily_output,
        "remaining": s.remaining,
        "working_days_needed": s.working_days_needed,
        "projected_completion": _iso(s.projected_completion),
        "final_inspection": s.final_inspection.isoformat(),
        "ex_factory": s.ex_factory.isoformat(),
        "slack_days": s.slack_days,
        "completion_item": completion_item_json(analysis),
        "status": analysis.status.value,
        "status_reasons": reasons_json(report, analysis, analysis.status_reasons),
    }


def completion_item_json(analysis: Analysis) -> dict | None:
    """The item whose pace gives the order's projected completion (and working days needed),
    when the order has several: the order's output and remaining are sums and do not give it."""
    item = analysis.completion_item()
    if item is None:
        return None
    return {"code": item.line.code, "daily_output": item.schedule.daily_output, "remaining": item.schedule.remaining}


def _packaging(analysis: Analysis) -> dict:
    return {**asdict(analysis.packaging), "needed_by": _iso(analysis.packaging.needed_by)}


def _material(index: int, material) -> dict:
    return {
        "item": f"M{index + 1}",
        "name": material.name,
        "status": material.status.value,
        "approved": material.approved,
        "substitute": material.substitute,
    }


def _quality(report: VisitReport, analysis: Analysis) -> dict:
    q = analysis.quality
    result = {
        "lot_size": q.lot_size,
        "level": report.order.inspection_level,
        "sample_drawn": q.sample_drawn,
        "units_checked": q.units_checked,
        "hundred_percent": q.hundred_percent,
    }
    for r in q.by_severity:
        result[r.severity.value] = {
            "aql": float(r.aql),
            "code_letter": r.code_letter,
            "plan_letter": r.plan_letter,
            "sample_size": r.sample_size,
            "accept": r.accept,
            "reject": r.reject,
            "checked": r.checked,
            "found": r.found,
            "result": r.result,
        }
    result["systematic"] = [
        {"finding": f"F{s.finding + 1}", "description": report.findings[s.finding].description,
         "reasons": _coded("systematic", s.reasons)}
        for s in q.systematic
    ]
    return result
