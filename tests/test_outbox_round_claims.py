"""A round of the outbox claims every free slot in one unit of work (bot/outbox/dispatcher.py).

Why: claiming one chat at a time opened a transaction per claim, gave way to the loop before
each, and after the last one claimed once more in vain; in a burst that was most of the
outbox's trips to SQLite's thread. A round that finds nothing due writes nothing, so it
neither commits nor waits for an fsync.
"""

from __future__ import annotations

import sqlite3

import pytest

from bot.app import App
from bot.config import Config
from handlers.model import OutgoingMessage, Platform
from storage.outbox import Outbox
from storage.sqlite import path_from_url
from tests.conftest import deliver_until_done, outbox_table, post_example
from tests.fakes import FakeClock

CHATS = ["console-1", "console-2", "console-3", "console-4"]


async def test_four_chats_owed_a_message_are_claimed_together_and_an_idle_round_writes_nothing(
    app: App, config: Config, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit_id = await post_example(app, config, Platform.CONSOLE)
    await deliver_until_done(app, clock)
    async with app.store.unit_of_work() as uow:
        for chat in CHATS:
            await uow.outbox.add(OutgoingMessage(Platform.CONSOLE, chat, "visit_summary", {"visit_id": visit_id}, "en"))
        await uow.commit()
    claimed_in: dict[str, int] = {}
    claim_due = Outbox.claim_due

    async def noted(outbox: Outbox, *args, **kwargs):
        claims = await claim_due(outbox, *args, **kwargs)
        for claim in claims:
            claimed_in[claim.message.destination] = id(outbox._tx)  # noqa: SLF001
        return claims

    monkeypatch.setattr(Outbox, "claim_due", noted)
    assert app.dispatcher.at_once == len(CHATS)

    assert await app.dispatcher.deliver_pending() == len(CHATS)
    assert sorted(claimed_in) == CHATS and len(set(claimed_in.values())) == 1

    with sqlite3.connect(path_from_url(config.storage.url)) as db:
        before = db.execute("PRAGMA data_version").fetchone()
        assert await app.dispatcher.deliver_pending() == 0
        assert db.execute("PRAGMA data_version").fetchone() == before  # nobody else committed


async def test_a_chat_owed_several_messages_has_its_queue_read_once_a_delivery(
    app: App, config: Config, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claimed one at a time, each claim read every queued row again and a round's last claim
    found nothing: two reads of a burst's hundred queued decisions per delivery."""
    visit_id = await post_example(app, config, Platform.CONSOLE)
    await deliver_until_done(app, clock)
    owed = 5
    async with app.store.unit_of_work() as uow:
        for _ in range(owed):
            summary = OutgoingMessage(Platform.CONSOLE, CHATS[0], "visit_summary", {"visit_id": visit_id}, "en")
            await uow.outbox.add(summary)
        await uow.commit()
    reads = []
    due_rows = Outbox._due_rows  # noqa: SLF001

    async def counted(outbox: Outbox, *args, **kwargs):
        reads.append(args)
        return await due_rows(outbox, *args, **kwargs)

    monkeypatch.setattr(Outbox, "_due_rows", counted)

    assert await app.dispatcher.deliver_pending() == owed
    assert len(reads) == owed + 1  # the last finds the queue empty


async def test_a_delivered_message_is_marked_sent_in_the_transaction_of_the_next_claim(
    app: App, config: Config, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marked in a transaction of its own, each delivery cost two commits (two fsyncs, two trips
    to SQLite's thread from the loop the taps are answered on): the claim, then the mark. The
    mark now rides with the chat's next claim, and the last with a transaction that claims
    nothing more; every message is still marked sent when the round ends."""
    visit_id = await post_example(app, config, Platform.CONSOLE)
    await deliver_until_done(app, clock)
    owed = 4
    async with app.store.unit_of_work() as uow:
        queued = [(await uow.outbox.add(OutgoingMessage(Platform.CONSOLE, CHATS[0], "visit_summary",
                                                        {"visit_id": visit_id}, "en"))).id for _ in range(owed)]
        await uow.commit()
    claimed: dict[int, object] = {}  # message id -> its transaction (kept, so no id of one is reused)
    marked: dict[int, object] = {}
    claim_due, mark_sent = Outbox.claim_due, Outbox.mark_sent

    async def noted_claims(outbox: Outbox, *args, **kwargs):
        claims = await claim_due(outbox, *args, **kwargs)
        claimed.update({claim.message.id: outbox._tx for claim in claims})  # noqa: SLF001
        return claims

    async def noted_marks(outbox: Outbox, message_id: int, *args, **kwargs):
        marked[message_id] = outbox._tx  # noqa: SLF001
        await mark_sent(outbox, message_id, *args, **kwargs)

    monkeypatch.setattr(Outbox, "claim_due", noted_claims)
    monkeypatch.setattr(Outbox, "mark_sent", noted_marks)

    assert await app.dispatcher.deliver_pending() == owed
    assert list(claimed) == queued and list(marked) == queued
    assert all(marked[m] is claimed[n] for m, n in zip(queued, queued[1:]))
    assert all(marked[queued[-1]] is not tx for tx in claimed.values())
    assert all(row["sent_at"] is not None for row in outbox_table(app) if row["id"] in queued)
