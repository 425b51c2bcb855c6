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

from bot.config import ROBOTS, Config
from bot.console.adapter import ConsoleAdapter, Echo
from bot.cpu import CpuPool
from bot.files_folder import media_folder
from bot.email.settings import SmtpSettings
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.notice_documents import NoticeDocuments
from bot.outbox.pacing import Pacer
from bot.telegram.limits import is_group
from bot.web.form_links import FormLinks
from bot.web.links import NoticeLinks
from handlers.bus import MessageBus
from handlers.clock import Clock
from handlers.context import Settings
from handlers.model import Factory, Person, Platform, Role
from handlers.routing import Destination, Routing
from messages.i18n import CHINESE
from storage import open_store
from storage.media import MediaStore


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
    settings = Settings(
        factories={f.id: f for f in config.factories},
        thresholds=config.analysis,
        routing=routing_for(config, console_active=console is not None),
        people=config.people,
    )
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


def routing_for(config: Config, console_active: bool) -> Routing:
    """Buyer and factory chats on every configured platform; the console when it runs."""
    buyer = next((p for p in config.people if p.role is Role.BUYER), None)
    locale, zone = (buyer.locale, buyer.timezone) if buyer else ("en", "UTC")
    buyer_chats = []
    if console_active:
        buyer_chats.append(Destination(Platform.CONSOLE, "buyer", locale, zone))
    if config.telegram.buyer_chat_id is not None:
        chat = config.telegram.buyer_chat_id
        buyer_chats.append(Destination(Platform.TELEGRAM, str(chat), locale, zone, crowded=is_group(chat)))
    if config.slack.buyer_channel:
        buyer_chats.append(Destination(Platform.SLACK, config.slack.buyer_channel, locale, zone))
    factories = {}
    for factory in config.factories:
        chats = []
        if console_active:
            chats.append(Destination(Platform.CONSOLE, f"factory {factory.id}", CHINESE, factory.timezone))
        if factory.telegram_chat_id is not None:
            chats.append(Destination(Platform.TELEGRAM, str(factory.telegram_chat_id), CHINESE, factory.timezone))
        if factory.slack_channel:
            chats.append(Destination(Platform.SLACK, factory.slack_channel, CHINESE, factory.timezone))
        chats += [Destination(robot.platform, factory.id, CHINESE, factory.timezone)
                  for robot in ROBOTS if robot.configured(factory)]
        factories[factory.id] = (*chats, *_mailbox(factory))
    buyers_private = tuple(d for p in config.people if p.role is Role.BUYER for d in _private_chats(p, console_active))
    return Routing(tuple(buyer_chats), factories, _manager_chats(config, console_active), buyers_private)


def _manager_chats(config: Config, console_active: bool) -> dict[str, tuple[Destination, ...]]:
    """Each factory manager's private chats, for the buyer's escalation; and the factory's
    e-mail, which the manager reads where no chat reaches them (a factory in mainland China)."""
    people = {(p.factory, p.name): p for p in config.people if p.role is Role.FACTORY}
    managers = {}
    for factory in config.factories:
        manager = people.get((factory.id, factory.manager))
        if manager is not None:
            managers[factory.id] = (*_private_chats(manager, console_active), *_mailbox(factory))
    return managers


def _mailbox(factory: Factory) -> tuple[Destination, ...]:
    """The factory's e-mail addresses, one destination: one mail to them all."""
    return (Destination(Platform.EMAIL, ",".join(factory.email), CHINESE, factory.timezone),) if factory.email else ()


def _private_chats(person: Person, console_active: bool) -> tuple[Destination, ...]:
    """A configured person's private chats with the bot, on each platform they have an account."""
    addresses = [
        (Platform.CONSOLE, person.name if console_active else None),
        (Platform.TELEGRAM, None if person.telegram_user_id is None else str(person.telegram_user_id)),
        (Platform.SLACK, person.slack_user_id),
    ]
    return tuple(Destination(platform, address, person.locale, person.timezone)
                 for platform, address in addresses if address)
