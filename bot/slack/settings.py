"""What the Slack platform needs from the environment: tokens and the signing secret are
secrets, so never in followup.toml; SLACK_API_URL points at GovSlack or the tests' fake."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class SlackEnvironment:
    bot_token: str
    signing_secret: str | None = None  # HTTP mode
    app_token: str | None = None  # Socket Mode
    api_url: str = DEFAULT_API_URL

    def __repr__(self) -> str:  # secrets must never reach a log line
        mode = "socket" if self.app_token else "http"
        return f"SlackEnvironment(mode={mode!r}, api_url={self.api_url!r})"

    @classmethod
    def from_environment(cls) -> SlackEnvironment | None:
        token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
        if not token:
            return None
        return cls(
            bot_token=token,
            signing_secret=os.environ.get("SLACK_SIGNING_SECRET") or None,
            app_token=os.environ.get("SLACK_APP_TOKEN") or None,
            api_url=os.environ.get("SLACK_API_URL") or DEFAULT_API_URL,
        )
