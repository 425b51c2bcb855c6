"""What the Telegram platform needs from the environment: the token and the webhook secret
(secrets, so never in followup.toml) and the Bot API base URLs (a self-hosted Bot API server,
or the tests' fake).

The webhook secret is one for every replica behind the load balancer: each replica's
setWebhook replaces the others', so a secret of its own would lock the others out. It is
TELEGRAM_WEBHOOK_SECRET, or else derived from the token (HMAC), which every replica has
anyway: no new setting to share, and a new token brings a new secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token


@dataclass(frozen=True)
class TelegramEnvironment:
    token: str
    base_url: str = DEFAULT_BASE_URL
    file_base_url: str = DEFAULT_FILE_BASE_URL
    webhook_secret: str | None = None  # None: derived from the token

    def __repr__(self) -> str:  # the token must never reach a log line
        return f"TelegramEnvironment(base_url={self.base_url!r}, file_base_url={self.file_base_url!r})"

    @classmethod
    def from_environment(cls) -> TelegramEnvironment | None:
        token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            return None
        return cls(
            token=token,
            base_url=os.environ.get("TELEGRAM_API_BASE_URL") or DEFAULT_BASE_URL,
            file_base_url=os.environ.get("TELEGRAM_FILE_BASE_URL") or DEFAULT_FILE_BASE_URL,
            webhook_secret=_webhook_secret(os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None),
        )

    def secret_token(self) -> str:
        """The secret Telegram sends with each webhook request: the same on every replica."""
        if self.webhook_secret is not None:
            return self.webhook_secret
        digest = hmac.new(self.token.encode(), b"followup telegram webhook secret", hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _webhook_secret(value: str | None) -> str | None:
    if value is not None and not WEBHOOK_SECRET.fullmatch(value):
        raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
    return value
