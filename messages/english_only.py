"""The words for a text the factory would read in English only (handlers/queries/english_only.py):
which part of an item it is, said the same in the buyer's warning and in the answer to Add Chinese."""

from __future__ import annotations

from handlers.catalog import N_
from handlers.queries.english_only import NOTE, PARAM, PROBLEM
from messages.i18n import Language

FIELDS = {PROBLEM: N_("problem description"), NOTE: N_("note")}
PARAMETER = N_("“%(name)s” in the required action")


def field_name(language: Language, field: str) -> str:
    if field.startswith(PARAM):
        return language.gettext(PARAMETER) % {"name": field.removeprefix(PARAM).replace("_", " ")}
    return language.gettext(FIELDS[field])
