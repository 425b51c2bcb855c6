"""One jinja2 environment per (surface, locale): templates are shared, translations are not.

Surfaces differ in escaping: `html` autoescapes; `console` and `text` are plain text
with control characters removed from every value, so a report cannot drive the terminal.
"""

from __future__ import annotations

import re
from functools import cache

import click
import jinja2

from handlers.model import display_name
from messages import wording
from messages.i18n import CHINESE, Language
from messages.instructions import free_text
from messages.instructions import wording as instruction_wording
from messages.reasons import reason_text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SURFACES = ("console", "text", "html")


def _plain(value: object) -> object:
    return _CONTROL.sub("", value) if isinstance(value, str) else value


@cache
def environment(surface: str, locale: str, timezone: str = "UTC", colour: bool = False) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("messages", "templates"),
        extensions=["jinja2.ext.i18n"],
        autoescape=surface == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=None if surface == "html" else _plain,
    )
    language = Language(locale, timezone)
    chinese = Language(CHINESE, timezone)
    env.install_gettext_callables(language.gettext, language.ngettext, newstyle=True)
    env.globals.update(
        lang=language,
        word=lambda table, code: wording.word(language, table, code),
        instruction_text=lambda kind, params: instruction_wording(language, kind, params),
        zh_instruction_text=lambda kind, params: instruction_wording(chinese, kind, params),
        free_text=lambda text, text_zh=None: free_text(language, text, text_zh),
        reason=lambda code, report, analysis: reason_text(language, code, report, analysis),
    )
    env.filters.update(
        date=language.date,
        moment=language.moment,
        number=language.number,
        person=display_name,
        paren=language.parenthesised,
        bracket=language.bracketed,
        style=(lambda text, **kw: click.style(str(text), **kw)) if colour else (lambda text, **kw: text),
    )
    return env


def render(surface: str, template: str, language: Language, colour: bool = False, **context) -> str:
    env = environment(surface, language.locale, language.timezone, colour)
    return env.get_template(template).render(**context).strip("\n")
