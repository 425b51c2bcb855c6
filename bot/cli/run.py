"""`followup run`: the bot on the chat platforms whose tokens are in the environment."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import click

from bot.app import App, build_app
from bot.outbox.backoff import Backoff
from bot.cli.common import command_clock, config_option, load_or_exit
from bot.config import Config
from bot.chase_loop import ChaseLoop
from bot.outbox.delivery import DeliveryLoop
from bot.redaction import conceal_stored_buttons, redactor
from bot.refused import EXIT_TOKEN_REFUSED, TokenRefused
from bot.retention import RetentionLoop
from messages.chart import warm_up
from bot.slack.runtime import SlackRuntime
from bot.slack.settings import SlackEnvironment
from bot.telegram.polling import POLL_BACKOFF
from bot.telegram.runtime import TelegramRuntime
from bot.telegram.settings import TelegramEnvironment
from handlers.clock import Clock
from handlers.verdicts import rejudge

log = logging.getLogger(__name__)


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


@click.command()
@config_option
def run(config_file: Path | None) -> None:
    """Run the bot on Telegram (TELEGRAM_BOT_TOKEN) and/or Slack (SLACK_BOT_TOKEN). Stop with Ctrl-C."""
    config = load_or_exit(config_file)
    try:
        telegram, slack = TelegramEnvironment.from_environment(), SlackEnvironment.from_environment()
    except ValueError as bad:
        raise click.UsageError(str(bad)) from None
    if telegram is None and slack is None:
        raise click.UsageError(
            "no chat platform configured: set TELEGRAM_BOT_TOKEN and/or SLACK_BOT_TOKEN (see README), "
            "or try the bot locally with './dev console'"
        )
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta, without a warning
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the bot token
    redactor()  # and should they be shown anyway, or any other secret, they are redacted
    try:
        asyncio.run(serve(config, telegram, slack))
    except TokenRefused as refused:
        click.echo(f"followup run: {refused}", err=True)
        raise SystemExit(EXIT_TOKEN_REFUSED) from None


async def serve(config: Config, telegram: TelegramEnvironment | None, slack: SlackEnvironment | None,
                clock: Clock | None = None, pace: Pace = Pace()) -> None:
    """The bot until SIGINT or SIGTERM: the platforms' runtimes, outbox delivery, chasing and
    the retention prune."""
    app = await build_app(config, clock or command_clock())
    await conceal_stored_buttons(app.store)
    delivery = DeliveryLoop(app.dispatcher, interval=pace.delivery)
    chasing = ChaseLoop(app, delivery.wake, interval=pace.chasing)
    retention = RetentionLoop(app.store, app.bus.clock, config.retention.updates_days, tick=pace.retention_tick)
    stop = asyncio.Event()
    fatal: list[BaseException] = []

    def give_up(error: BaseException) -> None:
        """A runtime cannot go on (a refused token): the bot stops and `serve` raises it."""
        fatal.append(error)
        stop.set()

    runtimes = _runtimes(app, config, delivery, telegram, slack, pace, give_up)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    warming = asyncio.create_task(_warm_up(app) if pace.warm_up else asyncio.sleep(0), name="warm-up")
    judging = asyncio.create_task(_judge_afresh(app), name="verdicts")
    try:
        for runtime in runtimes:
            await runtime.start()
        delivery.start()
        chasing.start()
        retention.start()
        await stop.wait()
        log.info("stopping")
    finally:
        await warming  # the chart's thread cannot be cancelled; it takes about a second at most
        judging.cancel()  # a factory's verdicts half judged are rolled back and judged next time
        with suppress(asyncio.CancelledError):
            await judging
        await retention.stop()
        await chasing.stop()
        await delivery.stop()
        for runtime in runtimes:
            await runtime.stop()
        await app.close()
    if fatal:
        raise fatal[0]


async def _warm_up(app: App) -> None:
    """The first status chart, report check and notice PDF then run in warm time (the chart
    renderer loaded, the worker processes started); a failure here only costs that."""
    try:
        await asyncio.gather(asyncio.to_thread(warm_up), app.cpu.warm())
    except Exception:  # noqa: BLE001 - the work is done (or fails visibly) when asked for
        log.warning("could not warm up the chart renderer and the worker processes", exc_info=True)


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


def _runtimes(app: App, config: Config, delivery: DeliveryLoop, telegram, slack, pace: Pace, give_up) -> list:
    runtimes = []
    if telegram is not None:
        runtimes.append(TelegramRuntime(app, telegram, config.telegram, delivery.wake, pace.poll_timeout,
                                        pace.poll_backoff, on_fatal=give_up))
    if slack is not None:
        runtimes.append(SlackRuntime(app, slack, config.slack, delivery.wake))
    return runtimes
