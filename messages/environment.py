"""One jinja2 environment per (surface, locale): templates are shared, translations are not.

A surface is where text ends up. `telegram`, `slack` and `html` autoescape every value
(Telegram's HTML and Slack's mrkdwn both need <, > and & escaped; for Slack the quotes
HTML escaping adds are turned back, since mrkdwn would show &#39; literally); `wecom`,
`dingtalk` and `feishu` are the group robots' markdown dialects, where every value is
neutralised as its robot reads markdown (messages/robot_markdown.py); `console` and `text`
(which the PDF is laid out from) are plain text. Every value is neutralised
everywhere (handlers.text.neutralised): no control character drives a terminal, and no
bidirectional override or invisible character disguises what a chat or a PDF shows. Names
are shown on one line.
The same chat templates serve every chat surface: only `style` differs (ANSI, <b>, *bold*),
and how a surface folds away what a reader looks at second (`folds`, below).
"""

from __future__ import annotations

import hashlib
import pickle  # what jinja's bucket raises reading a damaged entry
import re
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import click
import jinja2
import jinja2.meta
from markupsafe import Markup, escape

from handlers.queries.english_only import item_english_only
from handlers.text import neutralised
from handlers.views import label_of
from messages import wording
from messages.buttons import PAGE_LOCALE, label, named
from messages.compiled import cache_folder, keep, kept
from messages.english_only import field_name
from messages.i18n import CHINESE, ENGLISH, SUPPORTED, Language, translations
from messages.instructions import free_text
from messages.instructions import wording as instruction_wording
from messages.people import who
from messages.reasons import completion_text, reason_text
from messages.robot_markdown import DIALECTS, link_target

ESCAPED = {"telegram", "slack", "html", *DIALECTS}
_HTML_QUOTES = (("&#34;", '"'), ("&#39;", "'"))


def _instruction_text(language: Language, item) -> str:
    """An item's instruction as it now reads, with the inspector's Chinese parameters."""
    return instruction_wording(language, item.instruction.kind, item.instruction.params, item.params_zh)


def _neutral(surface: str):
    """Every value shown, neutralised. On the escaped surfaces that includes markup: a
    translated sentence comes back as markup with its values inside. Elsewhere markup is
    only what our own filters built, of text they neutralised (colours are escape
    sequences, which neutralising would remove)."""
    def finalize(value: object) -> object:
        if isinstance(value, Markup):
            return Markup(neutralised(value)) if surface in ESCAPED else value
        if surface in DIALECTS and value is not None:
            return Markup(DIALECTS[surface](neutralised(str(value))))
        return neutralised(value) if isinstance(value, str) else value

    return finalize


def _robot_gettext(surface: str, language: Language):
    """A robot's `_` and `ngettext`: the sentence as plain text, its values in it, so that
    wherever it goes (a bold line, a join) it is neutralised whole (neutralising is
    idempotent); a sentence that holds markup we built (a link) keeps it, the rest of the
    sentence and its other values neutralised."""
    dialect = DIALECTS[surface]

    def filled(sentence: str, variables: dict) -> str:
        if not any(isinstance(v, Markup) for v in variables.values()):
            return sentence % variables
        shown = {k: v if isinstance(v, Markup) else Markup(dialect(neutralised(str(v)))) for k, v in variables.items()}
        parts = re.split(r"(%\([a-z_]+\)[sd]|%%)", sentence)
        return Markup("".join(p if i % 2 else dialect(p) for i, p in enumerate(parts)) % shown)

    def gettext(message: str, **variables: object) -> str:
        return filled(language.gettext(message), variables)

    def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
        return filled(language.ngettext(singular, plural, n), {"num": n, **variables})

    return gettext, ngettext


def mrkdwn_escape(text: object) -> str:
    """Slack's whole escaping: &, < and > (a < would start a link or a mention)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _no_style(text: object, **_: object) -> object:
    return text


def _ansi(text: object, **style: object) -> Markup:
    """Markup, which the console's finalize leaves alone: colours are escape sequences."""
    return Markup(click.style(neutralised(str(text)), **style))


def _telegram_style(text: object, bold: bool = False, italic: bool = False, **_: object) -> Markup:
    """Telegram HTML: bold and italic only; colours have no equivalent."""
    html = escape(text)
    if bold:
        html = Markup("<b>%s</b>") % html
    if italic:
        html = Markup("<i>%s</i>") % html
    return html


def _slack_style(text: object, bold: bool = False, italic: bool = False, **_: object) -> Markup:
    mrkdwn = str(escape(text))
    if bold:
        mrkdwn = f"*{mrkdwn}*"
    if italic:
        mrkdwn = f"_{mrkdwn}_"
    return Markup(mrkdwn)


def _markdown_style(surface: str):
    """The robots' markdown: bold and italic as the three robots all read them, around the
    text neutralised in the robot's dialect."""
    def style(text: object, bold: bool = False, italic: bool = False, **_: object) -> Markup:
        shown = text if isinstance(text, Markup) else DIALECTS[surface](neutralised(str(text)))
        if bold:
            shown = f"**{shown}**"
        if italic:
            shown = f"*{shown}*"
        return Markup(shown)

    return style


def _link_for(surface: str):
    """`text | link(url)`: a link in the surface's markup; plain text shows the address."""
    def telegram(text: object, url: str) -> Markup:
        return Markup('<a href="%s">%s</a>') % (url, text)

    def slack(text: object, url: str) -> Markup:
        return Markup(f"<{mrkdwn_escape(url)}|{escape(text)}>")

    def plain(text: object, url: str) -> str:
        return f"{text} {url}"

    def markdown(text: object, url: str) -> Markup:
        shown = text if isinstance(text, Markup) else DIALECTS[surface](neutralised(str(text)))
        return Markup(f"[{shown}]({link_target(url)})")

    if surface in DIALECTS:
        return markdown
    return {"telegram": telegram, "html": telegram, "slack": slack}.get(surface, plain)


def _style_for(surface: str, colour: bool):
    if surface == "telegram":
        return _telegram_style
    if surface == "slack":
        return _slack_style
    if surface in DIALECTS:
        return _markdown_style(surface)
    return _ansi if surface == "console" and colour else _no_style


# How a surface folds away what a message keeps for a second look (the findings summary's
# details): an expandable quote on Telegram, a reply in the message's thread on Slack (posted
# by the delivery: messages.render.Rendered.details), a hint naming the console's command.
# Elsewhere nothing is folded.
QUOTE, THREAD, HINT = "quote", "thread", "hint"
FOLDS = {"telegram": QUOTE, "slack": THREAD, "console": HINT}


def _expandable(surface: str):
    """`{% filter expandable %}`: Telegram's expandable quote (Bot API 7.3), shown collapsed
    with its first lines and opened with a tap; the text as it is elsewhere."""
    def telegram(text: object) -> Markup:
        return Markup("<blockquote expandable>%s</blockquote>") % text

    return telegram if surface == "telegram" else _no_style


def command_prefix(surface: str) -> str:
    """How a command to the bot starts where the person reads: Slack has one slash command
    (/followup orders), the others take /orders."""
    return "/followup " if surface == "slack" else "/"


class TemplateCode(jinja2.BytecodeCache):
    """Each template compiled once per process, not once per environment (there is one per
    surface and reader), and kept in `folder` for the processes after it. Its code depends on
    the source, which jinja checks, and on how the environment compiles (autoescape, its
    options), which the caller's folder name must tell apart."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._code: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        checksum, code = self._code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code
            return
        content = kept(self._path(bucket))
        if content is None:
            return
        try:
            bucket.bytecode_from_string(content)  # no code when the source changed or jinja's format did
        except (EOFError, ValueError, TypeError, pickle.UnpicklingError):  # cut short, or not jinja's: compiled again
            bucket.reset()
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)
        keep(self._path(bucket), bucket.bytecode_to_string())

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path | None:
        return None if self.folder is None else self.folder / bucket.key


# How every environment compiles, beside autoescape: what compiled code depends on, so the
# folder its code is kept in (messages/compiled.py) is named after it.
_COMPILING = dict(
    extensions=["jinja2.ext.i18n"],
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


@cache
def _template_code(autoescape: bool) -> TemplateCode:
    """One cache for the code of each kind of environment: escaped or plain; its folder found
    on first use, not at import."""
    folder = cache_folder()
    if folder is None:
        return TemplateCode(None)
    how = repr((autoescape, jinja2.__version__, sorted(_COMPILING.items()))).encode()
    return TemplateCode(folder / f"templates-{hashlib.sha256(how).hexdigest()[:16]}")


WARM_UP_INSTANT = datetime(2026, 1, 1, 9, 30, tzinfo=timezone.utc)


def precompile() -> None:
    """Compile every template and load the catalogs and the text checks now, so that no reader's
    first message pays for them; blocking (about a second): the bot runs it in a thread at start."""
    for surface in ("telegram", "console"):  # one of each kind of code: escaped, plain
        env = environment(surface, CHINESE)
        for name in env.list_templates(extensions=["j2"]):
            env.get_template(name)
    for locale in SUPPORTED:
        translations(locale)
        # babel loads a locale's data and parses its date and time patterns on first use, some
        # 10 ms (up to 48 ms on a loaded machine) that the first decision shown or answered after
        # start-up paid on the event loop, in the middle of a burst of taps (issue 17).
        # Any instant does (what is warmed is the locale's data): a fixed one, not the clock's.
        language = Language(locale, "UTC")
        language.moment(WARM_UP_INSTANT)
        language.date(WARM_UP_INSTANT.date())
    neutralised("预热")  # builds the pattern of what it removes, once


def precompile_used_by(surface: str, names: tuple[str, ...]) -> None:
    """Compile templates `names` and every template they include or import, for `surface`'s
    kind of code: what one document renders, not all 57 (the CPU pool's fork server, where
    compiling them all held every worker's start up by a second under load)."""
    env = environment(surface, CHINESE)
    pending, seen = list(names), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        env.get_template(name)
        source = env.loader.get_source(env, name)[0]
        pending.extend(n for n in jinja2.meta.find_referenced_templates(env.parse(source)) if n is not None)


@cache
def environment(surface: str, locale: str, timezone: str = "UTC", colour: bool = False) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("messages", "templates"),
        bytecode_cache=_template_code(surface in ESCAPED),
        autoescape=surface in ESCAPED,
        finalize=_neutral(surface),
        # The templates ship with the code and never change under a running process; reloading
        # would stat each file (and each it imports) on every rendering.
        auto_reload=False,
        **_COMPILING,
    )
    language = Language(locale, timezone)
    chinese = Language(CHINESE, timezone)
    english = language if not language.is_chinese else Language(ENGLISH, timezone)  # the reader's English
    env.install_gettext_callables(language.gettext, language.ngettext, newstyle=True)
    if surface in DIALECTS:
        gettext, ngettext = _robot_gettext(surface, language)
        env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)
    env.globals.update(
        surface=surface,
        answers="buttons",  # how the reader answers (messages.render.Answers); one-way surfaces say otherwise
        reader=None,  # whose screen shows the buttons, when not a reader of this language (a notice's sections)
        button=lambda action: label(action, language),
        # A button as the reader's screen shows it; the notice page's, which a link opens, as it opens.
        named=lambda action, reader=None: named(action, reader or language, language),
        page_reader=Language(PAGE_LOCALE, timezone),
        command_prefix=command_prefix(surface),
        folds=FOLDS.get(surface),  # a render may say None: unfolded, the details in full
        lang=language,
        word=lambda table, code: wording.word(language, table, code),
        instruction_text=lambda item: _instruction_text(language, item),
        zh_instruction_text=lambda item: _instruction_text(chinese, item),
        en_instruction_text=lambda item: _instruction_text(english, item),  # the "EN" line, whoever reads
        free_text=lambda text, text_zh=None: free_text(language, text, text_zh),
        english_only=lambda items: [t for it in items for t in item_english_only(it)],
        english_only_field=lambda field: field_name(language, field),
        reason=lambda code, report, analysis: reason_text(language, code, report, analysis),
        completion=lambda analysis: completion_text(language, analysis),
    )
    env.filters.update(
        date=language.date,
        moment=language.moment,
        duration=language.duration,
        number=language.number,
        percent=language.percent,
        person=lambda key: who(language, key),
        label=label_of,
        paren=language.parenthesised,
        bracket=language.bracketed,
        style=_style_for(surface, colour),
        link=_link_for(surface),
        expandable=_expandable(surface),
    )
    return env


def render(surface: str, template: str, language: Language, colour: bool = False, **context) -> str:
    env = environment(surface, language.locale, language.timezone, colour)
    text = env.get_template(template).render(**context).strip("\n")
    if surface == "slack":
        for entity, quote in _HTML_QUOTES:
            text = text.replace(entity, quote)
    return text
