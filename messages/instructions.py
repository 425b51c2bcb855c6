"""An instruction in words: its catalog wording in one language, and free text labelled
with the language it was written in (free text is never machine-translated)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers import catalog
from handlers.catalog import N_, Param, ParamType
from handlers.text import written_in_chinese
from messages.i18n import Language

ORIGINAL_ENGLISH = N_("Original text (English)")
ORIGINAL_CHINESE = N_("Original text (Chinese)")
WRITTEN_IN_ENGLISH = N_("as written, in English")
WRITTEN_IN_CHINESE = N_("as written, in Chinese")


@dataclass(frozen=True)
class FreeText:
    text: str
    label: str | None  # set when the text is not in the reader's language


def wording(language: Language, kind_key: str, params: dict, params_zh: dict | None = None) -> str:
    """The instruction in the reader's language; `params_zh` holds the inspector's Chinese for
    descriptive parameters, and one without it is shown as written and marked as such."""
    kind = catalog.BY_KEY[kind_key]
    values = {p.name: _value(language, p, params.get(p.name), (params_zh or {}).get(p.name)) for p in kind.params}
    quantity = params.get("quantity")
    if kind.plural and isinstance(quantity, int):
        template = language.ngettext(kind.wording, kind.plural, quantity)
    else:
        template = language.gettext(kind.wording)
    return template.format(**values)


def _value(language: Language, param: Param, value, value_zh: str | None) -> str:
    if not param.describes:
        return _formatted(language, param.type, value)
    if language.is_chinese and value_zh:
        return value_zh
    chinese = written_in_chinese(str(value))
    if chinese == language.is_chinese:
        return str(value)
    marker = WRITTEN_IN_CHINESE if chinese else WRITTEN_IN_ENGLISH
    return f"{value}{language.parenthesised(language.gettext(marker))}"


def _formatted(language: Language, type_: ParamType, value) -> str:
    if type_ is ParamType.QUANTITY:
        return language.number(value)
    if type_ is ParamType.DATE:
        return language.date(value if isinstance(value, date) else str(value), "long")
    return str(value)


def free_text(language: Language, text: str | None, text_zh: str | None = None) -> FreeText | None:
    """The version for this reader, labelled when shown in a language other than theirs."""
    if not text and not text_zh:
        return None
    if language.is_chinese and text_zh:
        return FreeText(text_zh, None)
    shown = text or text_zh
    chinese = written_in_chinese(shown)
    if chinese == language.is_chinese:
        return FreeText(shown, None)
    return FreeText(shown, language.gettext(ORIGINAL_CHINESE if chinese else ORIGINAL_ENGLISH))
