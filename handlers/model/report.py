"""The visit report schema: what an inspector writes after a mid-production visit.

The pydantic models check shape and types field by field; rules that span fields or
need the outside world (photo files, the configured factories, the instruction catalog)
live in `checks.py`, so each problem can be tied to the exact field it is about.
`followup visit schema` writes these models out as `docs/visit-report.schema.json`.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, field_validator
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticCustomError
from pydantic_core.core_schema import ModelSchema as CoreModelSchema

from handlers.model.characters import describe, hidden_character

TEXT_CHARS = 2000  # a finding's description, a note: a long paragraph
SHORT_CHARS = 200  # a name, a reference, a parameter's Chinese
PHOTOS_PER_ITEM = 20
PARAMS_PER_INSTRUCTION = 20  # the catalog's kinds take at most four


def _cut(text: str, limit: int = SHORT_CHARS) -> str:
    """`text` within `limit` characters, an ellipsis ending what was cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _visible(value: str) -> str:
    """Refuses the characters `characters.hidden_character` finds, naming the first."""
    found = hidden_character(value)
    if found is not None:
        position, char = found
        raise PydanticCustomError("hidden_character", "contains the invisible character {char} at position "
                                  "{position}; delete it", {"char": describe(char), "position": position})
    return value


def _param_value(value: Any) -> Any:
    """A parameter is one quantity, date, barcode or text: never a list or a mapping, and text
    is held to the same length and characters as any other text of the report."""
    if isinstance(value, (list, dict, set, tuple)):
        raise PydanticCustomError("single_value", "must be a single value (text, a number or a date), "
                                  "not a list or a mapping")
    if isinstance(value, str):
        if len(value) > TEXT_CHARS:
            raise PydanticCustomError("string_too_long", "string should have at most {max_length} characters",
                                      {"max_length": TEXT_CHARS})
        _visible(value)
    return value


Visible = AfterValidator(_visible)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_CHARS), Visible]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_CHARS), Visible]
OrderReference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,39}$"),
]
PhotoName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), Visible]
ParamName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ParamValue = Annotated[
    Any, AfterValidator(_param_value), WithJsonSchema({"type": ["string", "integer"], "maxLength": TEXT_CHARS})
]
Count = Annotated[int, Field(ge=0, strict=True)]
PositiveCount = Annotated[int, Field(gt=0, strict=True)]


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class VisitType(StrEnum):
    INITIAL_PRODUCTION_CHECK = "initial_production_check"
    DURING_PRODUCTION = "during_production"
    RE_CHECK = "re_check"


class MaterialStatus(StrEnum):
    ON_SITE = "on_site"
    PARTIAL = "partial"
    MISSING = "missing"
    SUBSTITUTED = "substituted"


class FindingCategory(StrEnum):
    WORKMANSHIP = "workmanship"
    LABELLING = "labelling"
    MATERIAL_SUBSTITUTION = "material_substitution"
    FINISHING = "finishing"
    ASSEMBLY = "assembly"
    FUNCTION = "function"
    DIMENSIONS = "dimensions"
    OTHER = "other"


class PackagingItem(StrEnum):
    MASTER_CARTON = "master_carton"
    INNER_PACKING = "inner_packing"
    SHIPPING_MARKS = "shipping_marks"
    BARCODES = "barcodes"
    COUNTRY_OF_ORIGIN = "country_of_origin"
    WARNINGS = "warnings"
    INSTRUCTIONS = "instructions"
    PRODUCT_LABELS = "product_labels"
    OTHER = "other"


class PackagingStatus(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    MISSING = "missing"
    NOT_CHECKED = "not_checked"


class _Strict(BaseModel):
    """Unknown keys are refused: a misspelt field must not be silently ignored.

    Attribute docstrings become the JSON Schema's descriptions (docs/visit-report.schema.json),
    read when a schema is written (_AttributeDocstrings) rather than by pydantic's
    `use_attribute_docstrings`, which parses every model's source as the module is imported:
    some 20 ms of each command that reads a report, `visit check` and `visit post` among them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @classmethod
    def model_json_schema(cls, *args: Any, schema_generator: type[GenerateJsonSchema] | None = None,
                          **kwargs: Any) -> dict[str, Any]:
        return super().model_json_schema(*args, schema_generator=schema_generator or _AttributeDocstrings, **kwargs)


class _AttributeDocstrings(GenerateJsonSchema):
    """Pydantic's JSON Schema with each field's attribute docstring (the string under it) as its
    description, where the field gives none of its own, as `use_attribute_docstrings` would."""

    def model_schema(self, schema: CoreModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        properties = json_schema.get("properties", {})
        for name, docstring in _attribute_docstrings(schema["cls"]).items():
            if name in properties:
                properties[name].setdefault("description", docstring)
        return json_schema


def _attribute_docstrings(model: type) -> dict[str, str]:
    """Each field's docstring, by field name, from the model's source and its bases'."""
    found: dict[str, str] = {}
    for cls in reversed(model.__mro__[:model.__mro__.index(_Strict)]):
        body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
        found.update({
            field.target.id: inspect.cleandoc(docstring.value.value)
            for field, docstring in zip(body, body[1:])
            if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
            and isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
            and isinstance(docstring.value.value, str)
        })
    return found


class AqlLimits(_Strict):
    """Acceptance quality limits for this order (ISO 2859-1, per severity)."""

    critical: Decimal = Decimal("0")
    """AQL for critical defects; 0 accepts none."""
    major: Decimal = Decimal("2.5")
    """AQL for major defects: 0 or a standard value from 0.065 to 10."""
    minor: Decimal = Decimal("4.0")
    """AQL for minor defects: 0 or a standard value from 0.065 to 10."""

    def for_severity(self, severity: Severity) -> Decimal:
        return getattr(self, severity.value)


class Product(_Strict):
    name: ShortText
    """Product name as on the purchase order."""
    name_zh: ShortText | None = None
    """Chinese product name, shown to the factory."""
    item_number: ShortText | None = None
    """The buyer's item or style number."""


class Progress(_Strict):
    reported_complete: Count
    """Units the factory says are complete."""
    counted_complete: Count
    """Units the inspector counted complete (the verified figure)."""
    in_progress: Count = 0
    """Units the inspector saw in production."""
    not_started: Count = 0
    """Units not yet started."""
    daily_output: Count
    """Units per working day observed on the line; 0 when production has stalled."""


class OrderItem(Progress):
    """One style, colour or size of an order that holds several, with its figures at this visit:
    the inspector's count sheet has one line per item, so an item is read as one line too."""

    code: ShortText
    """The buyer's item or style number, unique within the order; findings name it (`item`)."""
    name: ShortText
    """The item as on the purchase order, e.g. colour and size."""
    name_zh: ShortText | None = None
    """The item in Chinese, shown to the factory."""
    quantity: PositiveCount
    """Units of this item ordered."""


class Order(_Strict):
    reference: OrderReference
    """The buyer's purchase-order number, e.g. PO-2026-0142."""
    factory: ShortText
    """Factory id as configured in followup.toml [[factories]]."""
    buyer: ShortText | None = None
    """The buyer's company name, printed on the notice."""
    product: Product | None = None
    """The product of a one-item order; an order of several items gives `items` instead."""
    quantity: PositiveCount | None = None
    """Ordered quantity, in units (sets, pieces: what the order counts); with `product`."""
    items: list[OrderItem] | None = Field(None, min_length=1, max_length=100)
    """The items of an order of several styles, colours or sizes, instead of `product`,
    `quantity` and the report's `progress`: the order's quantity is their sum."""
    final_inspection: date
    """Planned final (pre-shipment) inspection date."""
    ex_factory: date
    """Ex-factory date agreed with the factory."""
    production_start: date | None = None
    """When production started or was planned to: the progress chart's plan runs from it."""
    aql: AqlLimits = Field(default_factory=AqlLimits)
    """AQL per severity; defaults 0 / 2.5 / 4.0."""
    inspection_level: Literal["I", "II", "III"] = "II"
    """General inspection level for the sample size."""


class Visit(_Strict):
    date: date
    """Date of the visit, in the factory's time zone."""
    type: VisitType = VisitType.DURING_PRODUCTION
    """initial_production_check, during_production or re_check."""
    inspector: ShortText
    """The inspector's name."""
    sample_drawn: bool = True
    """Whether a random sample was drawn and is to be judged by AQL."""
    lot_size: PositiveCount | None = None
    """Units offered for sampling; defaults to the counted complete units."""
    sample_size: PositiveCount | None = None
    """Units drawn and checked in the random sample; defaults to the most units any finding
    in the sample checked. Without either, no sample is judged."""


class Instruction(_Strict):
    """A corrective instruction the inspector proposes; the buyer decides on it."""

    kind: ShortText
    """A key from `followup notice kinds`, e.g. rework, sort_100, correct_shipping_marks."""
    params: dict[ParamName, ParamValue] = Field(default_factory=dict, max_length=PARAMS_PER_INSTRUCTION)
    """The kind's parameters, e.g. {quantity: 9} or {correct_text: "..."}."""
    params_zh: dict[ParamName, ShortText] = Field(default_factory=dict, max_length=PARAMS_PER_INSTRUCTION)
    """The inspector's Chinese for descriptive text parameters (material, spec, aspect,
    language), e.g. {spec: 五层瓦楞纸箱}; used on the Chinese side while the English is unchanged.
    Text a label or marking must read (correct_text, marking) is printed as written instead."""
    note: Text | None = None
    """Free text, shown in the language it is written in and labelled as such."""
    note_zh: Text | None = None
    """The inspector's own Chinese version of the note, used on the Chinese side."""
    due: date
    """When the factory must have done it."""

    @field_validator("params")
    @classmethod
    def _json_values(cls, params: dict[str, Any]) -> dict[str, Any]:
        """YAML reads 2026-12-01 as a date; keep parameters as JSON values (ISO text)."""
        return {name: value.isoformat() if isinstance(value, date) else value for name, value in params.items()}


class Material(_Strict):
    """A material or component, and whether it is physically at the factory."""

    name: ShortText
    name_zh: ShortText | None = None
    status: MaterialStatus
    """on_site, partial, missing or substituted."""
    approved: ShortText | None = None
    """What the specification or approved sample calls for."""
    substitute: ShortText | None = None
    """What is used instead; required when the status is substituted."""
    note: Text | None = None
    note_zh: Text | None = None
    photos: list[PhotoName] = Field(default_factory=list, max_length=PHOTOS_PER_ITEM)
    """Photo files, relative to the report (or inside the .zip bundle)."""
    instruction: Instruction | None = None


class Finding(_Strict):
    """An early quality signal: a defect, a wrong marking, a substitution, a variation."""

    category: FindingCategory
    severity: Severity
    """critical, major or minor (CR / MA / MI)."""
    description: Text
    description_zh: Text | None = None
    """The inspector's Chinese version of the description."""
    units_checked: PositiveCount
    units_affected: PositiveCount
    in_sample: bool = True
    """Counted toward the AQL judgement of the random sample."""
    systematic: bool | None = None
    """The inspector's judgement: true systematic, false isolated, absent: let the bot judge."""
    item: ShortText | None = None
    """The code of the order's item it was found on (order.items, or order.product.item_number)."""
    reference: ShortText | None = None
    """Specification clause or approved-sample reference it deviates from."""
    photos: list[PhotoName] = Field(default_factory=list, max_length=PHOTOS_PER_ITEM)
    """Photo files, relative to the report (or inside the .zip bundle)."""
    instruction: Instruction | None = None


class PackagingCheck(_Strict):
    item: PackagingItem
    status: PackagingStatus
    """ok, wrong, missing or not_checked; wrong and missing need a note."""
    note: Text | None = None
    note_zh: Text | None = None
    photos: list[PhotoName] = Field(default_factory=list, max_length=PHOTOS_PER_ITEM)
    instruction: Instruction | None = None


class Packaging(_Strict):
    materials_on_site: bool
    """Whether the packaging materials (cartons, boxes, labels) are at the factory."""
    checks: list[PackagingCheck] = Field(default_factory=list, max_length=50)


# One product (order.product, order.quantity, progress) or several items (order.items), never
# both: checks.form_checks says so field by field; the schema says it for editors.
_ONE_FORM = {
    "if": {"properties": {"order": {"required": ["items"]}}, "required": ["order"]},
    "then": {"properties": {"order": {"not": {"anyOf": [{"required": ["product"]}, {"required": ["quantity"]}]}}},
             "not": {"required": ["progress"]}},
    "else": {"properties": {"order": {"required": ["product", "quantity"]}}, "required": ["progress"]},
}


class VisitReport(_Strict):
    """One production follow-up visit, as the inspector reports it."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=True,
        json_schema_extra={"$id": "https://followup.example/visit-report.schema.json", **_ONE_FORM},
    )

    version: Literal[1] = 1
    """Schema version of this report."""
    order: Order
    visit: Visit
    progress: Progress | None = None
    """The order's progress at the visit; an order with `items` gives it per item instead."""
    materials: list[Material] = Field(default_factory=list, max_length=100)
    findings: list[Finding] = Field(default_factory=list, max_length=100)
    packaging: Packaging

    def item_lines(self) -> tuple[ItemLine, ...]:
        """The order's items with their figures, whichever form the report takes: one line for
        a product with its quantity and progress, one per entry of `order.items`."""
        order = self.order
        if order.items is not None:
            return tuple(ItemLine(i.code, i.name, i.name_zh, i.quantity, i) for i in order.items)
        if order.product is None or order.quantity is None or self.progress is None:
            return ()  # refused by the checks: never analysed
        product = order.product
        return (ItemLine(product.item_number, product.name, product.name_zh, order.quantity, self.progress),)

    def item_line(self, code: str | None) -> ItemLine | None:
        """The item a finding names by its code (None: it names none)."""
        return next((line for line in self.item_lines() if code is not None and line.code == code), None)

    def product_names(self) -> tuple[str, str | None]:
        """What the order makes, in English and in Chinese (None: no Chinese given), for lists
        and searches: the product's name, or its items' names joined, cut to a short text."""
        lines = self.item_lines()
        english = " / ".join(line.name for line in lines)
        chinese = " / ".join(line.name_zh or line.name for line in lines) if any(l.name_zh for l in lines) else None
        return _cut(english), None if chinese is None else _cut(chinese)

    @property
    def ordered(self) -> int:
        """The order's quantity: the product's, or the sum of its items'."""
        return sum(line.ordered for line in self.item_lines())

    def proposed_instructions(self) -> list[tuple[str, Instruction]]:
        """Every proposed instruction with the path of the item it answers."""
        return [
            *((f"findings.{i}", f.instruction) for i, f in enumerate(self.findings) if f.instruction),
            *((f"materials.{i}", m.instruction) for i, m in enumerate(self.materials) if m.instruction),
            *(
                (f"packaging.checks.{i}", c.instruction)
                for i, c in enumerate(self.packaging.checks)
                if c.instruction
            ),
        ]

    def item(self, source: str) -> Finding | Material | PackagingCheck:
        """The finding, material or packaging check at a path such as "findings.2"."""
        *section, index = source.split(".")
        items = self.packaging.checks if section == ["packaging", "checks"] else getattr(self, section[0])
        return items[int(index)]


@dataclass(frozen=True)
class ItemLine:
    """One item of an order and its progress at the visit (see `VisitReport.item_lines`)."""

    code: str | None
    name: str
    name_zh: str | None
    ordered: int
    progress: Progress
