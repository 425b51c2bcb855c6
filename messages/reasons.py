"""Why an order needs attention, in words with its figures: "a 17.0-point gap" tells a
buyer more than "progress gap", and the figure is what they forward to the factory."""

from __future__ import annotations

from collections.abc import Callable

from handlers.analysis.analyze import Analysis
from handlers.analysis.quality import systematic_defects
from handlers.catalog import N_, Nn_
from handlers.model.report import MaterialStatus, VisitReport
from messages import wording
from messages.i18n import Language

LATE = Nn_(
    "projected completion %(projected)s is %(num)s day after the final inspection on %(final)s",
    "projected completion %(projected)s is %(num)s days after the final inspection on %(final)s",
)
SYSTEMATIC = Nn_("%(findings)s looks systematic", "%(findings)s look systematic")
# Short: the status answer, reasons and all, must fit a photo's caption (1,024 characters)
SYSTEMATIC_DEFECT = Nn_("systematic: %(findings)s", "systematic: %(findings)s")
LITTLE_SLACK = Nn_(
    "only %(num)s day from projected completion on %(projected)s to the final inspection",
    "only %(num)s days from projected completion on %(projected)s to the final inspection",
)
ON_THE_DAY = N_("projected completion on the day of the final inspection: %(projected)s")
# An order of several items completes with its latest item: its date is read beside that item's
# pace, never beside the order's summed output, which would project an earlier day
ITEM_COMPLETION = N_("%(date)s (item %(item)s at %(rate)s/day)")
NO_OUTPUT = Nn_("no daily output observed and %(remaining)s unit still to make",
               "no daily output observed and %(remaining)s units still to make")
PROPOSED = Nn_("the inspector proposed %(count)s corrective instruction",
               "the inspector proposed %(count)s corrective instructions")
TEXTS = {
    "final_inspection_passed": N_("final inspection date passed: planned for %(final)s, visited %(visited)s"),
    "progress_gap": N_("the factory reports %(reported)s %%, the inspector counted %(verified)s %%: "
                       "a gap of %(gap)s points"),
    "quality_fail": N_("the sample fails the AQL: %(results)s"),
    "sample_incomplete": N_("too few units checked to judge the sample: %(results)s"),
    "packaging_materials": N_("packaging materials are not on site at %(pct)s %% complete (rule: %(threshold)s %%)"),
    "materials_substituted": N_("unapproved substitute: %(items)s"),
    "materials_missing": N_("materials missing, not yet at the factory: %(items)s"),
    "misses_ex_factory": N_(
        "completion on %(projected)s leaves no time to inspect before ex-factory on %(ex_factory)s"
    ),
}
# An order of several items: the reason names the item whose figures the order's sums hide
ITEM_GAP = N_("item %(item)s: the factory reports %(reported)s %%, the inspector counted %(verified)s %%: "
              "a gap of %(gap)s points")
ITEM_PACKAGING = N_("packaging materials are not on site and item %(item)s is %(pct)s %% complete "
                    "(rule: %(threshold)s %%)")
NO_ITEM_OUTPUT = Nn_("no item has daily output and %(remaining)s unit still to make",
                    "no item has daily output and %(remaining)s units still to make")
ITEM_NO_OUTPUT = Nn_("item %(item)s: no daily output observed and %(remaining)s unit still to make",
                     "item %(item)s: no daily output observed and %(remaining)s units still to make")
FAILED_RESULT = N_("%(severity)s found %(found)s, accept %(accept)s")
INCOMPLETE_RESULT = N_("%(severity)s %(checked)s of the %(required)s units the plan requires")


def reason_text(language: Language, code: str, report: VisitReport, analysis: Analysis) -> str:
    return _BUILDERS[code](language, report, analysis)


def completion_text(language: Language, analysis: Analysis) -> str:
    """The order's projected completion, with the item and pace it comes from when the order
    has several items."""
    day = language.date(analysis.schedule.projected_completion)
    item = analysis.completion_item()
    if item is None:
        return day
    return language.gettext(ITEM_COMPLETION) % {"date": day, "item": item.line.code,
                                                "rate": language.number(item.schedule.daily_output)}


def _days(plural: tuple[str, str]):
    def build(language: Language, report: VisitReport, analysis: Analysis) -> str:
        schedule = analysis.schedule
        days = abs(schedule.slack_days)
        projected = completion_text(language, analysis)
        if days == 0:
            return language.gettext(ON_THE_DAY) % {"projected": projected}
        return language.ngettext(*plural, days) % {
            "num": days, "projected": projected, "final": language.date(schedule.final_inspection)}

    return build


def _counted(language: Language, forms: tuple[str, str], count: int) -> str:
    return language.ngettext(*forms, count) % {"count": count}


def _text(code: str, params: Callable[[Language, VisitReport, Analysis], dict]):
    def build(language: Language, report: VisitReport, analysis: Analysis) -> str:
        return language.gettext(TEXTS[code]) % params(language, report, analysis)
    return build


def _failed(language: Language, report: VisitReport, analysis: Analysis) -> dict:
    failed = [r for r in analysis.quality.by_severity if r.result == "fail"]
    results = language.separator.join(
        language.gettext(FAILED_RESULT) % {"severity": wording.word(language, "severity", r.severity),
                                           "found": r.found, "accept": r.accept}
        for r in failed
    )
    return {"results": results}


def _incomplete(language: Language, report: VisitReport, analysis: Analysis) -> dict:
    results = language.separator.join(
        language.gettext(INCOMPLETE_RESULT) % {"severity": wording.word(language, "severity", r.severity),
                                               "checked": language.number(r.checked),
                                               "required": language.number(r.sample_size)}
        for r in analysis.quality.incomplete
    )
    return {"results": results}


def _systematic_defects(language: Language, report: VisitReport, analysis: Analysis) -> str:
    found = systematic_defects(report, analysis.quality)
    return language.ngettext(*SYSTEMATIC_DEFECT, len(found)) % {"findings": _numbered(language, found)}


def _systematic(language: Language, report: VisitReport, analysis: Analysis) -> str:
    """What the inspector judged systematic is said as a fact, what only the rules flag as a
    suspicion: a factory reads 疑似 as "not proven", and must not for a backstamp seen on the line."""
    flagged = analysis.quality.systematic
    judged = [s for s in flagged if "inspector_judged_systematic" in s.reasons]
    suspected = [s for s in flagged if s not in judged]
    said = [language.ngettext(*forms, len(found)) % {"findings": _numbered(language, found)}
            for forms, found in ((SYSTEMATIC_DEFECT, judged), (SYSTEMATIC, suspected)) if found]
    return language.separator.join(said)


def _numbered(language: Language, systematic) -> str:
    return language.comma.join(f"F{s.finding + 1}" for s in systematic)


def _gap(language: Language, report: VisitReport, analysis: Analysis) -> str:
    item, progress = analysis.widest_gap()
    figures = {"reported": language.number(progress.reported_pct, 1),
               "verified": language.number(progress.verified_pct, 1), "gap": language.number(progress.gap_pts, 1)}
    if item is None:
        return language.gettext(TEXTS["progress_gap"]) % figures
    return language.gettext(ITEM_GAP) % {"item": item, **figures}


def _no_output(language: Language, report: VisitReport, analysis: Analysis) -> str:
    """Every stalled item by its code; when no item has output, the order's units instead."""
    stalled = analysis.stalled_items()
    if len(stalled) == len(analysis.items) > 1:
        return language.ngettext(*NO_ITEM_OUTPUT, analysis.schedule.remaining) % {
            "remaining": language.number(analysis.schedule.remaining)}
    if not stalled:
        return language.ngettext(*NO_OUTPUT, analysis.schedule.remaining) % {
            "remaining": language.number(analysis.schedule.remaining)}
    return language.separator.join(
        language.ngettext(*ITEM_NO_OUTPUT, i.schedule.remaining) % {
            "item": i.line.code, "remaining": language.number(i.schedule.remaining)}
        for i in stalled)


def _packaging(language: Language, report: VisitReport, analysis: Analysis) -> str:
    item, pct = analysis.packaging_pct()
    figures = {"pct": language.number(pct, 1), "threshold": language.number(analysis.packaging.threshold_pct)}
    if item is None:
        return language.gettext(TEXTS["packaging_materials"]) % figures
    return language.gettext(ITEM_PACKAGING) % {"item": item, **figures}


def _materials(status: MaterialStatus):
    def params(language: Language, report: VisitReport, analysis: Analysis) -> dict:
        items = [language.local(m.name, m.name_zh) for _, m in analysis.materials if m.status is status]
        return {"items": language.separator.join(items)}
    return params


_BUILDERS = {
    "final_inspection_passed": _text("final_inspection_passed", lambda lang, r, a: {
        "final": lang.date(r.order.final_inspection), "visited": lang.date(r.visit.date)}),
    "late": _days(LATE),
    "little_slack": _days(LITTLE_SLACK),
    "no_output": _no_output,
    "progress_gap": _gap,
    "quality_fail": _text("quality_fail", _failed),
    "sample_incomplete": _text("sample_incomplete", _incomplete),
    "systematic_defect": _systematic_defects,
    "packaging_materials": _packaging,
    "materials_substituted": _text("materials_substituted", _materials(MaterialStatus.SUBSTITUTED)),
    "materials_missing": _text("materials_missing", _materials(MaterialStatus.MISSING)),
    "misses_ex_factory": _text("misses_ex_factory", lambda lang, r, a: {
        "projected": lang.date(a.schedule.projected_completion), "ex_factory": lang.date(a.schedule.ex_factory)}),
    "systematic": _systematic,
    "instructions_proposed": lambda lang, r, a: _counted(lang, PROPOSED, len(r.proposed_instructions())),
}
