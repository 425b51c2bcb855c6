"""`followup inbox`: the updates and requests the bot stored but set aside because it could not
read them (quarantined), so an operator sees what was never acted on and why."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.cli.common import load_or_exit
from bot.cli.options import config_option
from bot.config import Config
from bot.reader import reading
from handlers.translatable import Nn_, Text
from storage.inbox import InboxEntry

_SET_ASIDE = Nn_("%(count)s update set aside, never acted on:", "%(count)s updates set aside, never acted on:")


@click.command()
@config_option
def inbox(config_file: Path | None) -> None:
    """Updates set aside because they could not be read: platform, id, when, why."""
    for line in report(asyncio.run(_quarantined(load_or_exit(config_file)))):
        click.echo(line)


async def _quarantined(config: Config) -> list[InboxEntry]:
    async with reading(config) as reader, reader.store.unit_of_work() as uow:
        return await uow.inbox.quarantined()


def report(entries: list[InboxEntry]) -> list[str]:
    if not entries:
        return ["Nothing set aside: every stored update could be read."]
    lines = [str(Text.counted(_SET_ASIDE, len(entries), count=len(entries))), ""]
    lines.append(f"{'PLATFORM':<9} {'ID':>12}  {'RECEIVED':<23}  {'SET ASIDE':<23}  WHY")
    for e in entries:
        lines.append(f"{e.platform.value:<9} {e.update_id:>12}  {e.received_at:%Y-%m-%d %H:%M:%S} UTC  "
                     f"{e.quarantined_at:%Y-%m-%d %H:%M:%S} UTC  {e.quarantine_reason}")
    return lines
