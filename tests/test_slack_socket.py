"""The bot on Slack in Socket Mode (SLACK_APP_TOKEN): Bolt's AsyncSocketModeHandler and slack-sdk's
aiohttp SocketModeClient talk to the fake's `apps.connections.open` and websocket, exactly as to Slack."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from bot.app import App, build_app
from bot.config import Config
from bot.running import slack_runtime
from bot.slack.runtime import SlackRuntime
from bot.slack.settings import SlackEnvironment
from handlers.commands import PostVisit
from handlers.model import Role
from tests.conftest import actor, example_report
from tests.fake_slack import FakeSlack, SlackMessage
from tests.fakes import FakeClock
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, INSPECTOR, free_port, slack_config


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours proxy variables even for 127.0.0.1 (the socket client too)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class SocketWorld:
    fake: FakeSlack
    app: App
    config: Config
    runtime: SlackRuntime

    def finding(self, label: str) -> SlackMessage:
        found = [m for m in self.fake.messages(BUYER_CHANNEL) if m.text.startswith(f"*[{label}]")]
        assert found, f"no message for {label}"
        return found[-1]

    async def delivered(self, predicate, timeout: float = 5.0):
        """Empties the outbox until `predicate()` holds: the listeners finish after their ack."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            assert asyncio.get_running_loop().time() < deadline, "condition still false"
            await asyncio.sleep(0.02)
            await self.app.dispatcher.deliver_pending()
        return value


@asynccontextmanager
async def running_socket_mode(config: Config, clock: FakeClock) -> AsyncIterator[SocketWorld]:
    async with FakeSlack() as fake:
        for user, name in ((BUYER, "Anna Schmidt"), (INSPECTOR, "Chen Jing"), (FACTORY, "Li Wei")):
            fake.add_user(user, name)
        fake.add_channel(BUYER_CHANNEL, "buyer-qc")
        fake.add_channel(FACTORY_CHANNEL, "evergreen-connect")
        cfg = slack_config(config, free_port())  # the port stays unused: Socket Mode listens nowhere
        app = await build_app(cfg, clock)
        env = SlackEnvironment(bot_token=fake.token, app_token=fake.app_token, api_url=fake.api_url)
        runtime = slack_runtime(app, env, cfg.slack, lambda: None)
        try:
            await runtime.start()
            yield SocketWorld(fake, app, cfg, runtime)
        finally:
            await runtime.stop()
            await asyncio.sleep(0)  # lets the socket client's cancelled tasks finish
            await app.close()


async def test_socket_mode_connects_answers_a_slash_command_and_a_button(config, clock) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)  # an unclosed aiohttp session fails the test
        async with running_socket_mode(config, clock) as world:
            fake = world.fake
            # connected: the client asked for a URL with the app token and took the hello
            await fake.wait_for(lambda: fake.socket_connected)
            assert len(fake.calls("apps.connections.open")) == 1
            assert not fake.calls("apps.connections.open")[0]  # the token went as a Bearer header

            report, photos = example_report(world.config)
            reply = await world.app.bus.handle(PostVisit(report, photos), actor(world.config, Role.INSPECTOR))
            assert reply.ok, reply
            await world.app.dispatcher.deliver_pending()
            f1 = world.finding("F1")
            assert set(f1.buttons) == {"Approve", "Edit", "Reject"}

            # a slash command over the socket: the answer comes back in the ack's payload
            answer = await fake.socket_send(
                "slash_commands", fake.slash_command(BUYER, BUYER_CHANNEL, "/followup", "status PO-2026-0142"))
            assert answer is not None
            assert "PO-2026-0142" in answer["text"] and "*AT RISK*" in answer["text"]
            assert "Instructions: 7 awaiting decision" in answer["text"]
            assert answer["blocks"], answer
            assert fake.acks[-1]["envelope_id"] == fake.envelopes[-1]["envelope_id"]

            # a button over the socket: acked at once (no payload), then the message is edited
            approve = f1.buttons["Approve"]
            ack = await fake.socket_send("interactive", fake.block_action(BUYER, BUYER_CHANNEL, f1.ts, approve))
            assert ack is None
            f1 = await world.delivered(lambda: (m := world.finding("F1")).edited and m)
            assert f1.edited and "approved" in f1.text and set(f1.buttons) == {"Edit", "Reject"}
            assert fake.calls("chat.update")

        assert not fake.socket_connected  # stop() hung up


async def test_the_fake_opens_socket_urls_only_for_its_app_token() -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    async with FakeSlack() as fake:
        client = AsyncWebClient(base_url=fake.api_url)
        opened = await client.apps_connections_open(app_token=fake.app_token)
        assert opened["url"].startswith("ws://127.0.0.1:")
        for token, error in ((fake.token, "not_allowed_token_type"), ("xapp-1-wrong", "invalid_auth")):
            with pytest.raises(SlackApiError) as refused:
                await client.apps_connections_open(app_token=token)
            assert refused.value.response["error"] == error
        with pytest.raises(LookupError):
            await fake.socket_send("interactive", {"type": "block_actions"})
