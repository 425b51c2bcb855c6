"""Updates stored before a stop are all handled at the next start, in order, and one that
cannot be read is set aside (quarantined) for the operator instead of stopping the start.

Why: only the first 100 stored updates were handled at start, and one payload
python-telegram-bot could not read stopped every start.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import build_app
from bot.cli.followup import main
from handlers.model import Platform
from tests.conftest import example_config_file
from tests.telegram_world import BUYER_CHAT, BUYER_ID, running

pytestmark = pytest.mark.usefixtures("direct_to_fakes")
STORED = 102  # more than one page of 100
UNREADABLE = 51


def asked(update_id: int) -> dict:
    """The buyer asking for order PO-<update_id>'s status, as Telegram sends it."""
    person = {"id": BUYER_ID, "is_bot": False, "first_name": "Anna", "language_code": "en"}
    chat = {"id": BUYER_CHAT, "type": "private", "first_name": "Anna"}
    message = {"message_id": update_id, "date": 1_790_000_000, "chat": chat, "from": person,
               "text": f"status PO-{update_id}"}
    return {"update_id": update_id, "message": message}


async def test_every_stored_update_is_handled_in_order_and_an_unreadable_one_is_set_aside(
        config, clock, tmp_path: Path) -> None:
    app = await build_app(config, clock)
    async with app.store.unit_of_work() as uow:
        for update_id in range(1, STORED + 2):
            payload = {"update_id": update_id, "message": {"text": "no chat, no date"}} \
                if update_id == UNREADABLE else asked(update_id)
            await uow.inbox.add(Platform.TELEGRAM, update_id, payload, clock.now())
        await uow.commit()
    await app.close()

    async with running(config, clock) as world:
        await world.settled()
        answers = [m.plain for m in world.chat(BUYER_CHAT)]

    expected = [f"I don't know order PO-{n}." for n in range(1, STORED + 2) if n != UNREADABLE]
    assert answers == expected

    toml = example_config_file(tmp_path / "followup.toml", config.storage.url)
    listing = await asyncio.to_thread(CliRunner().invoke, main, ["inbox", "--config", str(toml)])
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0] == "1 update set aside, never acted on:"
    assert lines[3].split()[:2] == ["telegram", str(UNREADABLE)]
    assert lines[3].endswith("KeyError: 'date'")  # what PTB missed in the payload
