"""The inspector's visit form, in the inspector's language: each section of the report as
fields named by their path in it, each field's value from the draft and the problems the
checks found there, and a finding's proposed instruction previewed as the factory will read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from handlers import catalog
from handlers.intake.problems import Level, Problem
from handlers.model import Factory
from handlers.model.drafts import VisitDraft
from handlers.model.report import FindingCategory, MaterialStatus, PackagingItem, PackagingStatus, Severity, VisitType
from handlers.translatable import N_
from messages import wording
from messages.environment import render
from messages.i18n import CHINESE, Language
from handlers.visit_form import LISTS, layout
from messages.instructions import wording as instruction_wording


@dataclass
class Field:
    path: str
    label: str  # in the reader's language
    kind: str  # text, textarea, number, date, check, select
    value: Any
    choices: tuple[tuple[str, str], ...] = ()
    problems: list[str] = field(default_factory=list)


@dataclass
class Item:
    path: str  # findings.0
    title: str
    fields: list[Field]
    photos: list[tuple[str, str]] = field(default_factory=list)  # (name, url)
    preview: str | None = None  # the instruction in Chinese, as the factory will read it
    problems: list[str] = field(default_factory=list)
    fixed: bool = False  # an item of the order (counted, never added, removed or photographed)


@dataclass
class Section:
    key: str
    title: str
    fields: list[Field] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    add: str | None = None  # the list a new item goes to
    add_label: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FormState:
    base: str  # /v/<token>
    query_lang: str
    photo_url: str  # base of a photo's address: + /<sha256>
    said: tuple[bool, str] | None = None


_VISIT = (("visit.date", N_("Visit date"), "date"), ("visit.inspector", N_("Inspector"), "text"))
_COUNTS = (
    ("progress.reported_complete", N_("Reported complete by the factory"), "number"),
    ("progress.counted_complete", N_("Counted complete"), "number"),
    ("progress.in_progress", N_("In production"), "number"),
    ("progress.not_started", N_("Not started"), "number"),
    ("progress.daily_output", N_("Daily output (units per working day)"), "number"),
)
_ITEM_COUNTS = tuple((path.removeprefix("progress."), label, kind) for path, label, kind in _COUNTS)
_SAMPLE = (("visit.lot_size", N_("Lot size (units offered for sampling)"), "number"),)
_MATERIAL = (("name", N_("Material"), "text"), ("name_zh", N_("Material in Chinese"), "text"),
             ("approved", N_("Approved material"), "text"), ("substitute", N_("Used instead"), "text"),
             ("note", N_("Note"), "textarea"), ("note_zh", N_("Note in Chinese"), "textarea"))
_CHECK = (("note", N_("Note"), "textarea"), ("note_zh", N_("Note in Chinese"), "textarea"))
_FINDING = (("description", N_("Description (English)"), "textarea"),
            ("description_zh", N_("Description (Chinese, optional)"), "textarea"),
            ("units_checked", N_("Units checked"), "number"), ("units_affected", N_("Units affected"), "number"),
            ("reference", N_("Specification or approved-sample reference"), "text"))
_INSTRUCTION = (("due", N_("Due date"), "date"), ("note", N_("Note to the factory"), "textarea"),
                ("note_zh", N_("Note in Chinese"), "textarea"))
NO_INSTRUCTION = N_("(no instruction)")
PARAM_IN_CHINESE = N_("%(description)s, in Chinese")


def form_page(draft: VisitDraft, problems: list[Problem], language: Language, state: FormState,
              factory: Factory | None) -> str:
    sections = _sections(draft, language, state)
    unplaced = _place(problems, sections, language)
    order = draft.report.get("order", {})
    shown = order.get("factory") if factory is None else factory.name_zh if language.is_chinese else factory.name
    items = _order_items(draft.report)
    quantity = sum(i.get("quantity") or 0 for i in items) if items else order.get("quantity")
    return render("html", "form/form.html.j2", language, sections=sections, order=order, state=state, factory=shown,
                  items=len(items), quantity=quantity, product=_at(draft.report, "order.product") or {},
                  submitted=draft.submitted, unplaced=unplaced, layout=layout(draft.report),
                  summary=problems_summary(language, sum(p.level is Level.ERROR for p in problems)),
                  other_lang="zh" if not language.is_chinese else "en",
                  title=f"{draft.order_reference} · {language.gettext(N_('Visit report'))}")


def _sections(draft: VisitDraft, language: Language, state: FormState) -> list[Section]:
    report = draft.report
    _ = language.gettext
    visit = Section("visit", _(N_("Visit")), [_field(report, p, _(label), kind) for p, label, kind in _VISIT])
    visit.fields.insert(1, _select(report, "visit.type", _(N_("Visit type")), language, "visit_type", VisitType))
    counts = _counts(report, language)
    sample = Section("sample", _(N_("Sample")), [
        _field(report, "visit.sample_drawn", _(N_("A random sample was drawn")), "check"),
        Field("order.inspection_level", _(N_("Inspection level")), "select", _at(report, "order.inspection_level")
              or "II", (("I", "I"), ("II", "II"), ("III", "III"))),
        *(_field(report, p, _(label), kind) for p, label, kind in _SAMPLE)])
    materials = Section("materials", _(N_("Materials")), add="materials", add_label=_(N_("Add a material")))
    for i in range(len(report.get("materials") or [])):
        path = f"materials.{i}"
        fields = [_field(report, f"{path}.{name}", _(label), kind) for name, label, kind in _MATERIAL]
        fields.insert(2, _select(report, f"{path}.status", _(N_("Status")), language, "material_status",
                                 MaterialStatus))
        materials.items.append(_item(report, draft, path, f"M{i + 1}", fields, language, state))
    packaging = Section("packaging", _(N_("Packaging checks")), [
        _field(report, "packaging.materials_on_site", _(N_("Packaging materials are at the factory")), "check")],
        add="packaging.checks", add_label=_(N_("Add a packaging check")))
    for i in range(len(_at(report, "packaging.checks") or [])):
        path = f"packaging.checks.{i}"
        fields = [_select(report, f"{path}.item", _(N_("What was checked")), language, "packaging_item",
                          PackagingItem),
                  _select(report, f"{path}.status", _(N_("Result")), language, "packaging_status", PackagingStatus),
                  *(_field(report, f"{path}.{name}", _(label), kind) for name, label, kind in _CHECK)]
        packaging.items.append(_item(report, draft, path, f"P{i + 1}", fields, language, state))
    findings = Section("findings", _(N_("Findings")), add="findings", add_label=_(N_("Add a finding")))
    for i in range(len(report.get("findings") or [])):
        path = f"findings.{i}"
        fields = [_select(report, f"{path}.severity", _(N_("Severity")), language, "severity", Severity),
                  _select(report, f"{path}.category", _(N_("Category")), language, "category", FindingCategory),
                  *_item_choice(report, path, language),
                  *(_field(report, f"{path}.{name}", _(label), kind) for name, label, kind in _FINDING),
                  *_judgement_fields(report, path, language)]
        findings.items.append(_item(report, draft, path, f"F{i + 1}", fields, language, state))
    return [visit, counts, sample, materials, packaging, findings]


def _order_items(report: dict) -> list[dict]:
    """The order's items when it has several (`order.items`); [] for one product."""
    items = _at(report, "order.items")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _counts(report: dict, language: Language) -> Section:
    """The counts of the order's one product, or of each of its items under the item's code,
    name and quantity (those come from the order and are not edited here)."""
    _ = language.gettext
    section = Section("progress", _(N_("Counts and daily output")))
    items = _order_items(report)
    if not items:
        section.fields = [_field(report, p, _(label), kind) for p, label, kind in _COUNTS]
    for i, item in enumerate(items):
        path = f"order.items.{i}"
        quantity = item.get("quantity") or 0
        units = language.ngettext("%(count)s unit", "%(count)s units", quantity) % {"count": language.number(quantity)}
        title = " · ".join((str(item.get("code", "")), _item_name(item, language), units))
        fields = [_field(report, f"{path}.{name}", _(label), kind) for name, label, kind in _ITEM_COUNTS]
        section.items.append(Item(path, title, fields, fixed=True))
    return section


def _item_name(item: dict, language: Language) -> str:
    return str((item.get("name_zh") if language.is_chinese else None) or item.get("name", ""))


def _item_choice(report: dict, path: str, language: Language) -> list[Field]:
    """Which of the order's items a finding was found on ("—": the whole order), for an order of
    several items; a one-product order's form has no such field."""
    items = _order_items(report)
    if not items:
        return []
    choices = (("", "—"), *((str(i.get("code", "")), f"{i.get('code', '')} · {_item_name(i, language)}")
                            for i in items))
    value = _at(report, f"{path}.item")
    return [Field(f"{path}.item", language.gettext(N_("Item no.")), "select", "" if value is None else value, choices)]


def _judgement_fields(report: dict, path: str, language: Language) -> list[Field]:
    """Whether a finding counts in the AQL sample (unless unticked it does: the box starts ticked,
    so a section saved without scripts never takes a finding out of the sample) and whether the
    inspector judges it systematic or isolated, or leaves that to the bot's rate rule."""
    _ = language.gettext
    in_sample, systematic = _at(report, f"{path}.in_sample"), _at(report, f"{path}.systematic")
    judged = {True: "true", False: "false"}.get(systematic, "") if isinstance(systematic, bool) else ""
    return [Field(f"{path}.in_sample", _(N_("Found in the random sample (counts toward AQL)")), "check",
                  in_sample is not False),
            Field(f"{path}.systematic", _(N_("Systematic or isolated")), "select", judged,
                  (("", _(N_("Judged by the bot from the rate"))), ("true", _(N_("Systematic"))),
                   ("false", _(N_("Isolated")))))]


def _item(report: dict, draft: VisitDraft, path: str, title: str, fields: list[Field], language: Language,
          state: FormState) -> Item:
    """A finding, material or packaging check: its own fields, then the instruction the inspector
    proposes for it (any of the three may carry one) and its photos."""
    _ = language.gettext
    held = _at(report, path)
    kinds = (("", _(NO_INSTRUCTION)), *((k.key, _kind_label(k, language)) for k in catalog.KINDS))
    instruction = held.get("instruction") if isinstance(held.get("instruction"), dict) else None
    fields.append(Field(f"{path}.instruction.kind", _(N_("Proposed instruction")), "select",
                        (instruction or {}).get("kind", ""), kinds))
    preview = None
    kind = catalog.kind_named(str((instruction or {}).get("kind", "")))
    if kind is not None:
        ipath = f"{path}.instruction"
        for param in kind.params:
            fields.append(_field(report, f"{ipath}.params.{param.name}", _(param.description),
                                 "number" if param.type is catalog.ParamType.QUANTITY else "text"))
            if param.describes:
                label = _(PARAM_IN_CHINESE) % {"description": _(param.description)}
                fields.append(_field(report, f"{ipath}.params_zh.{param.name}", label, "text"))
        fields += [_field(report, f"{ipath}.{name}", _(label), kind_) for name, label, kind_ in _INSTRUCTION]
        preview = _preview(kind, instruction)
    photos = [(name, f"{state.photo_url}/{draft.photos[name]}") for name in held.get("photos") or []
              if isinstance(name, str) and name in draft.photos]
    return Item(path, title, fields, photos, preview)


def previews(draft: VisitDraft) -> dict[str, str]:
    """Each item's instruction in Chinese, by the item's path (findings.0), once it can be worded."""
    found = {}
    for section in LISTS:
        for i, held in enumerate(_at(draft.report, section) or []):
            instruction = held.get("instruction") if isinstance(held, dict) else None
            kind = catalog.kind_named(str(instruction.get("kind", ""))) if isinstance(instruction, dict) else None
            if kind is not None and (preview := _preview(kind, instruction)) is not None:
                found[f"{section}.{i}"] = preview
    return found


def _kind_label(kind: catalog.InstructionKind, language: Language) -> str:
    """The kind as the factory will read it, its parameters left open: "Rework all … affected units"."""
    wording = language.ngettext(kind.wording, kind.plural, 2) if kind.plural else language.gettext(kind.wording)
    return re.sub(r"\{\w+\}", "…", wording)


def _preview(kind: catalog.InstructionKind, instruction: dict) -> str | None:
    """The instruction in Chinese once its parameters are complete and valid."""
    params = instruction.get("params") if isinstance(instruction.get("params"), dict) else {}
    params_zh = instruction.get("params_zh") if isinstance(instruction.get("params_zh"), dict) else {}
    if catalog.check_params(kind, params):
        return None
    return instruction_wording(Language(CHINESE), kind.key, params, params_zh)


def _at(report: dict, path: str) -> Any:
    value: Any = report
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _field(report: dict, path: str, label: str, kind: str) -> Field:
    value = _at(report, path)
    if kind == "check":
        return Field(path, label, kind, value is not False)
    return Field(path, label, kind, "" if value is None else value)


def _select(report: dict, path: str, label: str, language: Language, table: str, values) -> Field:
    choices = (("", "—"), *((v.value, wording.word(language, table, v.value)) for v in values))
    value = _at(report, path)
    return Field(path, label, "select", "" if value is None else value, choices)


def _place(problems: list[Problem], sections: list[Section], language: Language) -> list[str]:
    """Each problem beside the field it names, else its item, else its section; those of no
    field on the form (the order's figures) are returned to be shown at the top."""
    fields = {f.path: f for s in sections for f in s.fields}
    fields.update({f.path: f for s in sections for item in s.items for f in item.fields})
    items = {item.path: item for s in sections for item in s.items}
    owners = {"progress": "progress", "order.items": "progress", "visit.lot_size": "sample", "findings": "findings",
              "materials": "materials", "packaging": "packaging"}
    by_key = {s.key: s for s in sections}
    unplaced = []
    for problem in problems:
        text = problem.text.render(language)
        parts = problem.path.split(".")
        prefixes = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
        target = next((fields[p] for p in prefixes if p in fields), None) \
            or next((items[p] for p in prefixes if p in items), None) \
            or next((by_key[owners[p]] for p in prefixes if p in owners), None)
        if target is None:
            unplaced.append(f"{problem.path}: {text}")
        else:
            target.problems.append(text)
    return unplaced


SAVED = N_("Saved at %(time)s.")


def saved_text(language: Language, at) -> str:
    return language.gettext(SAVED) % {"time": language.moment(at)}


def problems_summary(language: Language, count: int) -> str:
    if not count:
        return language.gettext(N_("No problems found."))
    return language.ngettext("%(num)s problem to fix before posting.", "%(num)s problems to fix before posting.",
                             count) % {"num": count}
