"""A sentence the domain says to people, kept translatable until someone reads it.

The domain knows no languages: it names a gettext msgid (marked with `N_` or `Nn_`, so
`pybabel extract` finds it) and the values to put into it. Whoever
shows it renders it for its reader (`messages.i18n.Language.text`); `str()` is the English,
which the CLI prints. A value may itself be a `Text` ("none", "photo"), rendered in the
same language. Values are shown as the domain gives them: numbers come grouped as 1,234 (as
every supported locale writes them) and dates as ISO, the way the report wrote them.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Protocol


class Translator(Protocol):
    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, per locale, when rendered."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for extraction as one plural entry."""
    return singular, plural


NONE = N_("none")  # what an empty list of names reads as


ENGLISH: Translator = gettext.NullTranslations()  # the msgids are the English

_VERBATIM = "%(text)s"  # never in a catalog, so every language shows the text as it is


@dataclass(frozen=True, init=False)
class Text:
    msgid: str
    params: dict[str, object]
    plural: str | None = None
    n: int | None = None  # picks the singular or a plural form when `plural` is set

    def __init__(self, msgid: str, /, **params: object) -> None:
        object.__setattr__(self, "msgid", msgid)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "plural", None)
        object.__setattr__(self, "n", None)

    @classmethod
    def counted(cls, forms: tuple[str, str], n: int, /, **params: object) -> Text:
        """A sentence with plural forms (marked with `Nn_`), chosen by `n`."""
        text = cls(forms[0], **params)
        object.__setattr__(text, "plural", forms[1])
        object.__setattr__(text, "n", n)
        return text

    @classmethod
    def verbatim(cls, text: str) -> Text:
        """Text no catalog holds, shown as it is in every language (a library's own words)."""
        return cls(_VERBATIM, text=text)

    def render(self, translator: Translator) -> str:
        if self.plural is None:
            template = translator.gettext(self.msgid)
        else:
            template = translator.ngettext(self.msgid, self.plural, self.n)
        values = {
            name: value.render(translator) if isinstance(value, Text) else value
            for name, value in self.params.items()
        }
        return template % values

    def __str__(self) -> str:
        return self.render(ENGLISH)


def names_or_none(names: list[str]) -> str | Text:
    """Names joined for a message ("a, b"), or the word "none" in the reader's language."""
    return ", ".join(names) or Text(NONE)
