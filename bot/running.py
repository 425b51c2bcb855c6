"""The composition root of the running bot (`followup run`): the app (bot/app.py), each
platform's runtime with the outbox's own client for that platform, and the loops beside the
chats (delivery, chasing, the retention prune), built in one place and started and stopped in
one order. The CLI only reads the command line and calls `serve`; the tests build runtimes here
too, so they run what `followup run` runs."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.app import (
    App, build_app, deliver_on_email, deliver_on_robots, deliver_on_slack, deliver_on_telegram, robot_platforms,
)
from bot.chase_loop import ChaseLoop
from bot.config import Config, robot_secrets
from bot.config import Slack as SlackConfig
from bot.config import Telegram as TelegramConfig
from bot.email.settings import SmtpSettings
from bot.files_folder import FilesFolderRefused, check_files_folder
from bot.outbox.backoff import Backoff
from bot.outbox.delivery import DeliveryLoop
from bot.outbox.replica import Replica
from bot.outbox.pacing import Pacer
from bot.redaction import conceal, conceal_login, conceal_stored_buttons
from bot.retention import RetentionLoop
from bot.slack.settings import SlackEnvironment
from bot.telegram.outbox_bot import outbox_bot
from bot.telegram.polling import POLL_BACKOFF
from bot.telegram.runtime import TelegramRuntime
from bot.telegram.settings import TelegramEnvironment
from bot.web.form_links import FormLinks
from bot.web.links import LinkSigner, NoticeLinks
from bot.web.shared_key import stored_key
from handlers.clock import Clock
from handlers.verdicts import rejudge
from messages.environment import precompile

if TYPE_CHECKING:
    import aiohttp

    from bot.slack.runtime import SlackRuntime
    from bot.web.server import WebServer

log = logging.getLogger(__name__)
GiveUp = Callable[[BaseException], None]


@dataclass(frozen=True)
class Pace:
    """How often the running bot delivers the outbox anyway (it also does at once when woken),
    chases, how long a Telegram long poll waits, how long polling waits after a failure and
    how often the daily retention prune looks at the clock, and whether the worker processes
    start at once. The crash tests run the bot faster, and start it dozens of times a minute:
    their bots start workers only when a report or a PDF asks for them."""

    delivery: float = 5.0
    chasing: float = 60.0
    poll_timeout: int = 30
    poll_backoff: Backoff = POLL_BACKOFF
    retention_tick: float = 3600.0
    warm_up: bool = True
    flood_scale: float = 1.0  # the platforms' flood windows shortened alike (crash tests: fakes without limits)


class RobotsRuntime:
    """The outbox's HTTP session to the factories' group robots, open while the bot runs.
    Robots are one-way: there is nothing to receive, only to post."""

    TIMEOUT_SECONDS = 30

    def __init__(self, app: App, links: NoticeLinks | None = None):
        self.app = app
        self.links = links
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        import aiohttp  # here: only where a factory has a robot; a bot without one never loads it (9 MB)

        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.TIMEOUT_SECONDS))
        deliver_on_robots(self.app, self.session, self.links)

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()


@dataclass
class Running:
    """The bot with its runtimes and loops: started platforms first, so the loops deliver to
    platforms that are up, and stopped loops first, so nothing is sent on a platform going down."""

    app: App
    runtimes: list[TelegramRuntime | SlackRuntime | RobotsRuntime | WebServer]
    delivery: DeliveryLoop
    chasing: ChaseLoop
    retention: RetentionLoop

    async def start(self) -> None:
        for runtime in self.runtimes:
            await runtime.start()
        self.delivery.start()
        self.chasing.start()
        self.retention.start()

    async def stop(self) -> None:
        await self.retention.stop()
        await self.chasing.stop()
        await self.delivery.stop()
        for runtime in self.runtimes:
            await runtime.stop()
        await self.app.close()


async def build_bot(config: Config, clock: Clock, telegram: TelegramEnvironment | None,
                    slack: SlackEnvironment | None, pace: Pace, give_up: GiveUp,
                    web: LinkSigner | None = None, replica: Replica | None = None) -> Running:
    """`give_up` is told when a runtime cannot go on (a refused token); `web` signs the notice
    page's links when the web server runs ([web] public_url): FOLLOWUP_WEB_SECRET's key, else
    (None) the one every replica shares in the store; `replica` names this bot in its outbox
    claims (`followup run --replica-id`)."""
    smtp = SmtpSettings.from_environment(config.smtp) if config.smtp.configured else None
    app = await build_app(config, clock, replica=str(replica) if replica is not None else None)
    try:
        await check_files_folder(app.store, config.storage, app.bus.clock)
    except FilesFolderRefused:
        await app.close()
        raise
    if web is None and config.web.enabled:
        web = LinkSigner((await stored_key(app.store, app.bus.clock)).encode())
    await conceal_stored_buttons(app.store)
    links = NoticeLinks(web, config.web.public_url, config.web.link_days, app.bus.clock) if web else None
    if links is not None:
        app.link_notices(links)
    app.form_links = FormLinks(web, config.web.public_url, app.bus.clock) if web else None
    if smtp is not None:
        conceal_login(smtp.config.username, smtp.password)
        deliver_on_email(app, smtp, links)
    delivery = DeliveryLoop(app.dispatcher, interval=pace.delivery)
    await app.store.listen_for_work(delivery.wake)  # other replicas' work (PostgreSQL); polling stays
    chasing = ChaseLoop(app, delivery.wake, interval=pace.chasing)
    retention = RetentionLoop(app.store, app.bus.clock, config.retention.updates_days, tick=pace.retention_tick)
    runtimes: list[TelegramRuntime | SlackRuntime | RobotsRuntime | WebServer] = []
    if telegram is not None:
        runtimes.append(telegram_runtime(app, telegram, config.telegram, delivery.wake, pace.poll_timeout,
                                         pace.poll_backoff, on_fatal=give_up, pacer=Pacer(pace.flood_scale)))
    if slack is not None:
        runtimes.append(slack_runtime(app, slack, config.slack, delivery.wake, Pacer(pace.flood_scale)))
    if robot_platforms(config):
        conceal(*(secret for f in config.factories for secret in robot_secrets(f)))
        runtimes.append(RobotsRuntime(app, links))
    if web is not None:
        from bot.web.server import WebServer  # here: its pages and aiohttp.web only when it runs (RSS, issue 17)

        conceal(web.secret.decode())
        runtimes.append(WebServer(app, web, config.web, delivery.wake))
    return Running(app, runtimes, delivery, chasing, retention)


def telegram_runtime(app: App, env: TelegramEnvironment, config: TelegramConfig, wake: Callable[[], None],
                     poll_timeout: int = 30, poll_backoff: Backoff = POLL_BACKOFF,
                     on_fatal: GiveUp | None = None, pacer: Pacer | None = None) -> TelegramRuntime:
    """The Telegram runtime, and the outbox delivering to Telegram with a client of its own,
    paced by `pacer` (bot/outbox/pacing.py; None: a fake without flood limits)."""
    conceal(env.token, env.secret_token())  # before PTB, which logs its URLs as it is built
    bot = outbox_bot(env, pacer.scale if pacer is not None else 1.0)
    deliver_on_telegram(app, bot, pacer)
    return TelegramRuntime(app, env, config, bot, wake, poll_timeout, poll_backoff, on_fatal)


def slack_runtime(app: App, env: SlackEnvironment, config: SlackConfig, wake: Callable[[], None],
                  pacer: Pacer | None = None) -> SlackRuntime:
    """The Slack runtime, and the outbox delivering to Slack with a client of its own, paced
    by `pacer` as Telegram's is. Bolt and slack-sdk are imported here: a bot on Telegram alone
    does not hold them (8 MB)."""
    from bot.slack.outbox_client import outbox_client
    from bot.slack.runtime import SlackRuntime

    conceal(env.bot_token, env.signing_secret, env.app_token)
    outbox = outbox_client(env)
    deliver_on_slack(app, outbox, pacer)
    return SlackRuntime(app, env, config, wake, outbox)


async def serve(config: Config, telegram: TelegramEnvironment | None, slack: SlackEnvironment | None,
                clock: Clock, pace: Pace = Pace(), web: LinkSigner | None = None,
                replica: Replica | None = None) -> None:
    """The bot until SIGINT or SIGTERM: the platforms' runtimes, outbox delivery, chasing and
    the retention prune."""
    stop = asyncio.Event()
    fatal: list[BaseException] = []

    def give_up(error: BaseException) -> None:
        """A runtime cannot go on (a refused token): the bot stops and `serve` raises it."""
        fatal.append(error)
        stop.set()

    bot = await build_bot(config, clock, telegram, slack, pace, give_up, web, replica)
    log.info("starting; the outbox claims as %s", bot.app.dispatcher.replica)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    warming = asyncio.create_task(_warm_up(bot.app) if pace.warm_up else asyncio.sleep(0), name="warm-up")
    judging = asyncio.create_task(_judge_afresh(bot.app), name="verdicts")
    try:
        await bot.start()
        await stop.wait()
        log.info("stopping")
    finally:
        await warming  # the templates' thread cannot be cancelled; it takes about a second at most
        judging.cancel()  # a factory's verdicts half judged are rolled back and judged next time
        with suppress(asyncio.CancelledError):
            await judging
        await bot.stop()
    if fatal:
        raise fatal[0]


async def _warm_up(app: App) -> None:
    """The first message, status chart, report check and notice PDF then run in warm time (the
    templates compiled, the worker processes started with Pillow and fpdf loaded in them);
    a failure here only costs that."""
    try:
        await asyncio.gather(asyncio.to_thread(precompile), app.cpu.warm())
    except Exception:  # noqa: BLE001 - the work is done (or fails visibly) when asked for
        log.warning("could not compile the templates and start the worker processes", exc_info=True)
    freeze_start_up()


def freeze_start_up() -> None:
    """What start-up left (modules, compiled templates, configuration: some 110,000 objects,
    alive until the bot stops) is moved out of the collector's sight. Each full collection
    walked all of it, every few seconds under a few hundred clicks a second, and held the loop
    for 150-250 ms on a loaded 2-core machine: the Slack clicks' p99. Frozen, a full
    collection walked what came after, in about 2 ms (issue 17)."""
    gc.collect()
    gc.freeze()


async def _judge_afresh(app: App) -> None:
    """Stored verdicts judged under other settings (an upgrade, a changed factory or threshold)
    are judged now rather than by the first listing asked for, which would wait seconds at
    10,000 orders. A failure here only costs that listing the wait."""
    try:
        judged = await rejudge(app.store, app.settings)
    except Exception:  # the listing judges them again when asked for
        log.warning("could not judge stored visits afresh", exc_info=True)
        return
    if judged:
        log.info("judged %d visits afresh under the current settings", judged)
