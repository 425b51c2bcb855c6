"""Catalogs loaded once, and a `Language` per locale that translates and formats.

Never a process-wide `_`: a notice is rendered in Chinese and English at once, so every
rendering names its locale. The .po files are compiled at first use, so no generated .mo
files are kept beside them and a stale one can never shadow the source; what compiling makes
is kept in the user's cache under the .po file's checksum (messages/compiled.py), so the next
process reads it rather than parse the .po again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import babel
from babel import Locale, localedata
from babel.dates import format_date, format_datetime, format_skeleton, format_time, format_timedelta
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from handlers.text import neutralised
from handlers.translatable import N_, Text
from messages.compiled import cache_folder, kept_or_made

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
ENGLISH = "en"
CHINESE = "zh_Hans_CN"
SUPPORTED = (ENGLISH, "en_GB", CHINESE)
# CLDR puts U+202F before AM/PM; the notice font has no glyph for it and chat clients
# render it unevenly, so a plain space is used.
NARROW_SPACE = "\u202f"
PERCENT = N_("%(pct)s %%")
# A factory reads its own time by the name it uses; China's zone abbreviates to "CST", which
# also names US Central and Cuba time, so it is written out.
ZONE_NAMES = {zone: N_("Beijing time") for zone in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC")}


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog for a locale. Every English locale shares the `en` catalog (en_GB differs
    only in formats); an empty English entry falls back to its msgid, so the English
    wording can be polished there without changing msgids the Chinese is keyed on."""
    catalog_locale = ENGLISH if locale.startswith(ENGLISH) else locale
    source = (LOCALES_DIR / catalog_locale / "LC_MESSAGES" / f"{DOMAIN}.po").read_bytes()
    folder = cache_folder()
    made = None if folder is None else folder / "catalogs" / f"{catalog_locale}-{_digest(source)}.mo"
    return Translations(fp=BytesIO(kept_or_made(made, lambda: _compiled(source, catalog_locale))), domain=DOMAIN)


def _digest(source: bytes) -> str:
    """What a compiled catalog is kept under: its .po file's content, and the compiler's version."""
    return hashlib.sha256(babel.__version__.encode() + b"\0" + source).hexdigest()[:32]


def _compiled(source: bytes, locale: str) -> bytes:
    """The .mo form of the catalog `source`: reading a .po file takes tens of milliseconds."""
    from babel.messages.mofile import write_mo  # here: ~6 ms to import, for a catalog not compiled yet
    from babel.messages.pofile import read_po

    catalog = read_po(BytesIO(source), locale=Locale.parse(locale), domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


@lru_cache(maxsize=4096)
def _moment(language: Language, value: datetime | str) -> str:
    """`Language.moment`, remembered: babel works out a date's and a time's pattern anew on
    every call, and each repeated click on a decided button is answered "already approved by …
    at" the same moment (4% of the loop's CPU under slack_actions.py's clicks; issue 17)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(ZoneInfo(language.timezone))
    if language.is_chinese:
        when = format_datetime(local, 'y年M月d日 HH:mm', locale=language.locale)
        # 北京时间 leads, as Chinese writes it; an abbreviation follows.
        return f"{language.zone_name(local)}{when}" if language.timezone in ZONE_NAMES else f"{when} {local.tzname()}"
    time = format_time(local, "short", locale=language.locale).replace(NARROW_SPACE, " ")
    return f"{language.date(local.date())}, {time} {language.zone_name(local)}"


@lru_cache(maxsize=4096, typed=True)
def _date(locale: str, day: date | str, form: str) -> str:
    """`Language.date`, remembered: babel parses the locale's date pattern anew on every call,
    and the outbox renders a decided finding's due date for each decision it shows (issue 17)."""
    return format_date(date.fromisoformat(day) if isinstance(day, str) else day, form, locale=locale)


@lru_cache(maxsize=4096, typed=True)
def _number(locale: str, value: int | float, decimals: int) -> str:
    """`Language.number`, remembered, for the reason `_date` gives: a finding shows two counts."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale)


def load_locales(locales: tuple[str, ...]) -> None:
    """Reads the catalogs and the CLDR data (date and number formats) of `locales` now rather
    than in the first rendering that needs them: the CPU pool's fork server does it once, for
    every worker it forks (bot/cpu_preload.py)."""
    for locale in locales:
        translations(locale)
        localedata.load(str(Locale.parse(locale)))


@dataclass(frozen=True)
class Language:
    """Translation and locale-aware formatting for one locale and time zone."""

    locale: str
    timezone: str = "UTC"

    @property
    def is_chinese(self) -> bool:
        return self.locale == CHINESE

    @property
    def colon(self) -> str:
        """Chinese text takes full-width punctuation; a half-width colon looks machine-made."""
        return "：" if self.is_chinese else ": "

    @property
    def comma(self) -> str:
        return "，" if self.is_chinese else ", "

    @property
    def separator(self) -> str:
        return "；" if self.is_chinese else "; "

    def parenthesised(self, text: str) -> str:
        return f"（{text}）" if self.is_chinese else f" ({text})"

    def bracketed(self, text: str) -> str:
        """A label set before a value, such as the language a free text was written in."""
        return f"【{text}】" if self.is_chinese else f"[{text}] "

    def local(self, text: str, text_zh: str | None) -> str:
        """A name the report gives in English and maybe Chinese (a material, an item), as this
        reader reads it: a Chinese reader gets the Chinese where the inspector wrote one."""
        return (text_zh or text) if self.is_chinese else text

    def both(self, text: str, text_zh: str | None) -> str:
        """A name in both languages, this reader's first: a colleague may need the other to
        write to the factory or find its papers."""
        first = self.local(text, text_zh)
        other = text if first != text else text_zh
        return first + self.parenthesised(other) if other and other != first else first

    def gettext(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(self.locale).ngettext(singular, plural, n)

    def text(self, text: Text) -> str:
        """A sentence the domain said (a problem, a refusal's reason), in this language; the
        values it quotes (a file name, a field as written) neutralised (handlers.text)."""
        return neutralised(text.render(self))

    def problem(self, path: str, text: Text) -> str:
        """`path: message`: the path is the report's own keys and is never translated."""
        return f"{path}{self.colon}{self.text(text)}"

    def date(self, value: date | str | None, form: str = "medium") -> str:
        """As the reader's locale writes dates: Dec 3, 2026 (en), 3 Dec 2026 (en_GB), 2026年12月3日."""
        if value is None:
            return "—"
        return _date(self.locale, value, form)

    def day_month(self, value: date) -> str:
        """A date without its year, where the year is plain from context: Dec 3, 3 Dec, 12月3日."""
        return format_skeleton("MMMd", value, locale=self.locale)

    def moment(self, value: datetime | str | None) -> str:
        """A moment in this language's time zone, with the zone shown so nobody guesses."""
        if value is None:
            return "—"
        return _moment(self, value)

    def zone_name(self, local: datetime) -> str:
        """The name of this language's time zone at `local`: Beijing time, or CET, CEST."""
        named = ZONE_NAMES.get(self.timezone)
        return self.gettext(named) if named else local.tzname()

    def duration(self, value: timedelta) -> str:
        """How long, as people say it: 26 hours, then 2 days from 48 hours on (26小时, 2天)."""
        return format_timedelta(value, threshold=2, locale=self.locale)

    def number(self, value: int | float | None, decimals: int = 0) -> str:
        if value is None:
            return "—"
        return _number(self.locale, value, decimals)

    def percent(self, value: float, decimals: int = 1) -> str:
        """48.0 % in English, 48.0% in Chinese: the catalog says where the sign goes."""
        return self.gettext(PERCENT) % {"pct": self.number(value, decimals)}
