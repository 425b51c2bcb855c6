"""The committed Slack manifest asks for exactly what the bot uses: an admin installing it
must not grant scopes nobody needs, and a missing one would fail only in production."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.runtime import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parent.parent / "bot" / "slack" / "manifest.yaml"


def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_the_manifest_asks_for_exactly_the_scopes_the_bot_uses() -> None:
    assert sorted(manifest()["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read", "channels:history", "chat:write", "commands", "files:read", "files:write",
        "groups:history", "im:history", "im:write",
    ]


def test_events_commands_and_interactivity_reach_the_one_endpoint() -> None:
    m = manifest()
    urls = [m["settings"]["event_subscriptions"]["request_url"], m["settings"]["interactivity"]["request_url"],
            *(c["url"] for c in m["features"]["slash_commands"])]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert sorted(m["settings"]["event_subscriptions"]["bot_events"]) == [
        "app_home_opened", "app_mention", "message.channels", "message.groups", "message.im",
    ]
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/followup"]
