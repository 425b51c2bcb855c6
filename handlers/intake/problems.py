"""Problems found while reading a report, each tied to the place it comes from.

Every check reports *all* it finds instead of stopping at the first, so an inspector fixes
a report in one round trip; a problem's `path` is the dotted field path
(`findings.2.units_affected`) or, for files, the file or bundle entry it is about. The path
is the report's own keys and stays as written; the `text` is translatable and is rendered in
the reader's language where it is shown (`str()` is the English the CLI prints).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from handlers.model.characters import shown_key
from handlers.translatable import N_, Nn_, Text

if TYPE_CHECKING:
    from pydantic import ValidationError


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    path: str
    text: Text
    level: Level = Level.ERROR
    code: str | None = None  # for problems a caller acts on, e.g. PHOTO_MISSING: wait for it

    @property
    def message(self) -> str:
        """In English, as `followup visit check` prints it."""
        return str(self.text)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


PHOTO_MISSING = "photo_missing"
# Warnings the buyer reads beside the analysis (checks.judgement_warnings)
FINAL_INSPECTION_PASSED = "final_inspection_passed"
EX_FACTORY_PASSED = "ex_factory_passed"
OVER_ORDERED = "over_ordered"
COUNTED_ABOVE_REPORTED = "counted_above_reported"
UNITS_UNACCOUNTED = "units_unaccounted"
PACKAGING_CONTRADICTION = "packaging_contradiction"


def join_path(*parts: object) -> str:
    """Dotted path from field names and list indexes, skipping empty parts. A key the report
    made up is printed safely (see `characters.shown_key`)."""
    return ".".join(shown_key(p) if isinstance(p, str) else str(p) for p in parts if p != "" and p is not None)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level is Level.ERROR]


# pydantic's error types that a report (or the configuration) can really produce, as our own
# msgids filled from the error's context. Their English is pydantic's own message with the
# first letter lowered, so `followup visit check` prints what it always printed.
REQUIRED = N_("required field is missing")
_MESSAGES = {
    "missing": REQUIRED,
    "extra_forbidden": N_("unknown field"),
    "int_type": N_("input should be a valid integer"),
    "int_parsing": N_("input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("input should be a valid number"),
    "float_parsing": N_("input should be a valid number, unable to parse string as a number"),
    "finite_number": N_("input should be a finite number"),
    "decimal_type": N_("decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("input should be a valid decimal"),
    "greater_than": N_("input should be greater than %(gt)s"),
    "greater_than_equal": N_("input should be greater than or equal to %(ge)s"),
    "less_than": N_("input should be less than %(lt)s"),
    "less_than_equal": N_("input should be less than or equal to %(le)s"),
    "string_type": N_("input should be a valid string"),
    "string_unicode": N_("input should be a valid string, unable to parse raw data as a unicode string"),
    "string_pattern_mismatch": N_("string should match pattern '%(pattern)s'"),
    "bool_type": N_("input should be a valid boolean"),
    "bool_parsing": N_("input should be a valid boolean, unable to interpret input"),
    "date_type": N_("input should be a valid date"),
    "date_parsing": N_("input should be a valid date in the format YYYY-MM-DD, %(error)s"),
    "date_from_datetime_parsing": N_("input should be a valid date or datetime, %(error)s"),
    "date_from_datetime_inexact": N_("datetimes provided to dates should have zero time - e.g. be exact dates"),
    "enum": N_("input should be %(expected)s"),
    "literal_error": N_("input should be %(expected)s"),
    "list_type": N_("input should be a valid list"),
    "dict_type": N_("input should be a valid dictionary"),
    "model_type": N_("input should be a valid dictionary or instance of %(class_name)s"),
    # our own, from the schema's validators
    "hidden_character": N_("contains the invisible character %(char)s at position %(position)s; delete it"),
    "single_value": N_("must be a single value (text, a number or a date), not a list or a mapping"),
}
# Lengths, with the count that picks the plural form. Lists and strings carry length limits in
# our schemas (mappings: below); a tuple's or a set's wording falls back to pydantic's.
_COUNTED = {
    "string_too_short": (
        Nn_("string should have at least %(min_length)s character",
            "string should have at least %(min_length)s characters"),
        "min_length",
    ),
    "string_too_long": (
        Nn_("string should have at most %(max_length)s character",
            "string should have at most %(max_length)s characters"),
        "max_length",
    ),
    "too_short": (
        Nn_("list should have at least %(min_length)s item after validation, not %(actual_length)s",
            "list should have at least %(min_length)s items after validation, not %(actual_length)s"),
        "min_length",
    ),
    "too_long": (
        Nn_("list should have at most %(max_length)s item after validation, not %(actual_length)s",
            "list should have at most %(max_length)s items after validation, not %(actual_length)s"),
        "max_length",
    ),
}
# A mapping's length limit (an instruction's parameters), in the same words as a list's.
_MAPPING_TOO_LONG = Nn_("mapping should have at most %(max_length)s item, not %(actual_length)s",
                        "mapping should have at most %(max_length)s items, not %(actual_length)s")
# What pydantic's date parser says is wrong (the `error` of the date types); others stay English.
DATE_ERRORS = frozenset({
    N_("input is too short"),
    N_("unexpected extra characters at the end of the input"),
    N_("invalid character in year"),
    N_("invalid character in month"),
    N_("invalid character in day"),
    N_("invalid date separator, expected `-`"),
    N_("invalid datetime separator, expected `T`, `t`, `_` or space"),
    N_("month value is outside expected range of 1-12"),
    N_("day value is outside expected range"),
})
OWN_WORDING = frozenset({*_MESSAGES, *_COUNTED})  # every other type speaks pydantic's English
GOT = N_("%(problem)s, got %(input)s")
ONE_OF = N_("%(values)s or %(last)s")
_SHOWS_INPUT = ("_type", "_parsing", "enum", "literal_error")
_SHOWN_INPUT = 80  # characters of a wrong value shown back; enough to recognise it


def from_validation_error(error: ValidationError, prefix: str = "") -> list[Problem]:
    """pydantic's errors as problems with dotted paths and messages that show the bad value."""
    problems = []
    for item in error.errors(include_url=False):
        path = join_path(prefix, *item["loc"]) or "(top level)"
        problems.append(Problem(path, _text(item)))
    return problems


def _text(item: dict) -> Text:
    kind = item["type"]
    text = _translatable(kind, item.get("ctx") or {})
    if text is None:
        # A type no report produces, or a ValueError of our own validators (only the configuration
        # has them, and the operator reads it in English): pydantic's English message.
        message = item["msg"].removeprefix("Value error, ")
        text = Text.verbatim(f"{message[0].lower()}{message[1:]}")
    value = item.get("input")
    if kind.endswith(_SHOWS_INPUT) and not isinstance(value, (dict, list)):
        return Text(GOT, problem=text, input=shown_input(value))
    return text


def shown_input(value: object, limit: int = _SHOWN_INPUT) -> str:
    """What the report wrote, as Python writes it ('lots'), cut short: a 10,000-character
    value must not be echoed back whole."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"


def _translatable(kind: str, ctx: dict[str, Any]) -> Text | None:
    params = {name: _shown(name, value) for name, value in ctx.items()}
    if kind in _MESSAGES:
        return Text(_MESSAGES[kind], **params)
    if kind == "too_long" and ctx.get("field_type") == "Dictionary":
        return Text.counted(_MAPPING_TOO_LONG, ctx["max_length"], **params)
    if kind in _COUNTED and ctx.get("field_type", "List") == "List":
        forms, count = _COUNTED[kind]
        return Text.counted(forms, ctx[count], **params)
    return None


def _shown(name: str, value: Any) -> object:
    """A context value as pydantic's message shows it, translatable where it is words."""
    if name == "expected" and isinstance(value, str):
        values, _, last = value.rpartition(" or ")
        return Text(ONE_OF, values=values, last=last) if values else value
    if name == "error" and isinstance(value, str):
        return Text(value) if value in DATE_ERRORS else value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # pydantic says "greater than 0", not "0.0"
    return value
