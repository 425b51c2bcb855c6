"""Secrets kept out of every log line, whatever logger wrote it and at whatever level.

At DEBUG, python-telegram-bot logs each call's parameters and answers (the webhook secret, every
button's callback data), httpx each URL (the bot token is in it) and slack-sdk and Bolt each
request; an exception's text can quote any of it. One filter on the root logger's handlers sees
every record they write: it formats the message with its arguments, formats the exception, and
replaces each secret in them. Logging is process-wide, so the filter is found through the root
logger rather than passed around: whoever learns a secret (a runtime at start, the code minting
a button) hands it over with `conceal`: the chat tokens and signing secrets, and the key the
notice links are signed with (FOLLOWUP_WEB_SECRET, concealed by bot/running.py as the web server
is built).

A mail server's login (the SMTP password from FOLLOWUP_SMTP_PASSWORD) travels base64-encoded
in AUTH PLAIN and AUTH LOGIN, so a protocol trace would show it in that form: `conceal_login`
hides those too.

Button tokens are many and random, so they are not searched one by one: every token-shaped
word is looked up among the live ones.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

from storage.tokens import TOKEN

REDACTED = "[redacted]"
TOKEN_SHAPED = re.compile(rf"(?<![A-Za-z0-9_-]){TOKEN.pattern}(?![A-Za-z0-9_-])")


class Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._buttons: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def conceal(self, *secrets: str | None) -> None:
        """Secrets to replace wherever they appear, as written or URL-encoded."""
        self._secrets.update(variant for secret in secrets if secret for variant in (secret, quote(secret, safe="")))
        longest_first = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(secret) for secret in longest_first))

    def conceal_buttons(self, tokens: Iterable[str]) -> None:
        self._buttons.update(tokens)

    def redact(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        if self._buttons:
            text = TOKEN_SHAPED.sub(lambda word: REDACTED if word[0] in self._buttons else word[0], text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record in place, so every handler after this one sees it redacted too."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the message: shown side by side
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def redactor() -> Redactor:
    """The one Redactor, on every handler of the root logger (installed on any lacking it)."""
    root = logging.getLogger()
    found = next((f for h in root.handlers for f in h.filters if isinstance(f, Redactor)), None) or Redactor()
    for handler in root.handlers:
        if found not in handler.filters:
            handler.addFilter(found)
    return found


def conceal(*secrets: str | None) -> None:
    redactor().conceal(*secrets)


def conceal_login(username: str | None, password: str | None) -> None:
    """A password, and the forms SMTP's AUTH PLAIN and AUTH LOGIN send it in."""
    if password:
        plain = f"\0{username or ''}\0{password}"
        conceal(password, *(base64.b64encode(form.encode()).decode() for form in (plain, password)))


def conceal_buttons(tokens: Iterable[str]) -> None:
    redactor().conceal_buttons(tokens)


async def conceal_stored_buttons(store) -> None:
    """The buttons already in chats, minted before this start (or by another replica)."""
    async with store.unit_of_work() as uow:
        conceal_buttons(await uow.tokens.every())
