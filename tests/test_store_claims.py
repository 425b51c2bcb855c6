"""Claims and counters under per-key locks, not one lock for the store (docs/claims.md), on
both engines.

Several replicas share one PostgreSQL database; the units of work that claim outbox
messages, keep their bookkeeping, store inbound updates and number things each take the
locks of what they read and then change, and nothing more. These tests run three stores on one database,
as three replicas, side by side: each message is claimed exactly once, a chat's messages go
in order and one at a time, numbers are never issued twice. On SQLite the same tests hold by
BEGIN IMMEDIATE; the ones about not waiting are PostgreSQL's only, since there every SQLite
writer does wait.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import timedelta

from handlers.model import Platform
from storage.postgres import PostgresStore
from tests.store_engines import another, emptied, postgres_url, store  # noqa: F401  (fixtures)
from tests.test_store import DEADLINE, LEASE, POSTED, T0, TELEGRAM, add_visit, message, owe

CHATS, PER_CHAT = 30, 10
FUTURE = T0 + timedelta(days=365)  # sent at T0, so "on its way" since then means unsent
BOUND = 60  # seconds: a generous bound on a wait that must not happen, not a timing claim


async def claim(store, by: str, now=T0, skip=frozenset()):
    async with store.unit_of_work() as uow:
        claimed = await uow.outbox.claim_next(TELEGRAM, now, by, now + LEASE, skip)
        await uow.commit()
    return claimed


async def replicas(store) -> list:
    return [store, await another(store), await another(store)]


async def close_others(stores: list) -> None:
    for other in stores[1:]:
        await other.close()


async def test_three_replicas_deliver_an_outbox_of_many_chats_each_message_once_in_order(store) -> None:
    """300 messages over 30 chats, three replicas claiming and marking sent side by side:
    each message is claimed once; when it is claimed, every earlier message of its chat is
    already sent (so never two of a chat at once, never out of order)."""
    await owe(store, *(f"chat-{n % CHATS}" for n in range(CHATS * PER_CHAT)))
    stores = await replicas(store)
    claimed: dict[int, str] = {}
    by_chat: dict[str, list[int]] = defaultdict(list)
    earlier_unsent: list[int] = []
    shuffle = random.Random(18)

    async def deliver(replica, name: str) -> None:
        while True:
            async with replica.unit_of_work() as uow:
                taken = await uow.outbox.claim_next(TELEGRAM, T0, name, T0 + LEASE)
                if taken is None:
                    return
                message = taken.message
                unsent = await uow.outbox.on_its_way(Platform.TELEGRAM, message.destination, message.kind, FUTURE)
                earlier_unsent.extend(m.id for m in unsent if m.id < message.id)
                await uow.commit()
            assert claimed.setdefault(message.id, name) == name, f"message {message.id} claimed twice"
            by_chat[message.destination].append(message.id)
            for _ in range(shuffle.randrange(3)):
                await asyncio.sleep(0)  # another replica's turn, as a send would give it
            async with replica.unit_of_work() as uow:
                await uow.outbox.mark_sent(message.id, T0, f"{name}:{message.id}")
                await uow.commit()

    try:
        await asyncio.wait_for(asyncio.gather(*(deliver(r, f"replica-{n}") for n, r in enumerate(stores))),
                               BOUND * 5)
    finally:
        await close_others(stores)
    assert sorted(claimed) == list(range(1, CHATS * PER_CHAT + 1))
    assert earlier_unsent == []
    assert all(ids == sorted(ids) for ids in by_chat.values())
    async with store.unit_of_work() as uow:
        assert await uow.outbox.pending(limit=-1) == []


async def test_a_dead_replicas_claim_is_taken_over_after_its_lease_not_before(store) -> None:
    (owed,) = await owe(store, "A")
    dying = await another(store)
    assert (await claim(dying, "replica-a")).message.id == owed.id
    await dying.close()  # its connections gone, its claim still recorded
    assert await claim(store, "replica-b", T0 + LEASE - timedelta(seconds=1)) is None
    assert (await claim(store, "replica-b", T0 + LEASE)).message.id == owed.id


async def test_the_next_slack_number_is_issued_once_under_concurrent_requests(store) -> None:
    stores = await replicas(store)

    async def keep(replica, n: int) -> int | None:
        async with replica.unit_of_work() as uow:
            number = await uow.inbox.add_keyed(Platform.SLACK, f"k{n}", {"key": f"k{n}"}, T0)
            await uow.commit()
        return number

    try:
        numbers = await asyncio.gather(*(keep(stores[n % 3], n) for n in range(30)))
    finally:
        await close_others(stores)
    assert sorted(numbers) == list(range(1, 31))


async def test_notice_numbers_are_issued_once_under_concurrent_issuance(store) -> None:
    visit_id = await add_visit(store)
    stores = await replicas(store)

    async def issue(replica) -> str:
        async with replica.unit_of_work() as uow:
            notice = await uow.notices.add(visit_id, "ningbo-1", "PO-2026-0142", [], POSTED, DEADLINE)
            await uow.commit()
        return notice.number

    try:
        numbers = await asyncio.gather(*(issue(stores[n % 3]) for n in range(15)))
    finally:
        await close_others(stores)
    assert sorted(numbers) == [f"CN-2026-{seq:04d}" for seq in range(1, 16)]


# --- PostgreSQL only: what does not wait ---------------------------------------------------


async def opened(postgres_url: str) -> list[PostgresStore]:  # noqa: F811
    await emptied(postgres_url)
    return [await PostgresStore.open(postgres_url) for _ in range(2)]


async def test_a_claim_does_not_wait_for_work_in_progress_on_postgres(postgres_url: str) -> None:  # noqa: F811
    """A unit of work that wrote is held open; another replica's claim and its bookkeeping
    go through meanwhile (there is no lock for the whole store)."""
    first, second = await opened(postgres_url)
    try:
        await owe(first, "A")
        async with first.unit_of_work() as holding:
            await holding.outbox.add(message("B"))
            taken = await asyncio.wait_for(claim(second, "replica-b"), BOUND)
            async with second.unit_of_work() as uow:
                await asyncio.wait_for(uow.outbox.mark_sent(taken.message.id, T0, "A:1"), BOUND)
                await uow.commit()
            await holding.commit()
        assert taken.message.destination == "A"
    finally:
        await first.close()
        await second.close()


async def test_a_chat_being_claimed_is_passed_over_and_another_claimed_meanwhile_on_postgres(
        postgres_url: str) -> None:  # noqa: F811
    """SKIP LOCKED's behaviour: a claim in progress on one chat (its transaction open) holds up
    neither another replica nor another chat; that chat is simply not claimed twice."""
    first, second = await opened(postgres_url)
    try:
        a1, b1 = await owe(first, "A", "B")
        async with first.unit_of_work() as claiming:
            assert (await claiming.outbox.claim_next(TELEGRAM, T0, "replica-a", T0 + LEASE)).message.id == a1.id
            other = await asyncio.wait_for(claim(second, "replica-b"), BOUND)
            assert other.message.id == b1.id
            assert await asyncio.wait_for(claim(second, "replica-b"), BOUND) is None
            await claiming.commit()
    finally:
        await first.close()
        await second.close()


async def test_a_chat_with_a_message_being_added_is_not_claimed_until_it_commits_on_postgres(
        postgres_url: str) -> None:  # noqa: F811
    """Ids come from a sequence and may commit out of order: while a message to a chat is
    being added, that chat's queue is not claimed from, so a later message never overtakes
    an earlier one that was not yet committed."""
    first, second = await opened(postgres_url)
    try:
        (a1,) = await owe(first, "A")
        async with first.unit_of_work() as adding:
            await adding.outbox.add(message("A"))
            assert await asyncio.wait_for(claim(second, "replica-b"), BOUND) is None
            await adding.commit()
        assert (await claim(second, "replica-b")).message.id == a1.id
    finally:
        await first.close()
        await second.close()


async def test_work_on_different_chats_proceeds_side_by_side_on_postgres(postgres_url: str) -> None:  # noqa: F811
    """Two replicas' units of work add to different chats, the first held open
    while the second commits: nothing global orders them."""
    first, second = await opened(postgres_url)
    try:
        async with first.unit_of_work() as held:
            await held.outbox.add(message("A"))
            await held.inbox.add(Platform.TELEGRAM, 1, {"update_id": 1}, T0)
            async with second.unit_of_work() as uow:
                await asyncio.wait_for(uow.outbox.add(message("B")), BOUND)
                await asyncio.wait_for(uow.inbox.add(Platform.TELEGRAM, 2, {"update_id": 2}, T0), BOUND)
                await asyncio.wait_for(uow.commit(), BOUND)
            await held.commit()
        async with first.unit_of_work() as uow:
            assert [m.destination for m in await uow.outbox.pending()] == ["A", "B"]
    finally:
        await first.close()
        await second.close()
