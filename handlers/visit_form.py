"""The inspector's form as data: which fields of a report it edits, how a typed value becomes
the report's value, and the report it starts from (the order's figures, today's visit).

A field is named by its dotted path in the report (`findings.2.units_affected`), as the checks
name their problems, so a problem lands beside the field it is about. Only the paths listed
here are taken: the form cannot write anything else into a report.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from handlers import catalog
from handlers.model.orders import StoredOrder


class FieldType(StrEnum):
    TEXT = "text"
    COUNT = "count"
    DATE = "date"
    FLAG = "flag"
    JUDGEMENT = "judgement"  # true, false, or left to the bot (removed)


_N = r"(?:[0-9]|[1-9][0-9])"  # an item's index, below the schema's 100 items
_PARAM = r"[a-z_]{1,32}"
FIELDS: tuple[tuple[re.Pattern[str], FieldType], ...] = tuple((re.compile(f"^{pattern}$"), kind) for pattern, kind in (
    (r"order\.inspection_level", FieldType.TEXT),
    (r"visit\.(?:type|inspector)", FieldType.TEXT),
    (r"visit\.date", FieldType.DATE),
    (r"visit\.sample_drawn", FieldType.FLAG),
    (r"visit\.lot_size", FieldType.COUNT),
    (r"progress\.(?:reported_complete|counted_complete|in_progress|not_started|daily_output)", FieldType.COUNT),
    (rf"order\.items\.{_N}\.(?:reported_complete|counted_complete|in_progress|not_started|daily_output)",
     FieldType.COUNT),  # an item's counts; its code, names and quantity come from the order
    (rf"materials\.{_N}\.(?:name|name_zh|status|approved|substitute|note|note_zh)", FieldType.TEXT),
    (r"packaging\.materials_on_site", FieldType.FLAG),
    (rf"packaging\.checks\.{_N}\.(?:item|status|note|note_zh)", FieldType.TEXT),
    (rf"findings\.{_N}\.(?:category|severity|description|description_zh|reference|item)", FieldType.TEXT),
    (rf"findings\.{_N}\.(?:units_checked|units_affected)", FieldType.COUNT),
    (rf"findings\.{_N}\.in_sample", FieldType.FLAG),
    (rf"findings\.{_N}\.systematic", FieldType.JUDGEMENT),
    (rf"(?:findings|materials|packaging\.checks)\.{_N}\.instruction\.(?:kind|note|note_zh)", FieldType.TEXT),
    (rf"(?:findings|materials|packaging\.checks)\.{_N}\.instruction\.due", FieldType.DATE),
    (rf"(?:findings|materials|packaging\.checks)\.{_N}\.instruction\.params_zh\.{_PARAM}", FieldType.TEXT),
    (rf"(?:findings|materials|packaging\.checks)\.{_N}\.instruction\.params\.{_PARAM}", FieldType.TEXT),
))
LISTS = ("findings", "materials", "packaging.checks")


class NotAField(ValueError):
    """A path the form does not edit."""


MAX_ITEMS = 100  # the schema's limit on each list


class ListFull(ValueError):
    """A list holds MAX_ITEMS already: the report would not pass its checks with one more."""


def field_type(path: str) -> FieldType:
    for pattern, kind in FIELDS:
        if pattern.match(path):
            return kind
    raise NotAField(path)


def typed(kind: FieldType, text: str) -> Any:
    """The report's value for what was typed: a count as a number when it is one (else the text,
    for the schema to name), a flag as true or false, anything else as written."""
    text = text.strip()
    if kind is FieldType.COUNT and re.fullmatch(r"[0-9]{1,9}", text):
        return int(text)
    if kind is FieldType.FLAG:
        return text.lower() in ("1", "true", "on", "yes")
    if kind is FieldType.JUDGEMENT and text in ("true", "false"):
        return text == "true"
    return text


def with_field(report: dict[str, Any], path: str, text: str) -> dict[str, Any]:
    """A copy of `report` with the field at `path` set from `text`; an empty text removes the
    field (a required one is then named as missing), an empty instruction kind the instruction."""
    kind = field_type(path)
    if path.startswith("progress.") and isinstance(_at_list(report, "order.items"), list):
        raise NotAField(path)  # an order of several items is counted per item (order.items.N.*)
    value = typed(kind, text)
    changed = copy.deepcopy(report)
    *parents, name = path.split(".")
    if name == "kind" and parents[-1] == "instruction" and value == "":
        parents, name = parents[:-1], "instruction"
    holder = _holder(changed, parents)
    if parents[-1:] == ["params"] and _is_quantity(_holder(changed, parents[:-1]), name) and value.isdigit():
        value = int(value)  # a quantity parameter is a number; a label's text stays text, digits or not
    if value == "" and kind is not FieldType.FLAG:
        if isinstance(holder, dict):
            holder.pop(name, None)
    else:
        holder[name] = value
    return changed


def _is_quantity(instruction: dict[str, Any], name: str) -> bool:
    found = catalog.kind_named(str(instruction.get("kind", "")))
    param = None if found is None else found.param(name)
    return param is not None and param.type is catalog.ParamType.QUANTITY


def has_item(report: dict[str, Any], item: str) -> bool:
    """Whether `item` (findings.0) names an item the report holds."""
    section, _, index = item.rpartition(".")
    if section not in LISTS or not index.isdigit():
        return False
    items = _at_list(report, section)
    return isinstance(items, list) and int(index) < len(items) and isinstance(items[int(index)], dict)


def fields_set(report: dict[str, Any], changes: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`report` with each (path, text) of `changes` set, in order (see `with_field`)."""
    for path, text in changes:
        report = with_field(report, path, text)
    return report


def layout(report: dict[str, Any]) -> str:
    """How many items each list holds ("3.0.1": findings, materials, packaging checks): a page
    names items by position, so it sends this with each change and a change made from a page
    of another layout (an item removed on another phone) is refused rather than written into
    the item that moved up to that position."""
    return ".".join(str(len(items)) if isinstance(items := _at_list(report, name), list) else "0" for name in LISTS)


class LayoutChanged(Exception):
    """The page's items are no longer where the draft has them: it is to be reloaded."""


def on_layout(report: dict[str, Any], seen: str | None, paths: Iterable[str]) -> None:
    """Raises LayoutChanged when one of `paths` is in an item and the page that sent it saw
    another layout; `seen` None is a caller that does not name items by a page's positions."""
    if seen is not None and seen != layout(report) and any(_addresses_item(path) for path in paths):
        raise LayoutChanged(seen)


def _addresses_item(path: str) -> bool:
    return any(path.startswith(f"{name}.") for name in LISTS)


def _at_list(report: dict[str, Any], section: str) -> Any:
    holder: Any = report
    for part in section.split("."):
        holder = holder.get(part) if isinstance(holder, dict) else None
    return holder


def _holder(report: dict[str, Any], parents: list[str]) -> dict[str, Any]:
    """What `parents` names, dicts made on the way; an item is never made here (only with_item
    adds one), so a position past a list's end is NotAField."""
    holder: Any = report
    for i, part in enumerate(parents):
        if part.isdigit():
            index = int(part)
            if not isinstance(holder, list) or index >= len(holder):
                raise NotAField(".".join(parents[:i + 1]))
            holder = holder[index]
        else:
            holder = holder.setdefault(part, [] if parents[i + 1:i + 2] and parents[i + 1].isdigit() else {})
    return holder


def with_item(report: dict[str, Any], section: str) -> dict[str, Any]:
    """A copy of `report` with an empty item added to `section` (one of LISTS)."""
    if section not in LISTS:
        raise NotAField(section)
    changed = copy.deepcopy(report)
    *parents, name = section.split(".")
    items = _holder(changed, parents).setdefault(name, [])
    if len(items) >= MAX_ITEMS:
        raise ListFull(section)
    items.append({})
    return changed


def without_item(report: dict[str, Any], item: str) -> dict[str, Any]:
    """A copy of `report` without the item at `item` (findings.1): those after it move up."""
    if not has_item(report, item):
        raise NotAField(item)
    changed = copy.deepcopy(report)
    *parents, index = item.split(".")
    del _holder(changed, parents)[int(index)]
    return changed


def with_photo(report: dict[str, Any], item: str, name: str) -> dict[str, Any]:
    """A copy of `report` with the photo `name` added to the item at `item` (findings.0)."""
    if not has_item(report, item):
        raise NotAField(item)
    changed = copy.deepcopy(report)
    photos = _holder(changed, item.split(".")).setdefault("photos", [])
    if name not in photos:
        photos.append(name)
    return changed


def prefilled(order: StoredOrder, inspector: str, today: date) -> dict[str, Any]:
    """The report a visit to `order` starts from: the order as the buyer imported it (an order of
    several items as its items, each to be counted), today's visit by `inspector`, and the
    sections the inspector fills in left to them."""
    line = order.line
    ordered: dict[str, Any] = {"reference": order.reference, "factory": line.factory}
    if order.items:
        ordered["items"] = [{"code": item.code, **_named(item.name, item.name_zh), "quantity": item.quantity}
                            for item in order.items]
    else:
        ordered |= {"product": _named(line.product_name, line.product_name_zh), "quantity": line.quantity}
    ordered |= {"final_inspection": line.final_inspection.isoformat(), "ex_factory": line.ex_factory.isoformat()}
    if line.production_start is not None:
        ordered["production_start"] = line.production_start.isoformat()
    counts = {} if order.items else {"progress": {}}
    return {"version": 1, "order": ordered,
            "visit": {"date": today.isoformat(), "type": "during_production", "inspector": inspector},
            **counts, "materials": [], "findings": [], "packaging": {"materials_on_site": True, "checks": []}}


def _named(name: str, name_zh: str | None) -> dict[str, str]:
    """A product's or an item's names as the report gives them: the Chinese only when there is one."""
    return {"name": name, **({"name_zh": name_zh} if name_zh else {})}
