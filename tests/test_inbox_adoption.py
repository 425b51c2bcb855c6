"""Stored updates held by the replica that stored them, and adopted by another once nobody
holds them (storage/inbox.py `adopt`, bot/chat/adoption.py), on both engines: a live holder's
updates are never taken, a lapsed or dead holder's are taken by exactly one of three replicas
taking at once, oldest first, and a handled update is never taken again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.chat.adoption import Holdings
from handlers.model import Platform
from storage.inbox import Hold
from tests.fakes import FakeClock
from tests.store_engines import another, postgres_url, store  # noqa: F401  (fixtures)
from tests.test_store import T0

LEASE = timedelta(seconds=30)
LATER = T0 + LEASE + timedelta(seconds=1)
TELEGRAM = Platform.TELEGRAM


async def stored(store, *update_ids: int, holder: str | None = "killed", at=T0) -> None:
    """Updates of one chat each (chat = update id % 3), held by `holder` from `at`."""
    hold = None if holder is None else Hold(holder, at + LEASE)
    async with store.unit_of_work() as uow:
        for update_id in update_ids:
            payload = {"update_id": update_id, "message": {"chat": {"id": update_id % 3}}}
            assert await uow.inbox.add(TELEGRAM, update_id, payload, at, hold)
        await uow.commit()


async def adopt(store, by: str, now=LATER, dead=(), limit: int = 100) -> list[int]:
    async with store.unit_of_work() as uow:
        taken = await uow.inbox.adopt(TELEGRAM, now, Hold(by, now + LEASE), dead, limit)
        await uow.commit()
    return [entry.update_id for entry in taken]


async def test_a_live_holders_updates_are_not_adopted_until_its_lease_runs_out(store) -> None:
    await stored(store, 1, 2)
    assert await adopt(store, "survivor", now=T0 + LEASE - timedelta(seconds=1)) == []
    assert await adopt(store, "survivor", now=T0 + LEASE) == [1, 2]
    assert await adopt(store, "another", now=T0 + LEASE) == []  # the survivor holds them now


async def test_a_renewed_lease_keeps_the_updates_its_holders(store) -> None:
    await stored(store, 1, 2)
    async with store.unit_of_work() as uow:
        await uow.inbox.renew(TELEGRAM, [1], Hold("killed", LATER + LEASE))
        await uow.inbox.renew(TELEGRAM, [2], Hold("not its holder", LATER + LEASE))
        await uow.commit()
    assert await adopt(store, "survivor") == [2]


async def test_a_dead_holders_updates_are_adopted_at_once(store) -> None:
    await stored(store, 1)
    await stored(store, 2, holder="alive")
    async with store.unit_of_work() as uow:
        assert sorted(await uow.inbox.holders(TELEGRAM, T0)) == ["alive", "killed"]
    assert await adopt(store, "survivor", now=T0, dead=["killed"]) == [1]


async def test_handled_or_quarantined_updates_are_never_adopted(store) -> None:
    await stored(store, 1, 2, 3, 4)
    await stored(store, 5, 6, holder=None)  # stored before leases: adoptable at once
    async with store.unit_of_work() as uow:
        await uow.inbox.mark_all_handled(TELEGRAM, [1, 3, 5], T0)
        await uow.inbox.quarantine(TELEGRAM, 4, T0, "unreadable")
        assert await uow.inbox.holders(TELEGRAM, T0) == ["killed"]  # marking let go of 1 and 3
        await uow.commit()
    assert await adopt(store, "survivor", now=T0) == [6]
    assert await adopt(store, "survivor", now=T0, dead=["killed"]) == [2]
    assert await adopt(store, "another") == [2, 6]  # the survivor's lease ran out


async def test_three_replicas_adopting_at_once_take_each_update_once_oldest_first(store) -> None:
    updates = list(range(1, 61))
    await stored(store, *updates)
    stores = [store, await another(store), await another(store)]
    taken: dict[str, list[int]] = {}

    async def sweep(replica, name: str) -> None:
        taken[name] = []
        while page := await adopt(replica, name, limit=7):
            taken[name].extend(page)
            await asyncio.sleep(0)

    try:
        await asyncio.gather(*(sweep(r, f"survivor-{n}") for n, r in enumerate(stores)))
    finally:
        for other in stores[1:]:
            await other.close()
    everything = [update for pages in taken.values() for update in pages]
    assert sorted(everything) == updates  # each exactly once
    for pages in taken.values():
        assert pages == sorted(pages)  # each replica took them oldest first: a chat's in its order


async def test_a_runtime_never_adopts_what_it_still_holds(store) -> None:
    """Its own lease lapsed (the clock jumped mid-handling): leased afresh, not handed out twice."""
    mine = Holdings(store, TELEGRAM, "me", FakeClock(T0), LEASE)
    await stored(store, 1, holder="me")
    await stored(store, 2)
    mine.keep(1)
    mine.clock.advance(seconds=(LATER - T0).total_seconds())
    assert [entry.update_id async for entry in mine.take()] == [2]
    assert await adopt(store, "another") == []  # both are held again, until LATER + LEASE
