"""A running bot on Slack (HTTP mode) against the fake Web API, with the example's people
as Slack users; requests reach it signed, exactly as Slack sends them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import App, build_app
from bot.config import Config, Slack
from bot.outbox.delivery import DeliveryLoop
from bot.outbox.pacing import Pacer
from bot.running import slack_runtime
from bot.slack.runtime import SlackRuntime
from bot.slack.settings import SlackEnvironment
from handlers.model import Platform
from tests.fake_slack import FakeSlack, SlackMessage, post_to_app
from tests.fakes import FakeClock

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BUYER_CHANNEL, FACTORY_CHANNEL = "C0BUYER", "C0FACTORY"
BUYER, INSPECTOR, FACTORY = "U0BUYER", "U0INSPECT", "U0FACTORY"
IDS = {"Anna Schmidt": BUYER, "Chen Jing": INSPECTOR, "Li Wei": FACTORY}


def slack_config(config: Config, port: int) -> Config:
    people = tuple(p.model_copy(update={"slack_user_id": IDS[p.name]}) for p in config.people)
    # A factory with a channel of its own keeps it; the others share ours.
    factories = tuple(f if f.slack_channel else f.model_copy(update={"slack_channel": FACTORY_CHANNEL})
                      for f in config.factories)
    return config.model_copy(update={
        "people": people, "factories": factories,
        "slack": Slack(buyer_channel=BUYER_CHANNEL, listen="127.0.0.1", port=port),
    })


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SlackWorld:
    fake: FakeSlack
    app: App
    url: str
    runtime: SlackRuntime
    events: int = 0

    async def send(self, kind: str, payload: dict, **options) -> tuple[int, str]:
        status = await post_to_app(self.url, kind, payload, SECRET, **options)
        await self.settled()
        return status

    async def event(self, event: dict, **options) -> tuple[int, str]:
        self.events += 1
        return await self.send("event", event, event_id=options.pop("event_id", f"Ev{self.events:08d}"), **options)

    async def click(self, user: str, channel: str, message: SlackMessage, label: str) -> tuple[int, str]:
        return await self.send("interactive", click_on(self.fake, user, channel, message, label))

    def channel(self, channel: str) -> list[SlackMessage]:
        return self.fake.messages(channel)

    def finding(self, label: str) -> SlackMessage:
        found = [m for m in self.fake.messages(BUYER_CHANNEL) if m.text.startswith(f"*[{label}]")]
        assert found, f"no message for {label}"
        return found[-1]

    async def settled(self) -> None:
        """Lets the listeners (running after their ack) finish, then empties the outbox: every
        request the bot accepted is in its inbox until its listener is done."""
        for _ in range(750):
            await asyncio.sleep(0.02)
            async with self.app.store.unit_of_work() as uow:
                if not await uow.inbox.unhandled(Platform.SLACK):
                    break
        else:
            raise AssertionError("the bot did not handle every Slack request")
        await self.app.dispatcher.deliver_pending()
        await self._deliveries_done()

    async def _deliveries_done(self) -> None:
        """Until no message is claimed: the running bot's own delivery loop may hold one that
        `deliver_pending` passed over, and its record would land in what a test reads next."""
        for _ in range(750):
            async with self.app.store.unit_of_work() as uow:
                if not await uow.outbox.claimants(self.app.bus.clock.now()):
                    return
            await asyncio.sleep(0.02)
        raise AssertionError("a delivery stayed claimed")


def click_on(fake: FakeSlack, user: str, channel: str, message: SlackMessage, label: str) -> dict:
    """The click on the button whose label holds `label`, or else the choice of such an option
    from a list (the factory's 更新整改进度)."""
    action_id = next((a for text, a in message.buttons.items() if label in text), None)
    if action_id is not None:
        return fake.block_action(user, channel, message.ts, action_id)
    menu, value = next((menu, value) for menu, options in message.menus.items()
                       for text, value in options.items() if label in text)
    return fake.block_action(user, channel, message.ts, message.menu_id(menu), value)


def offers(message: SlackMessage, label: str) -> bool:
    """Whether a button, or an option of a list, of `message` holds `label`."""
    choices = [*message.buttons, *(text for options in message.menus.values() for text in options)]
    return any(label in text for text in choices)


@asynccontextmanager
async def running_slack(config: Config, clock: FakeClock, pacer: Pacer | None = None) -> AsyncIterator[SlackWorld]:
    """`pacer`: the outbox kept within Slack's posting limit, for a story that turns the fake's on."""
    async with FakeSlack() as fake:
        for user, name in ((BUYER, "Anna Schmidt"), (INSPECTOR, "Chen Jing"), (FACTORY, "Li Wei")):
            fake.add_user(user, name)
        fake.add_channel(BUYER_CHANNEL, "buyer-qc")
        fake.add_channel(FACTORY_CHANNEL, "evergreen-connect")
        port = free_port()
        cfg = slack_config(config, port)
        app = await build_app(cfg, clock)
        delivery = DeliveryLoop(app.dispatcher, interval=0.5)
        env = SlackEnvironment(bot_token=fake.token, signing_secret=SECRET, api_url=fake.api_url)
        runtime = slack_runtime(app, env, cfg.slack, delivery.wake, pacer)
        try:
            await runtime.start()
        except BaseException:
            await app.close()  # a refused start (a token, a workspace) leaves no store thread behind
            raise
        delivery.start()
        try:
            yield SlackWorld(fake, app, f"http://127.0.0.1:{port}/slack/events", runtime)
        finally:
            await delivery.stop()
            await runtime.stop()
            await app.close()
