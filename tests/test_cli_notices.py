"""`followup notices`: an operator sees every notice and where it stands, from the database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from bot.cli.followup import main
from handlers.chasing import chase
from handlers.commands import AcknowledgeNotice, CommitToDate, ReportDone, VerifyInstruction
from handlers.model import Role
from tests.conftest import actor, example_config_file
from tests.test_chasing import SENT_AT, send_the_example_notice


def config_file(tmp_path: Path, config) -> Path:
    return example_config_file(tmp_path / "followup.toml", config.storage.url)


async def cli(clock, *args: str):
    """The real CLI, in a thread (it runs its own event loop), at the test's moment."""
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), obj={"clock": clock})


async def test_notices_lists_reminders_answers_and_work_done(app, config, clock, tmp_path) -> None:
    clock.moment = SENT_AT
    notice_id = await send_the_example_notice(app, config)
    clock.moment = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # reminded Thursday morning, escalated at 48 h
    await chase(app.store, clock, app.settings)
    factory, buyer = actor(config, Role.FACTORY), actor(config, Role.BUYER)
    await app.bus.handle(AcknowledgeNotice(notice_id), factory)
    async with app.store.unit_of_work() as uow:
        first, second, *_ = await uow.instructions.for_notice(notice_id)
    await app.bus.handle(CommitToDate(first.id, "2026-11-28"), factory)
    await app.bus.handle(ReportDone(first.id, photos=("a" * 64,)), factory)
    await app.bus.handle(VerifyInstruction(first.id), buyer)
    await app.bus.handle(ReportDone(second.id, photos=("b" * 64,)), factory)
    await app.close()

    path = str(config_file(tmp_path, config))
    result = await cli(clock, "notices", "--json", "--config", path)
    assert result.exit_code == 0, result.output
    (listed,) = json.loads(result.output)
    assert {k: listed[k] for k in ("number", "version", "order", "factory", "state", "reminders", "escalated")} == {
        "number": "CN-2026-0001", "version": 1, "order": "PO-2026-0142", "factory": "NB-EVERGREEN",
        "state": "acknowledged", "reminders": 1, "escalated": True}
    assert (listed["sent_at"], listed["acknowledge_by"], listed["acknowledged_at"]) == (
        "2026-11-24T11:00:00+00:00", "2026-11-25T11:00:00+00:00", "2026-11-26T11:00:00+00:00")
    assert listed["answered_by"] == "factory/NB-EVERGREEN:Li Wei"
    assert listed["instructions"] == {"total": 7, "overdue": 0, "done": 1, "verified": 1, "reopened": 0}

    text = (await cli(clock, "notices", "--config", path)).output
    assert text.splitlines() == [
        "CN-2026-0001 v1  PO-2026-0142  Ningbo Evergreen Homeware Co., Ltd.",
        "  sent 24 Nov 2026, 11:00 UTC by Anna Schmidt · acknowledged 26 Nov 2026, 11:00 UTC by Li Wei",
        "  reminders 1 · escalated to the buyer · instructions 7: 0 overdue, 1 done awaiting verification,"
        " 1 verified, 0 reopened",
    ]
    assert (await cli(clock, "notices", "--factory", "SZ-OTHER", "--config", path)).output == "No notices.\n"
