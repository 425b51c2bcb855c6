"""The composition root: one place builds the store, the bus, the dispatcher and every
adapter the outbox delivers with, from the configuration. Nothing connects at import time.

A surface's runtime receives what it needs rather than building it, so a new surface is an
adapter and a runtime wired here, and nothing else adds to the dispatcher (tests/
test_architecture.py holds that). bot/running.py builds the running bot around this.

Each platform's adapter is imported when it is wired: a command that only reads the store
(`followup orders`, `status`, `outbox`) must not wait for python-telegram-bot, slack-sdk and
aiohttp, nor a bot on Telegram alone keep Slack's client in memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ROBOTS, Config
from bot.console.adapter import ConsoleAdapter, Echo
from bot.cpu import CpuPool
from bot.files_folder import media_folder
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.notice_documents import NoticeDocuments
from bot.outbox.pacing import Pacer
from bot.settings import settings_for
from handlers.bus import MessageBus
from handlers.clock import Clock
from handlers.context import Settings
from handlers.model import Platform
from storage import open_store
from storage.media import MediaStore

if TYPE_CHECKING:  # named in annotations only: a one-off command runs no web server and sends no mail
    from bot.email.settings import SmtpSettings
    from bot.web.form_links import FormLinks
    from bot.web.links import NoticeLinks


@dataclass
class App:
    config: Config
    store: object
    settings: Settings
    bus: MessageBus
    dispatcher: Dispatcher
    media: MediaStore
    console: ConsoleAdapter | None
    cpu: CpuPool
    documents: NoticeDocuments  # each notice version's PDF, rendered once
    form_links: FormLinks | None = None  # the visit form's links, when the web server runs

    @property
    def uploads(self) -> Path:
        """Where report bundles are kept while they arrive: beside the media folder, in the
        installation's files folder (bot/files_folder.py)."""
        return self.media.root.parent / "uploads"

    def link_notices(self, links: NoticeLinks) -> None:
        """The web server runs: each notice's PDF carries its signed link and QR code, and the
        buyer's chat gets them beside the sent notice to pass on."""
        self.documents.links = links

    async def close(self) -> None:
        self.documents.close()
        self.cpu.close()
        await self.bus.repeats.drain()
        await self.store.close()


async def build_app(config: Config, clock: Clock, console: ConsoleAdapter | None = None,
                    replica: str | None = None) -> App:
    """The app; `console` is the console platform when it runs (build_console_app builds it,
    a test hands in its own recording one); `replica` the claimant its outbox claims name
    (bot/outbox/replica.py; by default this process's)."""
    store = await open_store(config.storage.url)
    settings = settings_for(config, console_active=console is not None)
    adapters = {Platform.CONSOLE: console} if console is not None else {}
    media = MediaStore(media_folder(config.storage))
    cpu = CpuPool()
    documents = NoticeDocuments(store, media, cpu, clock, settings)
    if console is not None:
        console.documents = documents  # built before the app: it shows the notice's link too
    return App(
        config=config,
        store=store,
        settings=settings,
        bus=MessageBus(store, clock, settings),
        dispatcher=Dispatcher(store, settings, adapters, clock, replica=replica),
        media=media,
        console=console,
        cpu=cpu,
        documents=documents,
    )


async def build_console_app(config: Config, clock: Clock, echo: Echo, colour: bool = False,
                            unfolded: bool = False) -> App:
    """The app with the console platform printing through `echo`: the demo, `followup
    console` and (`unfolded`, nothing to type after it) `followup visit post`."""
    return await build_app(config, clock, ConsoleAdapter(echo, colour, unfolded))


def deliver_on_telegram(app: App, bot, pacer: Pacer | None = None) -> None:
    """The outbox delivers to Telegram with `bot`, python-telegram-bot's Bot: the outbox's own
    in the running bot (bot/telegram/outbox_bot.py), a test's with a short timeout; within
    Telegram's flood limits with a `pacer` (the running bot's; a test's fake has none unless told)."""
    from bot.telegram.adapter import TelegramAdapter

    app.dispatcher.add_adapter(TelegramAdapter(bot, app.store, app.media, app.bus.clock, app.documents, pacer))


def deliver_on_slack(app: App, client, pacer: Pacer | None = None) -> None:
    """The outbox delivers to Slack with `client`, slack_sdk's AsyncWebClient: the outbox's own
    in the running bot (bot/slack/outbox_client.py), a test's with a short timeout; within
    Slack's posting limits with a `pacer`."""
    from bot.slack.adapter import SlackAdapter

    app.dispatcher.add_adapter(SlackAdapter(client, app.store, app.media, app.bus.clock, app.documents, pacer))


def deliver_on_robots(app: App, session, links: NoticeLinks | None = None) -> None:
    """The outbox delivers to the factories' group robots with `session`, an aiohttp
    ClientSession: the running bot's own (bot/running.py), a test's. Only the robots some
    factory has are added; each addresses a factory by its id. With `links` (the web server
    runs), a message that shows a notice carries its signed link."""
    from bot.robots.dingtalk import DingTalk
    from bot.robots.feishu import Feishu
    from bot.robots.robot import RobotAdapter, Webhook
    from bot.robots.wecom import WeCom

    surfaces = {robot.platform: robot for robot in (WeCom, DingTalk, Feishu)}  # where a factory names one: ROBOTS
    for keys in ROBOTS:
        webhooks = {f.id: Webhook(getattr(f, keys.webhook), getattr(f, keys.secret) if keys.secret else None)
                    for f in app.config.factories if keys.configured(f)}
        if webhooks:
            app.dispatcher.add_adapter(RobotAdapter(surfaces[keys.platform](), session, webhooks, app.bus.clock,
                                                    app.config.robots.base_url,
                                                    links.for_view if links is not None else None))


def robot_platforms(config: Config) -> frozenset[Platform]:
    """The robots some factory has, so the running bot opens a session for them."""
    return frozenset(robot.platform for robot in ROBOTS for f in config.factories if robot.configured(f))


def deliver_on_email(app: App, settings: SmtpSettings, links: NoticeLinks | None = None) -> None:
    """The outbox delivers factories' e-mail through the mail server `settings` names. With
    `links` (the web server runs), a mail that shows a notice carries its signed link."""
    from bot.email.adapter import EmailAdapter

    app.dispatcher.add_adapter(EmailAdapter(settings, app.bus.clock, app.documents,
                                            links.for_view if links is not None else None))
