"""A field the inspector typed is kept through a SIGKILL: killed right after the autosave
committed, the restarted bot shows it; killed just before, nothing of it is kept and saving it
again works. The bot runs in a process of its own (tests/bot_process.py) with its web server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3

import aiohttp
import pytest

from bot.app import build_app
from bot.config import Storage, Web, load_config
from bot.web.form_links import mint_form_token
from bot.web.links import LinkSigner
from handlers.commands import ImportOrders, OpenVisitForm
from handlers.model import Role
from tests.bot_process import FileClock
from tests.conftest import EXAMPLE_CONFIG, actor
from tests.crash_world import START, Forks
from tests.fakes import FakeClock
from tests.slack_world import free_port
from tests.test_visit_form import ORDER

SECRET = "c" * 40
SAVE = "UPDATE visit_drafts"


@pytest.fixture
async def bot(tmp_path):
    """Starts the bot with its web server (dying at a commit when told) and gives the form's URL."""
    port = free_port()
    config = load_config(EXAMPLE_CONFIG).model_copy(update={
        "storage": Storage(url=f"sqlite:///{tmp_path / 'db' / 'followup.sqlite3'}"),
        "web": Web(port=port, public_url=f"http://127.0.0.1:{port}")})
    app = await build_app(config, FakeClock(START))
    assert (await app.bus.handle(ImportOrders((ORDER,), False), actor(config, Role.BUYER))).ok
    draft_id = (await app.bus.handle(OpenVisitForm(ORDER.reference), actor(config, Role.INSPECTOR))).params["draft_id"]
    await app.close()
    FileClock(tmp_path / "clock").set(START)
    (tmp_path / "config.json").write_text(config.model_dump_json(), encoding="utf-8")
    url = f"http://127.0.0.1:{port}/v/{mint_form_token(LinkSigner(SECRET.encode()), draft_id, START, 14)}"
    forks, pids = Forks(), []

    async def start(die: dict | None = None) -> int:
        order = {"config": str(tmp_path / "config.json"), "clock": str(tmp_path / "clock"),
                 "log": str(tmp_path / "bot.log"), "web_secret": SECRET, **({"die": die} if die else {})}
        pids.append(forks.start(order))
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(url) as page:
                        if page.status == 200:
                            return pids[-1]
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError((tmp_path / "bot.log").read_text(encoding="utf-8"))

    try:
        yield start, url, tmp_path / "db" / "followup.sqlite3"
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        forks.close()


def progress(db) -> dict:
    with sqlite3.connect(db) as connection:
        return json.loads(connection.execute("SELECT report FROM visit_drafts").fetchone()[0])["progress"]


async def autosave(url: str, value: str) -> int | None:
    """The field posted as the form's script posts it; None when the bot died answering."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(url + "/field", data={"path": "progress.counted_complete", "value": value}) as a:
                return a.status
        except aiohttp.ClientError:
            return None


async def test_a_field_saved_just_before_a_kill_is_there_after_the_restart(bot) -> None:
    start, url, db = bot
    await start(die={"sql": SAVE, "when": "after"})
    assert await autosave(url, "2880") is None, "killed before it answered"
    assert progress(db) == {"counted_complete": 2880}
    await start()
    async with aiohttp.ClientSession() as session, session.get(url) as page:
        assert 'name="progress.counted_complete" form="f-progress" value="2880"' in await page.text()


async def test_a_field_killed_before_its_commit_is_not_half_kept_and_saves_again(bot) -> None:
    start, url, db = bot
    await start(die={"sql": SAVE, "when": "before"})
    assert await autosave(url, "2880") is None
    assert progress(db) == {}
    await start()
    assert await autosave(url, "2880") == 200
    assert progress(db) == {"counted_complete": 2880}
