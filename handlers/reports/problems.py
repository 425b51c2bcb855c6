"""Problems found while reading a report, each tied to the place it comes from.

Every check reports *all* it finds instead of stopping at the first, so an inspector fixes
a report in one round trip; a problem's `path` is the dotted field path
(`findings.2.units_affected`) or, for files, the file or bundle entry it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    level: Level = Level.ERROR
    code: str | None = None  # for problems a caller acts on, e.g. PHOTO_MISSING: wait for it

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


PHOTO_MISSING = "photo_missing"


def join_path(*parts: object) -> str:
    """Dotted path from field names and list indexes, skipping empty parts."""
    return ".".join(str(p) for p in parts if p != "" and p is not None)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level is Level.ERROR]


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
}


def from_validation_error(error: ValidationError, prefix: str = "") -> list[Problem]:
    """pydantic's errors as problems with dotted paths and messages that show the bad value."""
    problems = []
    for item in error.errors(include_url=False):
        path = join_path(prefix, *item["loc"]) or "(top level)"
        message = _MESSAGES.get(item["type"]) or _with_input(item)
        problems.append(Problem(path, message))
    return problems


def _with_input(item: dict) -> str:
    message = item["msg"].removeprefix("Value error, ")
    value = item.get("input")
    if item["type"].endswith(("_type", "_parsing", "enum", "literal_error")) and not isinstance(
        value, (dict, list)
    ):
        return f"{message[0].lower()}{message[1:]}, got {value!r}"
    return f"{message[0].lower()}{message[1:]}"
