"""`followup outbox`: what the bot still owes people and why, and `followup outbox retry ID`
to send a failed message again once its cause is fixed (the bot added back to the chat, the
channel unarchived …). The running bot picks a requeued message up within seconds.

A message due on a platform that no running bot delivers (a factory's `slack_channel` set, the
bot started without SLACK_BOT_TOKEN) says so: it waits for that, not for a retry. The running
bots tell the store which platforms they deliver (storage/deliverers.py)."""

from __future__ import annotations

import asyncio
import getpass
from datetime import datetime
from pathlib import Path

import click

from bot.cli.common import command_clock, load_or_exit
from bot.cli.options import config_option
from bot.config import Config
from bot.outbox.replica import Replica
from bot.reader import reading
from handlers.clock import Clock
from handlers.delivery import NotRequeued, requeue
from handlers.model import Platform
from handlers.translatable import Nn_, Text
from storage.outbox import Owed

STATES = ("failed", "held", "retrying", "sending", "pending")
_OWED = Nn_("%(count)s message owed: %(states)s", "%(count)s messages owed: %(states)s")
TOKENS = {Platform.TELEGRAM: "TELEGRAM_BOT_TOKEN", Platform.SLACK: "SLACK_BOT_TOKEN"}
# What only `followup run` delivers: the console and the demo show the chats, never post to a
# factory's robot or mail it, so their messages wait for the running bot.
_ROBOTS_RUN = "robots post only under `followup run` (the console and the demo do not)"
ONLY_UNDER_RUN = {
    Platform.WECOM: _ROBOTS_RUN, Platform.DINGTALK: _ROBOTS_RUN, Platform.FEISHU: _ROBOTS_RUN,
    Platform.EMAIL: "mail goes out only under `followup run` with [smtp] set (the console and the demo do not)",
}


@click.group(invoke_without_command=True)
@config_option
@click.pass_context
def outbox(ctx: click.Context, config_file: Path | None) -> None:
    """Messages not delivered yet: failed (and why), held behind a failed one, retrying
    (and when), being sent, or pending."""
    if ctx.invoked_subcommand is None:
        owed, running = asyncio.run(_owed(load_or_exit(config_file), command_clock()))
        for line in report(owed, running):
            click.echo(line)


@outbox.command()
@click.argument("message_id", type=click.IntRange(min=1))
@config_option
@click.pass_context
def retry(ctx: click.Context, message_id: int, config_file: Path | None) -> None:
    """Send message MESSAGE_ID again: one that failed for good, or one waiting for its next
    attempt. The messages held behind it follow in order."""
    config = load_or_exit(config_file or ctx.parent.params["config_file"])
    try:
        message = asyncio.run(_requeue(config, command_clock(), message_id))
    except NotRequeued as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"message {message_id} ({message.kind} to {message.destination} on {message.platform}) requeued;"
               " the running bot sends it within seconds")


async def _owed(config: Config, clock: Clock) -> tuple[list[Owed], set[Platform]]:
    async with reading(config) as reader, reader.store.unit_of_work() as uow:
        return await uow.outbox.owed(clock.now()), await uow.deliverers.running(clock.now())


async def _requeue(config: Config, clock: Clock, message_id: int):
    async with reading(config) as reader, reader.store.unit_of_work() as uow:
        message = await requeue(uow, clock.now(), message_id, f"operator:{getpass.getuser()}")
        await uow.commit()
    return message


def report(owed: list[Owed], running: set[Platform]) -> list[str]:
    """`running`: the platforms some running bot delivers."""
    if not owed:
        return ["Nothing owed: every message is delivered."]
    counts = [f"{n} {state}" for state in STATES if (n := sum(1 for o in owed if o.state == state))]
    lines = [str(Text.counted(_OWED, len(owed), count=len(owed), states=", ".join(counts))), ""]
    lines.append(f"{'ID':>6}  {'STATE':<9} {'PLATFORM':<9} {'DESTINATION':<16} {'KIND':<20} {'TRIES':>5}  WHEN / WHY")
    for o in owed:
        m = o.message
        lines.append(f"{m.id:>6}  {o.state:<9} {m.platform.value:<9} {m.destination:<16} {m.kind:<20} "
                     f"{m.attempts:>5}  {_why(o, running)}".rstrip())
    return lines


def _why(owed: Owed, running: set[Platform]) -> str:
    if owed.state == "failed":
        alerted = f"buyer alerted: {', '.join(map(str, owed.alerts))}" if owed.alerts else "nobody alerted"
        return f"{_moment(owed.failed_at)}  {owed.failure_reason}: {owed.last_error}  [{alerted}]"
    if owed.state == "held":
        return f"behind {owed.behind}"
    if owed.state == "sending" and (claimant := Replica.parse(owed.claimed_by or "")) and claimant.is_dead():
        return f"claimed by process {claimant.pid}, which is gone: the next bot to start sends it"
    why = _not_running(owed.message.platform, running) if owed.state in ("pending", "retrying") else ""
    if owed.next_attempt_at is not None:
        when = "next attempt" if owed.state == "retrying" else "due since"
        why = f"{when} {_moment(owed.next_attempt_at)}  ({owed.last_error})  {why}"
    return why


def _not_running(platform: Platform, running: set[Platform]) -> str:
    if platform in running:
        return ""
    only = ONLY_UNDER_RUN.get(platform)
    if not running:
        return "waits: no bot is running" + (f"; {only}" if only else "")
    if only:
        return f"waits: {only}"
    token = TOKENS.get(platform)
    return f"waits: {platform.value} not running (no running bot has {token})" if token \
        else f"waits: {platform.value} not running"


def _moment(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")
