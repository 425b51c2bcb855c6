"""A running bot on the fake Bot API server, with the example's people as Telegram users.

Tests read like the chat: the inspector sends a bundle, the buyer taps, the factory answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from bot.app import App, build_app
from bot.config import Config, Telegram
from bot.outbox.backoff import Backoff
from bot.outbox.delivery import DeliveryLoop
from bot.outbox.pacing import Pacer
from bot.running import telegram_runtime
from bot.telegram.runtime import TelegramRuntime
from bot.telegram.settings import TelegramEnvironment
from handlers.model import Platform
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.fakes import FakeClock

# The buyer's chat is private in most stories: a group's 20 messages a minute would make the
# whole flow wait a minute; test_telegram_more checks the group limit on its own.
BUYER_CHAT = 555111
FACTORY_CHAT = -100222
BUYER_ID, INSPECTOR_ID, FACTORY_ID = 111, 222, 333
IDS = {"Anna Schmidt": BUYER_ID, "Chen Jing": INSPECTOR_ID, "Li Wei": FACTORY_ID}
# Polling tries again within milliseconds after Telegram refused a getUpdates.
POLL_BACKOFF = Backoff(first=timedelta(milliseconds=20), cap=timedelta(milliseconds=100))


def telegram_config(config: Config, **telegram: object) -> Config:
    people = tuple(p.model_copy(update={"telegram_user_id": IDS[p.name]}) for p in config.people)
    # A factory with a chat of its own keeps it; the others share ours.
    factories = tuple(f if f.telegram_chat_id is not None else f.model_copy(update={"telegram_chat_id": FACTORY_CHAT})
                      for f in config.factories)
    return config.model_copy(update={
        "people": people,
        "factories": factories,
        "telegram": Telegram(**{"buyer_chat_id": BUYER_CHAT, **telegram}),
    })


@dataclass
class World:
    fake: FakeTelegram
    app: App
    runtime: TelegramRuntime
    clock: FakeClock
    buyer: FakeUser
    inspector: FakeUser
    factory: FakeUser

    def chat(self, chat_id: int) -> list[SentMessage]:
        return self.fake.transcript(chat_id)

    def last_with_button(self, chat_id: int, label_part: str) -> SentMessage:
        matches = [m for m in self.chat(chat_id) if any(label_part in label for label in m.buttons)]
        assert matches, f"no message with a {label_part!r} button in chat {chat_id}"
        return matches[-1]

    def finding(self, label: str) -> SentMessage:
        """The buyer-chat message for item `label` (F1, M3, P2…) that carries its buttons."""
        found = [m for m in self.chat(BUYER_CHAT) if m.text and m.plain.startswith(f"[{label}]")]
        assert found, f"no message for {label}"
        return found[-1]

    async def tap(self, user: FakeUser, chat_id: int, message: SentMessage, label_part: str) -> str:
        """Taps a button and returns the bot's callback answer."""
        data = next(d for label, d in message.buttons.items() if label_part in label)
        return await self.tap_data(user, chat_id, message.message_id, data)

    async def tap_data(self, user: FakeUser, chat_id: int, message_id: int, data: str) -> str:
        """A tap with given callback data: an old button a slow client still shows, or a forgery."""
        answers = len(self.fake.callback_answers)
        await self.fake.tap(chat_id, user, message_id, data, forged=True)
        await self.fake.wait_for(lambda: len(self.fake.callback_answers) > answers)
        await self.settled()
        return self.fake.callback_answers[-1].text or ""

    async def say(self, user: FakeUser, chat_id: int, text: str, reply_to: int | None = None) -> SentMessage:
        before = len(self.chat(chat_id))
        send = self.fake.send_command if text.startswith("/") else self.fake.send_text
        await send(chat_id, user, text, reply_to_message_id=reply_to)
        await self.fake.wait_for(lambda: len(self.chat(chat_id)) > before)
        await self.settled()
        return self.chat(chat_id)[-1]

    async def settled(self) -> None:
        """Waits until every stored update is handled and the outbox is empty."""
        async def quiet() -> bool:
            async with self.app.store.unit_of_work() as uow:
                return not await uow.inbox.unhandled(Platform.TELEGRAM) and not await uow.outbox.pending()
        for _ in range(750):
            if not self.fake.pending_updates and await quiet():
                await self.app.dispatcher.deliver_pending()
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the bot did not settle")



@asynccontextmanager
async def running(config: Config, clock: FakeClock, on_fatal=None, pacer: Pacer | None = None,
                  **telegram: object) -> AsyncIterator[World]:
    """The bot on a fake Bot API; `on_fatal` is told when it cannot go on, as `followup run` is.
    `pacer`: the outbox kept within flood limits, for a story that turns the fake's on."""
    async with FakeTelegram() as fake:
        cfg = telegram_config(config, **telegram)
        app = await build_app(cfg, clock)
        env = TelegramEnvironment(fake.token, fake.base_url, fake.base_file_url)
        delivery = DeliveryLoop(app.dispatcher, interval=0.5)
        runtime = telegram_runtime(app, env, cfg.telegram, delivery.wake, poll_timeout=1,
                                   poll_backoff=POLL_BACKOFF, on_fatal=on_fatal, pacer=pacer)
        try:
            await runtime.start()
        except BaseException:
            await app.close()  # a refused start (a token, a workspace) leaves no store thread behind
            raise
        delivery.start()
        try:
            yield World(
                fake, app, runtime, clock,
                buyer=fake.user(BUYER_ID, "Anna", "en"),
                inspector=fake.user(INSPECTOR_ID, "Chen", "en"),
                factory=fake.user(FACTORY_ID, "Li", "zh-hans"),
            )
        finally:
            await delivery.stop()
            await runtime.stop()
            await app.close()
