"""The visit report schema: what an inspector writes after a mid-production visit.

The pydantic models check shape and types field by field; rules that span fields or
need the outside world (photo files, the configured factories, the instruction catalog)
live in `checks.py`, so each problem can be tied to the exact field it is about.
`followup visit schema` writes these models out as `docs/visit-report.schema.json`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OrderReference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,39}$"),
]
PhotoName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
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
    """Unknown keys are refused: a misspelt field must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AqlLimits(_Strict):
    critical: Decimal = Field(Decimal("0"), description="AQL for critical defects (0: none accepted)")
    major: Decimal = Field(Decimal("2.5"), description="AQL for major defects")
    minor: Decimal = Field(Decimal("4.0"), description="AQL for minor defects")

    def for_severity(self, severity: Severity) -> Decimal:
        return getattr(self, severity.value)


class Product(_Strict):
    name: ShortText
    name_zh: ShortText | None = None
    item_number: ShortText | None = None


class Order(_Strict):
    reference: OrderReference = Field(description="The buyer's purchase-order number, e.g. PO-2026-0142")
    factory: ShortText = Field(description="Factory id as configured in followup.toml [[factories]]")
    buyer: ShortText | None = None
    product: Product
    quantity: PositiveCount = Field(description="Ordered quantity, in units")
    final_inspection: date = Field(description="Planned final (pre-shipment) inspection date")
    ex_factory: date = Field(description="Ex-factory date agreed with the factory")
    aql: AqlLimits = Field(default_factory=AqlLimits)
    inspection_level: Literal["I", "II", "III"] = "II"


class Visit(_Strict):
    date: date
    type: VisitType = VisitType.DURING_PRODUCTION
    inspector: ShortText
    sample_drawn: bool = Field(True, description="Whether a random sample was drawn and judged by AQL")
    lot_size: PositiveCount | None = Field(
        None, description="Units offered for sampling; defaults to the counted complete units"
    )


class Progress(_Strict):
    reported_complete: Count = Field(description="Units the factory says are complete")
    counted_complete: Count = Field(description="Units the inspector counted complete")
    in_progress: Count = 0
    not_started: Count = 0
    daily_output: Count = Field(description="Units per working day observed on the line")


class Instruction(_Strict):
    kind: ShortText = Field(description="A key from `followup notice kinds`")
    params: dict[str, Any] = Field(default_factory=dict)
    note: Text | None = Field(None, description="Free text, shown in the language it is written in")
    note_zh: Text | None = Field(None, description="The inspector's Chinese version of the note")
    due: date

    @field_validator("params")
    @classmethod
    def _json_values(cls, params: dict[str, Any]) -> dict[str, Any]:
        """YAML reads 2026-12-01 as a date; keep parameters as JSON values (ISO text)."""
        return {name: value.isoformat() if isinstance(value, date) else value for name, value in params.items()}


class Material(_Strict):
    name: ShortText
    name_zh: ShortText | None = None
    status: MaterialStatus
    approved: ShortText | None = Field(None, description="What the spec or approved sample calls for")
    substitute: ShortText | None = Field(None, description="What is used instead (status substituted)")
    note: Text | None = None
    note_zh: Text | None = None
    photos: list[PhotoName] = Field(default_factory=list, max_length=20)
    instruction: Instruction | None = None


class Finding(_Strict):
    category: FindingCategory
    severity: Severity
    description: Text
    description_zh: Text | None = None
    units_checked: PositiveCount
    units_affected: PositiveCount
    in_sample: bool = Field(True, description="Counted toward the AQL judgement of the sample")
    systematic: bool | None = Field(None, description="The inspector's judgement, if any")
    reference: ShortText | None = Field(None, description="Spec clause or approved-sample reference")
    photos: list[PhotoName] = Field(default_factory=list, max_length=20)
    instruction: Instruction | None = None


class PackagingCheck(_Strict):
    item: PackagingItem
    status: PackagingStatus
    note: Text | None = None
    note_zh: Text | None = None
    photos: list[PhotoName] = Field(default_factory=list, max_length=20)
    instruction: Instruction | None = None


class Packaging(_Strict):
    materials_on_site: bool
    checks: list[PackagingCheck] = Field(default_factory=list, max_length=50)


class VisitReport(_Strict):
    """One production follow-up visit, as the inspector reports it."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"$id": "https://followup.example/visit-report.schema.json"},
    )

    version: Literal[1] = 1
    order: Order
    visit: Visit
    progress: Progress
    materials: list[Material] = Field(default_factory=list, max_length=100)
    findings: list[Finding] = Field(default_factory=list, max_length=100)
    packaging: Packaging

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
