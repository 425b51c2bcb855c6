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
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_VISIT, actor
from tests.crash_world import START, Forks, gone
from tests.fakes import FakeClock
from tests.slack_world import free_port
from tests.test_visit_form import COUNTS, FINDING, ORDER

pytestmark = pytest.mark.long_story(seconds=20)  # handed out first (tests/conftest.py)

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


SUBMIT = "UPDATE visit_drafts SET submitted_at"
PHOTO = EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg"


async def post(url: str, route: str, data) -> tuple[int, str] | None:
    """A form posted as the page posts it; None when the bot died answering."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(url + route, data=data) as answer:
                return answer.status, await answer.text()
        except aiohttp.ClientError:
            return None


async def fill_a_visit_to_post(url: str) -> None:
    """Counts and one finding with its photo: a visit the checks let through."""
    assert (await post(url, "/add", {"section": "findings"}))[0] == 200
    photo = aiohttp.FormData()
    photo.add_field("item", "findings.0")
    photo.add_field("photo", PHOTO.read_bytes(), filename=PHOTO.name, content_type="image/jpeg")
    assert (await post(url, "/photo", photo))[0] == 200
    for path, value in {**COUNTS, **FINDING}.items():
        assert (await post(url, "/field", {"path": path, "value": value}))[0] == 200


def posted(db) -> tuple[int, int, int]:
    """Visits stored, drafts marked posted, and the audit's record of each post (the bot here
    has no chat to tell: the outbox's own crash stories cover the telling)."""
    with sqlite3.connect(db) as connection:
        return (connection.execute("SELECT COUNT(*) FROM visits").fetchone()[0],
                connection.execute("SELECT COUNT(*) FROM visit_drafts WHERE visit_id IS NOT NULL").fetchone()[0],
                connection.execute("SELECT COUNT(*) FROM audit_events WHERE entity = 'visit' AND action = 'post'"
                                   ).fetchone()[0])


async def stop(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    await gone(pid)


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_post_killed_at_its_commit_is_posted_once_or_not_at_all_and_the_inspector_can_finish(
        bot, when: str) -> None:
    start, url, db = bot
    await stop(await start())
    await start(die={"sql": SUBMIT, "when": when})
    await fill_a_visit_to_post(url)
    assert await post(url, "/submit", {}) is None, "killed before it answered"
    assert posted(db) == ((0, 0, 0) if when == "before" else (1, 1, 1)), "the whole post, or nothing of it"
    await start()
    status, page = await post(url, "/submit", {})  # the inspector taps Post again
    assert status == 200 and ("already posted" in page) == (when == "after"), page
    assert posted(db) == (1, 1, 1), "one visit, posted once"


async def test_a_photo_killed_at_its_commit_is_kept_whole_or_taken_again(bot) -> None:
    start, url, db = bot
    await start(die={"sql": SAVE, "when": "after"})
    assert (await post(url, "/add", {"section": "findings"})) is None, "the add is the first save: killed"
    await start(die={"sql": SAVE, "when": "before"})
    photo = aiohttp.FormData()
    photo.add_field("item", "findings.0")
    photo.add_field("photo", PHOTO.read_bytes(), filename=PHOTO.name, content_type="image/jpeg")
    assert await post(url, "/photo", photo) is None
    with sqlite3.connect(db) as connection:
        assert json.loads(connection.execute("SELECT report FROM visit_drafts").fetchone()[0])["findings"] == [{}]
    await start()
    photo = aiohttp.FormData()
    photo.add_field("item", "findings.0")
    photo.add_field("photo", PHOTO.read_bytes(), filename=PHOTO.name, content_type="image/jpeg")
    assert (await post(url, "/photo", photo))[0] == 200
    with sqlite3.connect(db) as connection:
        findings = json.loads(connection.execute("SELECT report FROM visit_drafts").fetchone()[0])["findings"]
    assert len(findings) == 1 and len(findings[0]["photos"]) == 1
