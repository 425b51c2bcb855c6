"""Reading a report from disk: file or bundle, YAML or JSON, shape, cross-field rules, photos.

`read_report` is a context manager because a .zip bundle is unpacked into a temporary
folder; the photos it returns can be read (and copied into the store) only inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from annotated_types import MaxLen
from pydantic import BaseModel, TypeAdapter, ValidationError

from handlers.intake.checks import DEFAULT_OVERRUN_PCT, Parts, cross_checks, form_checks, known
from handlers.intake.photos import Photo, PhotoLimits, inspect_located, locate_photo
from handlers.intake.side_by_side import side_by_side
from handlers.intake.problems import PHOTO_MISSING, Level, Problem, errors, from_validation_error
from handlers.model.report import (
    Finding,
    Material,
    Order,
    Packaging,
    PackagingCheck,
    Progress,
    Visit,
    VisitReport,
)
from handlers.translatable import N_, Text

if TYPE_CHECKING:  # the reading of files (YAML, zip bundles) is imported by read_report: the bus
    # checks a form's draft with check_data, and `visit post` leaves the reading to its child
    from handlers.intake.bundle import BundleLimits
    from handlers.intake.loading import LoadLimits

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
    bundle_limits: BundleLimits | None = None,
    photo_limits: PhotoLimits = PhotoLimits(),
    load_limits: LoadLimits | None = None,
    wait_for_photos: bool = False,
    overrun_pct: float = DEFAULT_OVERRUN_PCT,
) -> Iterator[CheckedReport]:
    """Every problem of the report at `path`; its photos are readable inside the `with` block.

    Photo names are taken only from fields that passed the schema, each file is decoded once
    however many names lead to it, and none is decoded when the report names more photos than
    allowed. `wait_for_photos`: the photos arrive one by one (a chat), so while one is missing
    the others are only found, not decoded again at every arrival.
    """
    from handlers.intake.bundle import BundleLimits, open_report_source
    from handlers.intake.loading import LoadLimits, load_report

    with open_report_source(path, bundle_limits or BundleLimits()) as (source, problems):
        if source is None:
            yield CheckedReport(path.name, None, {}, problems)
            return
        raw, load_problems = load_report(source.report_path, load_limits or LoadLimits())
        problems = problems + load_problems
        report = None
        photos: dict[str, Photo] = {}
        if raw is not None:
            report, visit_date, checked = check_data(raw, factory_ids, overrun_pct)
            references = list(photo_references(raw))
            photos, photo_problems = _check_photos(references, source.base_dir, visit_date, photo_limits,
                                                   wait_for_photos)
            problems += checked + photo_problems
        yield CheckedReport(path.name, report, photos, problems)


def check_data(raw: dict, factory_ids: Iterable[str], overrun_pct: float = DEFAULT_OVERRUN_PCT,
               ) -> tuple[VisitReport | None, date | None, list[Problem]]:
    """The report `raw` holds when it passes the schema, its visit date when that is valid, and
    every problem of shape and of the cross-field rules; photos are the caller's to check."""
    report, shape_problems = _validate(raw)
    parts = _valid_parts(raw) if report is None else Parts.of(report)
    visit_date = parts.visit.date if known(parts.visit, "date") else None
    problems = shape_problems + list(form_checks(raw)) + cross_checks(parts, factory_ids, overrun_pct)
    return report, visit_date, problems


def _validate(raw: dict) -> tuple[VisitReport | None, list[Problem]]:
    try:
        return VisitReport.model_validate(raw), []
    except ValidationError as exc:
        return None, from_validation_error(exc)


def _valid_parts(raw: dict) -> Parts:
    """Every field that is valid on its own, so cross-field rules can still speak about it
    when a neighbouring field is broken."""
    parts = Parts(**{name: _salvaged(model, raw.get(name)) for name, model in _SECTIONS.items()})
    for name, model in _LIST_SECTIONS.items():
        items = raw.get(name)
        if isinstance(items, list):
            salvaged = ((i, _salvaged(model, item)) for i, item in enumerate(items[:_max_items(VisitReport, name)]))
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


def _max_items(model: type[BaseModel], name: str) -> int | None:
    """The schema's limit on the list `name`: items beyond it are refused, so never looked at."""
    return next((m.max_length for m in model.model_fields[name].metadata if isinstance(m, MaxLen)), None)


_PHOTO_SECTIONS: tuple[tuple[str, type[BaseModel], int | None], ...] = (
    ("materials", Material, _max_items(VisitReport, "materials")),
    ("findings", Finding, _max_items(VisitReport, "findings")),
    ("packaging.checks", PackagingCheck, _max_items(Packaging, "checks")),
)


def photo_references(raw: dict) -> Iterator[tuple[str, str]]:
    """(field, name) of every photo named by an item whose `photos` passed the schema, even
    where the rest of the item did not: one round tells the inspector about every photo."""
    packaging = raw.get("packaging")
    sections = {"materials": raw.get("materials"), "findings": raw.get("findings"),
                "packaging.checks": packaging.get("checks") if isinstance(packaging, dict) else None}
    for prefix, model, max_items in _PHOTO_SECTIONS:
        items = sections[prefix]
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items[:max_items]):
            if not isinstance(item, dict) or "photos" not in item:
                continue
            try:
                names = _field_adapter(model, "photos").validate_python(item["photos"])
            except ValidationError:
                continue  # the schema's problem already names it
            for j, name in enumerate(names):
                yield f"{prefix}.{i}.photos.{j}", name


_TOO_MANY_PHOTOS = N_("the report names %(count)s photos; the limit is %(limit)s per report")
_SAME_FILE = N_("'%(name)s' is the same file as '%(first)s' (%(field)s): checked once, kept as '%(first)s'")


def _check_photos(
    references: list[tuple[str, str]], base_dir: Path, visit_date: date | None, limits: PhotoLimits,
    wait_for_photos: bool,
) -> tuple[dict[str, Photo], list[Problem]]:
    """Find every named photo, then decode each file once."""
    names = list(dict.fromkeys(name for _, name in references))
    if len(names) > limits.max_per_report:
        field = next(field for field, name in references if name == names[limits.max_per_report])
        text = Text(_TOO_MANY_PHOTOS, count=f"{len(names):,}", limit=f"{limits.max_per_report:,}")
        return {}, [Problem(field, text)]
    found, problems = _locate_all(references, base_dir)
    if wait_for_photos and any(p.code == PHOTO_MISSING for p in problems):
        return {}, problems

    def inspect(located: tuple[Path, list[tuple[str, str]]]) -> tuple[Photo | None, list[Problem]]:
        path, ((field, name), *_) = located
        return inspect_located(path, name, field, visit_date, limits)

    inspected = side_by_side(inspect, found.items())
    photos: dict[str, Photo] = {}
    for (photo, photo_problems), named in zip(inspected, found.values()):
        (field, name), *others = named
        problems += photo_problems
        for other_field, other in others:
            problems.append(Problem(other_field, Text(_SAME_FILE, name=other, first=name, field=field), Level.WARNING))
        if photo is not None:
            photos.update((n, photo) for _, n in named)
    return photos, problems


def _locate_all(
    references: list[tuple[str, str]], base_dir: Path
) -> tuple[dict[Path, list[tuple[str, str]]], list[Problem]]:
    """Each file the names lead to, with the (field, name) of each distinct name leading there,
    the first one first; and the problems of names that lead nowhere."""
    found: dict[Path, list[tuple[str, str]]] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for field, name in references:
        if name in seen:
            continue  # one name used by two items: the same photo, said once
        seen.add(name)
        path, located = locate_photo(base_dir, name, field)
        problems += located
        if path is not None:
            found.setdefault(path, []).append((field, name))
    return found, problems
