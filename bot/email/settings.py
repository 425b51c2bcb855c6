"""What the mail server needs from the environment: the SMTP password is a secret, so never
in followup.toml ([smtp] names the server, the sender and the login)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.config import Smtp

PASSWORD_VARIABLE = "FOLLOWUP_SMTP_PASSWORD"


class SmtpSettingsError(Exception):
    """The mail server cannot be used as configured; the message names the key to set."""


@dataclass(frozen=True)
class SmtpSettings:
    config: Smtp
    password: str | None = None

    def __repr__(self) -> str:  # the password must never reach a log line
        return f"SmtpSettings(host={self.config.host!r}, port={self.config.port!r})"

    @classmethod
    def from_environment(cls, config: Smtp) -> SmtpSettings:
        """A login needs its password; a password without a login would be silently unused."""
        password = os.environ.get(PASSWORD_VARIABLE) or None
        if config.username and password is None:
            raise SmtpSettingsError(f"[smtp] username is set: {PASSWORD_VARIABLE} must hold its password")
        if password is not None and not config.username:
            raise SmtpSettingsError(f"{PASSWORD_VARIABLE} is set: [smtp] username must name the login it is for")
        return cls(config, password)
