"""Reading a report from disk: file or bundle, YAML or JSON, shape, cross-field rules, photos.

`read_report` is a context manager because a .zip bundle is unpacked into a temporary
folder; the photos it returns can be read (and copied into the store) only inside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from handlers.reports.bundle import BundleLimits, open_report_source
from handlers.reports.checks import Parts, cross_checks, known
from handlers.reports.photos import Photo, PhotoLimits, inspect_photo
from handlers.reports.problems import Problem, errors, from_validation_error
from handlers.reports.schema import (
    Finding,
    Material,
    Order,
    Packaging,
    Progress,
    Visit,
    VisitReport,
)
from handlers.translatable import N_, Text

_SECTIONS: dict[str, type[BaseModel]] = {
    "order": Order,
    "visit": Visit,
    "progress": Progress,
    "packaging": Packaging,
}
_LIST_SECTIONS: dict[str, type[BaseModel]] = {"materials": Material, "findings": Finding}


@dataclass(frozen=True)
class CheckedReport:
    name: str
    report: VisitReport | None
    photos: dict[str, Photo]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.report is not None and not errors(self.problems)


@contextmanager
def read_report(
    path: Path,
    factory_ids: Iterable[str],
    bundle_limits: BundleLimits = BundleLimits(),
    photo_limits: PhotoLimits = PhotoLimits(),
) -> Iterator[CheckedReport]:
    with open_report_source(path, bundle_limits) as (source, problems):
        if source is None:
            yield CheckedReport(path.name, None, {}, problems)
            return
        raw, load_problems = _load(source.report_path)
        problems = problems + load_problems
        report = None
        photos: dict[str, Photo] = {}
        if raw is not None:
            report, shape_problems = _validate(raw)
            parts = _valid_parts(raw) if report is None else _parts_of(report)
            visit_date = parts.visit.date if known(parts.visit, "date") else None
            photos, photo_problems = _check_photos(raw, source.base_dir, visit_date, photo_limits)
            problems += shape_problems + cross_checks(parts, factory_ids) + photo_problems
        yield CheckedReport(path.name, report, photos, problems)


def _load(path: Path) -> tuple[dict | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(path.name, Text(N_("not UTF-8 text")))]
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=_TextDatesLoader)
    except json.JSONDecodeError as exc:
        message = N_("not valid JSON: line %(line)s, column %(column)s: %(error)s")
        return None, [Problem(path.name, Text(message, line=exc.lineno, column=exc.colno, error=exc.msg))]
    except yaml.YAMLError as exc:
        return None, [Problem(path.name, _yaml_problem(exc))]
    if not isinstance(raw, dict):
        message = N_("the report must be a mapping of sections, got %(type)s")
        return None, [Problem(path.name, Text(message, type=type(raw).__name__))]
    return raw, []


class _TextDatesLoader(yaml.SafeLoader):
    """Leaves dates as text, as in JSON: pydantic then refuses 2026-11-31 with the field's
    path instead of PyYAML failing on the whole file without saying where."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml_problem(exc: yaml.YAMLError) -> Text:
    """Where the YAML breaks, in the reader's language; what breaks it, in PyYAML's English."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return Text(N_("not valid YAML: %(error)s"), error=problem)
    message = N_("not valid YAML: line %(line)s, column %(column)s: %(error)s")
    return Text(message, line=mark.line + 1, column=mark.column + 1, error=problem)


def _validate(raw: dict) -> tuple[VisitReport | None, list[Problem]]:
    try:
        return VisitReport.model_validate(raw), []
    except ValidationError as exc:
        return None, from_validation_error(exc)


def _parts_of(report: VisitReport) -> Parts:
    return Parts(
        order=report.order,
        visit=report.visit,
        progress=report.progress,
        packaging=report.packaging,
        materials=list(enumerate(report.materials)),
        findings=list(enumerate(report.findings)),
    )


def _valid_parts(raw: dict) -> Parts:
    """Every field that is valid on its own, so cross-field rules can still speak about it
    when a neighbouring field is broken."""
    parts = Parts(**{name: _salvaged(model, raw.get(name)) for name, model in _SECTIONS.items()})
    for name, model in _LIST_SECTIONS.items():
        items = raw.get(name)
        if isinstance(items, list):
            salvaged = ((i, _salvaged(model, item)) for i, item in enumerate(items))
            setattr(parts, name, [(i, item) for i, item in salvaged if item is not None])
    return parts


def _salvaged(model: type[BaseModel], value: Any) -> BaseModel | None:
    """The model from `value`, leaving out fields that are invalid (see `checks.known`)."""
    if not isinstance(value, dict):
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        pass
    valid = {}
    for name in model.model_fields.keys() & value.keys():
        try:
            valid[name] = _field_adapter(model, name).validate_python(value[name])
        except ValidationError:
            continue
    return model.model_construct(**valid)


@cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    field = model.model_fields[name]
    annotation = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    return TypeAdapter(annotation)


def _check_photos(
    raw: dict, base_dir: Path, visit_date: date | None, limits: PhotoLimits
) -> tuple[dict[str, Photo], list[Problem]]:
    """Checks every photo the report names, even where the rest of its item is invalid."""
    photos: dict[str, Photo] = {}
    problems: list[Problem] = []
    for field, name in _photo_references(raw):
        if name in photos:
            continue
        photo, found = inspect_photo(base_dir, name, field, visit_date, limits)
        problems += found
        if photo is not None:
            photos[name] = photo
    return photos, problems


def _photo_references(raw: dict) -> Iterator[tuple[str, str]]:
    packaging = raw.get("packaging")
    checks = packaging.get("checks") if isinstance(packaging, dict) else None
    for prefix, items in (("materials", raw.get("materials")), ("findings", raw.get("findings")),
                          ("packaging.checks", checks)):
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            names = item.get("photos") if isinstance(item, dict) else None
            if isinstance(names, list):
                for j, name in enumerate(names):
                    if isinstance(name, str) and name.strip():
                        yield f"{prefix}.{i}.photos.{j}", name.strip()
