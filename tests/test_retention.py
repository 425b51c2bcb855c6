"""Handled chat updates are forgotten after `[retention] updates_days`: at start, then daily by
the bot's clock. Never an update not yet handled or set aside, never a platform's newest
(Telegram's next offset and Slack's numbering count on from it), and never a handled-update
key an update still waiting may need.

Why: the inbox and the handled-update keys were kept for ever, growing with every update.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest

from bot.retention import RetentionLoop
from handlers.model import Platform
from storage import open_store
from storage.sqlite import path_from_url
from tests.store_engines import postgres_url, raw, store  # noqa: F401 (fixtures)

TELEGRAM, SLACK = Platform.TELEGRAM, Platform.SLACK


async def seed(store, now) -> None:
    """Telegram 1 old and handled, 2 old and set aside, 3 handled yesterday, 4 old, handled,
    newest; Slack 1 old and handled, 2 received 35 days ago and waiting, 3 old, handled, newest."""
    def days(n: int):
        return now - timedelta(days=n)

    async with store.unit_of_work() as uow:
        for update_id in (1, 2, 3, 4):
            await uow.inbox.add(TELEGRAM, update_id, {"update_id": update_id}, days(40))
        await uow.inbox.mark_handled(TELEGRAM, 1, days(40))
        await uow.inbox.quarantine(TELEGRAM, 2, days(40), "unreadable")
        await uow.inbox.mark_handled(TELEGRAM, 3, days(1))
        await uow.inbox.mark_handled(TELEGRAM, 4, days(40))
        for key, received in (("event:a", 40), ("event:b", 35), ("event:c", 40)):
            await uow.inbox.add_keyed(SLACK, key, {"key": key}, days(received))
        await uow.inbox.mark_handled(SLACK, 1, days(40))
        await uow.inbox.mark_handled(SLACK, 3, days(40))
        await uow.updates.remember("telegram:1", {}, days(40))  # before Slack 2 arrived
        await uow.updates.remember("slack:view:V1", {}, days(34))  # after: Slack 2 may need it
        await uow.updates.remember("telegram:3", {}, days(1))
        await uow.commit()


async def logged(caplog: pytest.LogCaptureFixture, logger: str, count: int = 1) -> list[logging.LogRecord]:
    """The first `count` records of `logger`, once there are that many (however long it takes here)."""
    async def enough() -> list[logging.LogRecord]:
        while len(records := [r for r in caplog.records if r.name == logger]) < count:
            await asyncio.sleep(0.01)
        return records[:count]
    return await asyncio.wait_for(enough(), 30)


async def test_handled_updates_are_pruned_at_start_and_daily_but_never_waiting_set_aside_or_newest(
        config, clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.retention")
    store = await open_store(config.storage.url)
    await seed(store, clock.now())
    loop = RetentionLoop(store, clock, keep_days=30, tick=0.01)
    loop.start()
    try:
        first = (await logged(caplog, "bot.retention"))[0].getMessage()
        assert "inbox rows: slack 1, telegram 1; handled-update keys: 1" in first
        assert inbox_of(config) == {(TELEGRAM, 2), (TELEGRAM, 3), (TELEGRAM, 4), (SLACK, 2), (SLACK, 3)}
        assert keys_of(config) == {"slack:view:V1", "telegram:3"}
        async with store.unit_of_work() as uow:  # numbering goes on from the newest kept
            assert await uow.inbox.next_offset(TELEGRAM) == 5
            assert await uow.inbox.add_keyed(SLACK, "event:d", {"key": "event:d"}, clock.now()) == 4
            await uow.inbox.mark_handled(SLACK, 2, clock.now())  # the waiting one is handled now
            await uow.inbox.mark_handled(SLACK, 4, clock.now())
            await uow.commit()

        clock.advance(days=31)  # the next day's prune is due, and yesterday's rows are old now
        second = (await logged(caplog, "bot.retention", 2))[1].getMessage()
        assert "inbox rows: slack 2, telegram 1; handled-update keys: 2" in second
        assert inbox_of(config) == {(TELEGRAM, 2), (TELEGRAM, 4), (SLACK, 4)}
        assert keys_of(config) == set()
    finally:
        await loop.stop()
        await store.close()


def inbox_of(config) -> set[tuple[Platform, int]]:
    return {(Platform(platform), update_id) for platform, update_id in read(config, "SELECT platform, update_id FROM inbox")}


def keys_of(config) -> set[str]:
    return {key for (key,) in read(config, "SELECT key FROM handled_updates")}


def read(config, sql: str) -> list[tuple]:
    """What is stored, read (or, to make trouble, changed) beside the store."""
    with closing(sqlite3.connect(path_from_url(config.storage.url))) as db, db:
        return db.execute(sql).fetchall()


async def test_a_failed_prune_is_logged_and_tried_again_at_the_next_tick(
        config, clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    store = await open_store(config.storage.url)
    await seed(store, clock.now())
    read(config, "CREATE TRIGGER refused BEFORE DELETE ON inbox BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
    loop = RetentionLoop(store, clock, keep_days=30, tick=0.01)
    loop.start()
    try:
        failed = (await logged(caplog, "bot.background"))[0]
        assert failed.getMessage() == "retention round failed; trying again at the next tick"
        assert "disk trouble" in str(failed.exc_info[1])
        assert (TELEGRAM, 1) in inbox_of(config)  # nothing pruned, the transaction rolled back

        read(config, "DROP TRIGGER refused")  # the trouble passes: the next tick prunes
        await logged(caplog, "bot.retention")
        assert (TELEGRAM, 1) not in inbox_of(config)
    finally:
        await loop.stop()
        await store.close()


async def test_the_prune_keeps_the_keys_a_waiting_update_may_need_on_either_engine(store, clock) -> None:  # noqa: F811
    """The same statement on SQLite and PostgreSQL (it once used SQLite's two-argument MIN,
    which PostgreSQL lacks: every replica's daily prune failed there)."""
    await seed(store, clock.now())
    async with store.unit_of_work() as uow:
        forgotten = await uow.updates.prune(clock.now() - timedelta(days=30))
        await uow.commit()
    assert forgotten == 1
    assert {key for (key,) in await raw(store, "SELECT key FROM handled_updates")} == {"slack:view:V1", "telegram:3"}
