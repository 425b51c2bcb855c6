"""What the Telegram platform needs from the environment: the token (a secret, so never in
followup.toml) and the Bot API base URLs (a self-hosted Bot API server, or the tests' fake)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"


@dataclass(frozen=True)
class TelegramEnvironment:
    token: str
    base_url: str = DEFAULT_BASE_URL
    file_base_url: str = DEFAULT_FILE_BASE_URL

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
        )
