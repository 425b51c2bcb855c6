"""A template is compiled once per process, not once per reader: every surface and reader
(locale, time zone) has an environment of its own, and each compiled the templates it rendered
on its reader's first message. Held by the code the environments run, not by time."""

from __future__ import annotations

from messages.environment import environment, precompile
from messages.i18n import CHINESE, SUPPORTED, _date, _moment


def code_of(surface: str, locale: str, timezone: str, name: str = "chat/finding.j2"):
    return environment(surface, locale, timezone).get_template(name).root_render_func.__code__


def test_readers_share_the_compiled_template_and_escaping_is_compiled_apart() -> None:
    precompile()
    berlin = code_of("telegram", "en_GB", "Europe/Berlin")
    assert code_of("telegram", CHINESE, "Asia/Shanghai") is berlin
    assert code_of("slack", "en", "UTC") is berlin  # Slack escapes too
    plain = code_of("console", "en_GB", "Europe/Berlin")
    assert plain is not berlin and code_of("console", CHINESE, "Asia/Shanghai") is plain


def test_every_locale_has_formatted_a_date_and_a_moment_before_the_first_reader() -> None:
    """babel loads a locale's data and parses its patterns on first use: some 10 ms that the
    first decision shown or answered after start-up paid on the event loop, among the taps."""
    _moment.cache_clear()
    _date.cache_clear()
    precompile()
    assert _moment.cache_info().currsize == len(SUPPORTED)
    assert _date.cache_info().currsize == len(SUPPORTED)
