"""The catalog of corrective-instruction kinds an inspector may propose.

Each kind has a stable key, typed parameters and an English wording that gettext maps to
professional Chinese (locales/), so a notice is never machine-translated. The wordings
are msgids: change one and its translation must be reviewed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from handlers.translatable import N_, Nn_, Text, names_or_none


class ParamType(StrEnum):
    QUANTITY = "quantity"
    DATE = "date"
    TEXT = "text"
    BARCODE = "barcode"


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    description: str  # a msgid: a problem naming a missing parameter shows it in the reader's language
    # Descriptive text (a material, a specification) the inspector may also give in Chinese
    # under `params_zh`; verbatim text (what a label must read) is printed exactly as written.
    describes: bool = False


@dataclass(frozen=True)
class InstructionKind:
    key: str
    wording: str
    plural: str | None = None  # plural wording, chosen by the `quantity` parameter
    params: tuple[Param, ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


QUANTITY = Param("quantity", ParamType.QUANTITY, N_("number of units concerned"))
CORRECT_TEXT = Param("correct_text", ParamType.TEXT, N_("the correct text, exactly as it must appear"))
BY_DATE = Param("date", ParamType.DATE, N_("the date it is needed by"))

KINDS: tuple[InstructionKind, ...] = (
    InstructionKind(
        "rework",
        *Nn_(
            "Rework the {quantity} affected unit to match the approved sample.",
            "Rework all {quantity} affected units to match the approved sample.",
        ),
        params=(QUANTITY,),
    ),
    InstructionKind(
        "sort_100",
        N_("Sort every finished unit (100 per cent inspection) and segregate all defective units."),
    ),
    InstructionKind(
        "match_approved_sample",
        N_("Bring {aspect} in line with the approved sample."),
        params=(Param("aspect", ParamType.TEXT, N_("what must match, e.g. glaze colour"), describes=True),),
    ),
    InstructionKind(
        "replace_material",
        N_("Replace {material} with the approved material: {approved}."),
        params=(
            Param("material", ParamType.TEXT, N_("the material or component now used"), describes=True),
            Param("approved", ParamType.TEXT, N_("the approved material or component"), describes=True),
        ),
    ),
    InstructionKind(
        "relabel",
        N_("Relabel the affected units with the correct label: {correct_text}."),
        params=(CORRECT_TEXT,),
    ),
    InstructionKind(
        "correct_shipping_marks",
        N_("Correct the shipping marks on every master carton to read: {correct_text}."),
        params=(CORRECT_TEXT,),
    ),
    InstructionKind(
        "correct_barcode",
        N_("Correct the barcode to {barcode} and scan-test every label before packing."),
        params=(Param("barcode", ParamType.BARCODE, N_("the correct EAN-13, UPC-A or EAN-8 digits")),),
    ),
    InstructionKind(
        "add_country_of_origin",
        N_('Add the country-of-origin marking "{marking}" to every unit and carton.'),
        params=(Param("marking", ParamType.TEXT, N_('the exact marking, e.g. "Made in China"')),),
    ),
    InstructionKind(
        "correct_warnings",
        N_("Add or correct the safety warnings in {language}: {correct_text}."),
        params=(Param("language", ParamType.TEXT, N_("the destination-market language"), describes=True), CORRECT_TEXT),
    ),
    InstructionKind(
        "upgrade_carton",
        N_("Upgrade the master cartons to {spec} before packing."),
        params=(
            Param("spec", ParamType.TEXT, N_("carton construction, e.g. 5-ply corrugated, 32 ECT"), describes=True),
        ),
    ),
    InstructionKind(
        "procure_packaging",
        N_("Have all packaging materials on site by {date}."),
        params=(BY_DATE,),
    ),
    InstructionKind(
        "hold_packing",
        N_("Hold packing until the buyer approves the corrected packaging."),
    ),
    InstructionKind(
        "recovery_schedule",
        N_("Submit a recovery production schedule by {date}."),
        params=(BY_DATE,),
    ),
    InstructionKind(
        "reconcile_quantities",
        N_("Reconcile the reported and counted quantities and confirm the real progress in writing."),
    ),
    InstructionKind(
        "send_photos",
        N_("Send photos of the corrected units."),
    ),
    InstructionKind(
        "segregate_defectives",
        *Nn_(
            "Segregate the {quantity} defective unit in a separate, marked area.",
            "Segregate all {quantity} defective units in a separate, marked area.",
        ),
        params=(QUANTITY,),
    ),
    InstructionKind(
        "repair",
        *Nn_(
            "Repair the {quantity} affected unit and re-inspect it.",
            "Repair the {quantity} affected units and re-inspect each one.",
        ),
        params=(QUANTITY,),
    ),
    InstructionKind(
        "scrap_and_replace",
        *Nn_(
            "Scrap the {quantity} unit that cannot be repaired and make a replacement.",
            "Scrap the {quantity} units that cannot be repaired and make replacements.",
        ),
        params=(QUANTITY,),
    ),
    InstructionKind(
        "keep_defectives",
        N_("Keep the defective units for re-inspection; do not scrap or ship them."),
    ),
    InstructionKind(
        "function_test",
        N_("Function-test every finished unit before packing."),
    ),
    InstructionKind(
        "correct_rating_label",
        N_("Correct the rating label to the approved artwork: {correct_text}."),
        params=(CORRECT_TEXT,),
    ),
    InstructionKind(
        "correct_care_label",
        N_("Correct the care label to read: {correct_text}."),
        params=(CORRECT_TEXT,),
    ),
    InstructionKind(
        "add_instruction_manual",
        N_("Add the instruction manual in {language} to every unit."),
        params=(Param("language", ParamType.TEXT, N_("the language or languages of the destination market"), describes=True),),
    ),
    InstructionKind(
        "correct_inner_packing",
        N_("Correct the inner packing and protection to the approved specification: {spec}."),
        params=(Param("spec", ParamType.TEXT, N_("polybag, colour box, inserts as specified"), describes=True),),
    ),
    InstructionKind(
        "correct_carton_dimensions",
        N_("Use master cartons of the specified dimensions: {dimensions}."),
        params=(Param("dimensions", ParamType.TEXT, N_("length × width × height, e.g. 42 × 32 × 28 cm")),),
    ),
    InstructionKind(
        "correct_carton_quantity",
        *Nn_(
            "Pack {quantity} unit per master carton and correct the packing list.",
            "Pack {quantity} units per master carton and correct the packing list.",
        ),
        params=(QUANTITY,),
    ),
    InstructionKind(
        "drop_test",
        *Nn_(
            "Drop-test {quantity} packed master carton and send the results.",
            "Drop-test {quantity} packed master cartons and send the results.",
        ),
        params=(QUANTITY,),
    ),
    InstructionKind(
        "confirm_material_arrival",
        N_("Confirm in writing when {material} will arrive."),
        params=(Param("material", ParamType.TEXT, N_("the missing material or component"), describes=True),),
    ),
    InstructionKind(
        "add_capacity",
        *Nn_(
            "Add capacity (another line or overtime) to reach {quantity} unit a day.",
            "Add capacity (another line or overtime) to reach {quantity} units a day.",
        ),
        params=(QUANTITY,),
    ),
    InstructionKind(
        "root_cause_analysis",
        N_("Send a root-cause analysis with corrective and preventive actions by {date}."),
        params=(BY_DATE,),
    ),
    InstructionKind(
        "submit_pre_production_sample",
        N_("Submit a corrected pre-production sample for approval before continuing production."),
    ),
    InstructionKind(
        "send_video",
        N_("Send a video of the corrected process or units."),
    ),
    InstructionKind(
        "request_reinspection",
        N_("Request a re-inspection once every correction is complete."),
    ),
)

BY_KEY: dict[str, InstructionKind] = {kind.key: kind for kind in KINDS}


def kind_named(key: str) -> InstructionKind | None:
    return BY_KEY.get(key)


def check_params(kind: InstructionKind, params: dict[str, Any]) -> dict[str, Text]:
    """Problems with an instruction's parameters, keyed by parameter name ('' for the set)."""
    problems: dict[str, Text] = {}
    for name in params:
        if kind.param(name) is None:
            allowed = names_or_none([p.name for p in kind.params])
            problems[name] = Text(N_("unknown parameter for %(kind)s; allowed: %(allowed)s"),
                                  kind=kind.key, allowed=allowed)
    for param in kind.params:
        if param.name not in params:
            problems[param.name] = Text(N_("required by %(kind)s: %(description)s"),
                                        kind=kind.key, description=Text(param.description))
        elif (problem := _check_value(param, params[param.name])) is not None:
            problems[param.name] = problem
    return problems


def check_params_zh(kind: InstructionKind, params: dict[str, Any], params_zh: dict[str, str]) -> dict[str, Text]:
    """Problems with the Chinese versions of parameters: each must belong to a descriptive
    text parameter the instruction gives in English."""
    problems: dict[str, Text] = {}
    descriptive = [p.name for p in kind.params if p.describes]
    for name in params_zh:
        if name not in descriptive:
            message = N_("no Chinese version is taken for this parameter of %(kind)s; allowed: %(allowed)s")
            problems[name] = Text(message, kind=kind.key, allowed=names_or_none(descriptive))
        elif name not in params:
            problems[name] = Text(N_("the Chinese version needs the English one in params.%(name)s"), name=name)
    return problems


def _check_value(param: Param, value: Any) -> Text | None:
    if param.type is ParamType.QUANTITY:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return Text(N_("must be a whole number of units, at least 1, got %(value)s"), value=repr(value))
    elif param.type is ParamType.DATE:
        if not isinstance(value, date):
            try:
                date.fromisoformat(str(value))
            except ValueError:
                return Text(N_("must be a date as YYYY-MM-DD, got %(value)s"), value=repr(value))
    elif param.type is ParamType.BARCODE:
        return barcode_problem(str(value))
    elif not isinstance(value, str) or not value.strip():
        return Text(N_("must be non-empty text, got %(value)s"), value=repr(value))
    return None


def barcode_problem(digits: str) -> Text | None:
    """Why a barcode is not a valid EAN-13 / UPC-A / EAN-8, or None when it is."""
    if not re.fullmatch(r"\d{8}|\d{12}|\d{13}", digits):
        return Text(N_("must be 8, 12 or 13 digits (EAN-8, UPC-A, EAN-13), got %(value)s"), value=repr(digits))
    body, check = digits[:-1], int(digits[-1])
    weights = (3, 1) if len(body) % 2 else (1, 3)
    total = sum(int(d) * weights[i % 2] for i, d in enumerate(body))
    expected = (10 - total % 10) % 10
    if expected != check:
        return Text(N_("check digit of %(barcode)s should be %(expected)s"), barcode=digits, expected=expected)
    return None
