"""The chat adapters' tables (migration 0002), against a real SQLite file: no mocks.

What matters is what survives a crash (an update persisted before it was handled), what a
redelivery does (nothing), that one-time things are used once (invites, pending prompts),
and that nothing of an uncommitted unit of work remains.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import storage.migrate
from handlers.model import BindingVia, Decision, Person, Platform, PlatformAccount, Role
from storage import (
    InboxEntry,
    NotFound,
    RedeemExpired,
    RedeemOk,
    RedeemUnknown,
    RedeemUsed,
    SqliteStore,
)
from storage.migrate import available
from tests.store_engines import INTEGRITY, postgres_url, raw, store  # noqa: F401  (fixtures)

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 3, 3, 9, 15, 30, 123456, tzinfo=SHANGHAI)
TG = Platform.TELEGRAM
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")

ZHANG = Person(name="Zhang Wei", role=Role.FACTORY, factory="ningbo-1", locale="zh", timezone="Asia/Shanghai")
LIU = Person(name="Liu Yang", role=Role.FACTORY, factory="ningbo-1", locale="zh", timezone="Asia/Shanghai")
CHEN = Person(name="Chen Jie", role=Role.FACTORY, factory="suzhou-2", locale="zh")


def bound(person: Person, platform: Platform, user_id: str) -> Person:
    return person.model_copy(update={"bound": PlatformAccount(platform=platform, user_id=user_id)})




async def count(store: SqliteStore, table: str) -> int:
    """What is in the database, read through a second, plain connection."""
    ((rows,),) = await raw(store, f"SELECT COUNT(*) FROM {table}")
    return rows


async def test_a_database_at_the_shipped_schema_is_upgraded_keeping_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "followup.sqlite3"
    with monkeypatch.context() as shipped:
        shipped.setattr(storage.migrate, "available", lambda: available()[:1])
        old = await SqliteStore.open(path)
        async with old.unit_of_work() as uow:
            await uow.updates.remember("telegram:1", {"ok": True}, AT)
            await uow.commit()
        await old.close()

    upgraded = await SqliteStore.open(path)
    try:
        assert await upgraded.schema_version() == available()[-1].version
        async with upgraded.unit_of_work() as uow:
            assert await uow.updates.result_of("telegram:1") == {"ok": True}
            assert await uow.inbox.add(TG, 1, {}, AT) is True
    finally:
        await upgraded.close()


# --- inbox ------------------------------------------------------------------------------


async def test_inbox_round_trip_oldest_first_until_handled(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.inbox.next_offset(TG) is None
        for update_id in (7, 5, 6):
            assert await uow.inbox.add(TG, update_id, {"update_id": update_id, "text": "收到"}, AT) is True
        assert await uow.inbox.add(Platform.SLACK, 900, {}, AT) is True
        await uow.commit()

    async with store.unit_of_work() as uow:
        unhandled = await uow.inbox.unhandled(TG)
        assert unhandled[0] == InboxEntry(TG, 5, {"update_id": 5, "text": "收到"}, AT, None)
        assert unhandled[0].received_at.utcoffset() == timedelta(0)
        assert [e.update_id for e in unhandled] == [5, 6, 7]
        assert [e.update_id for e in await uow.inbox.unhandled(TG, limit=1)] == [5]
        await uow.inbox.mark_handled(TG, 5, AT + timedelta(seconds=1))
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert [e.update_id for e in await uow.inbox.unhandled(TG)] == [6, 7]
        assert await uow.inbox.next_offset(TG) == 8  # handled or not: 5 is still the oldest received
        assert await uow.inbox.next_offset(Platform.SLACK) == 901
        assert await uow.inbox.next_offset(Platform.CONSOLE) is None
        with pytest.raises(NotFound):
            await uow.inbox.mark_handled(TG, 4, AT)


async def test_a_redelivered_update_is_kept_once_and_add_says_so(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.inbox.add(TG, 5, {"text": "first"}, AT) is True
        await uow.inbox.mark_handled(TG, 5, AT)
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.inbox.add(TG, 5, {"text": "again"}, AT + timedelta(minutes=1)) is False
        assert await uow.inbox.unhandled(TG) == []  # the redelivery does not undo the handling
        await uow.commit()
    assert await count(store, "inbox") == 1


async def test_a_polled_batch_is_added_at_once_and_only_its_new_updates_are_named(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.inbox.add(TG, 7, {"text": "first"}, AT)
        await uow.commit()
    batch = {update_id: {"update_id": update_id} for update_id in range(1, 251)}  # more than one statement's worth
    async with store.unit_of_work() as uow:
        added = await uow.inbox.add_all(TG, batch, AT)
        await uow.commit()
    assert added == set(range(1, 251)) - {7}
    async with store.unit_of_work() as uow:
        unhandled = await uow.inbox.unhandled(TG, limit=300)
    assert [entry.update_id for entry in unhandled] == list(range(1, 251))
    assert unhandled[6].payload == {"text": "first"}  # the first copy kept


async def test_an_update_persisted_but_not_handled_before_a_crash_is_unhandled_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "followup.sqlite3"
    store = await SqliteStore.open(path)
    async with store.unit_of_work() as uow:
        await uow.inbox.add(TG, 41, {"update_id": 41}, AT)
        await uow.commit()
    await store.close()  # the crash: nothing handled it

    reopened = await SqliteStore.open(path)
    try:
        async with reopened.unit_of_work() as uow:
            assert [e.payload for e in await uow.inbox.unhandled(TG)] == [{"update_id": 41}]
            assert await uow.inbox.next_offset(TG) == 42
    finally:
        await reopened.close()


# --- callback tokens --------------------------------------------------------------------


async def test_a_token_is_short_url_safe_reused_for_the_same_button_and_resolves(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        approve = await uow.tokens.mint("approve", 12, AT)
        again = await uow.tokens.mint("approve", 12, AT + timedelta(hours=1))
        reject = await uow.tokens.mint("reject", 12, AT)
        other = await uow.tokens.mint("approve", 13, AT)
        await uow.commit()

    assert 12 <= len(approve) <= 22 and URL_SAFE.match(approve)
    assert again == approve
    assert len({approve, reject, other}) == 3
    async with store.unit_of_work() as uow:
        assert await uow.tokens.resolve(approve) == ("approve", 12)
        assert await uow.tokens.resolve(other) == ("approve", 13)
        assert await uow.tokens.resolve("never-minted") is None
        with pytest.raises(INTEGRITY, match="(?i)CHECK"):
            await uow.tokens.mint("", 1, AT)


# --- pending inputs ---------------------------------------------------------------------


async def test_pending_input_latest_then_take_by_prompt_deletes_it(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.pending.latest(TG, "-100123", "777") is None
        await uow.pending.expect(TG, "-100123", "777", "501", "edit", 12, AT)
        await uow.pending.expect(TG, "-100123", "777", "502", "dispute", 3, AT)  # same instant: newer still
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert await uow.pending.latest(TG, "-100123", "777") == ("dispute", 3, "502")
        assert await uow.pending.latest(TG, "-100123", "888") is None
        assert await uow.pending.latest(TG, "-100999", "777") is None
        assert await uow.pending.take(TG, "-100123", "888", "502") is None  # someone else replied
        assert await uow.pending.take(TG, "-100123", "777", "502") == ("dispute", 3)
        assert await uow.pending.take(TG, "-100123", "777", "502") is None
        assert await uow.pending.latest(TG, "-100123", "777") == ("edit", 12, "501")
        await uow.commit()
    assert await count(store, "pending_inputs") == 1


# --- invites ----------------------------------------------------------------------------


async def test_an_invite_is_redeemed_once_then_used_for_everyone(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        code = await uow.invites.create("ningbo-1", "buyer:Anna", AT, AT + timedelta(hours=72))
        await uow.commit()
    assert 16 <= len(code) <= 32 and URL_SAFE.match(code)

    redeemed_at = AT + timedelta(hours=1)
    async with store.unit_of_work() as uow:
        assert await uow.invites.redeem(code, TG, "777", redeemed_at) == RedeemOk("ningbo-1", "buyer:Anna")
        await uow.commit()
    async with store.unit_of_work() as uow:
        used = await uow.invites.redeem(code, Platform.SLACK, "U999", AT + timedelta(hours=2))
        assert used == RedeemUsed(TG, "777", redeemed_at)
        assert await uow.invites.redeem(code, TG, "777", AT + timedelta(hours=2)) == used
        assert await uow.invites.redeem(code, TG, "777", AT + timedelta(days=30)) == used  # used beats expired
        assert used.at.utcoffset() == timedelta(0)


async def test_an_invite_is_good_until_its_expiry_and_unknown_codes_are_unknown(store: SqliteStore) -> None:
    expires = AT + timedelta(hours=72)
    async with store.unit_of_work() as uow:
        late = await uow.invites.create("ningbo-1", "buyer:Anna", AT, expires)
        on_time = await uow.invites.create("ningbo-1", "buyer:Anna", AT, expires)
        assert late != on_time
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert await uow.invites.redeem(late, TG, "777", expires + timedelta(microseconds=1)) == RedeemExpired(expires)
        assert await uow.invites.redeem(on_time, TG, "888", expires) == RedeemOk("ningbo-1", "buyer:Anna")
        assert await uow.invites.redeem("NoSuchCode_123456", TG, "777", AT) == RedeemUnknown()
        with pytest.raises(INTEGRITY, match="(?i)CHECK"):
            await uow.invites.create("ningbo-1", "buyer:Anna", AT, AT)


# --- bindings ---------------------------------------------------------------------------


async def test_bindings_round_trip_replace_and_list_by_factory(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.bindings.bind(bound(ZHANG, TG, "777"), AT, BindingVia.INVITE, "buyer:Anna")
        await uow.bindings.bind(bound(LIU, Platform.SLACK, "U123"), AT + timedelta(minutes=1),
                                BindingVia.CONFIRMATION, "buyer:Anna")
        await uow.bindings.bind(bound(CHEN, TG, "888"), AT, BindingVia.INVITE, "buyer:Ben")
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert await uow.bindings.person(TG, "777") == bound(ZHANG, TG, "777")
        assert await uow.bindings.person(Platform.SLACK, "777") is None
        assert await uow.bindings.for_factory("ningbo-1") == [
            (TG, "777", bound(ZHANG, TG, "777")), (Platform.SLACK, "U123", bound(LIU, Platform.SLACK, "U123"))]
        await uow.bindings.bind(bound(CHEN, TG, "777"), AT + timedelta(hours=1), BindingVia.INVITE, "buyer:Ben")
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert await uow.bindings.person(TG, "777") == bound(CHEN, TG, "777")
        assert await uow.bindings.for_factory("ningbo-1") == [(Platform.SLACK, "U123", bound(LIU, Platform.SLACK, "U123"))]
        assert [p for _, _, p in await uow.bindings.for_factory("suzhou-2")] == [bound(CHEN, TG, "888"),
                                                                                  bound(CHEN, TG, "777")]
    assert await count(store, "bindings") == 3


async def test_a_revoked_binding_names_nobody_and_a_new_invitation_binds_again(store: SqliteStore) -> None:
    zhang = bound(ZHANG, TG, "777")
    async with store.unit_of_work() as uow:
        await uow.bindings.bind(zhang, AT, BindingVia.INVITE, "buyer:Anna")
        await uow.bindings.revoke(zhang.bound, Decision("buyer:Anna", AT + timedelta(days=1), TG))
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.bindings.person(TG, "777") is None
        assert await uow.bindings.for_factory("ningbo-1") == []
        (kept,) = await uow.bindings.every()
        assert (kept.person, kept.via, kept.bound_by, kept.revoked.by) == (zhang, BindingVia.INVITE, "buyer:Anna",
                                                                           "buyer:Anna")
        await uow.bindings.bind(zhang, AT + timedelta(days=2), BindingVia.INVITE, "buyer:Ben")
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.bindings.person(TG, "777") == zhang
        assert (await uow.bindings.get(TG, "777")).revoked is None


async def test_a_binding_cannot_claim_another_account_or_role(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="only a factory contact"):
        Person(name="Anna Schmidt", role=Role.BUYER, bound=PlatformAccount(platform=TG, user_id="1"))
    async with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="only a factory contact with a platform account"):
            await uow.bindings.bind(ZHANG, AT, BindingVia.INVITE, "buyer:Anna")
        await uow.bindings.bind(bound(ZHANG, TG, "777"), AT, BindingVia.INVITE, "buyer:Anna")
        await uow.commit()
    # The JSON names another account: the row's own columns win.
    ((person,),) = await raw(store, "SELECT person FROM bindings")
    other = {**json.loads(person), "bound": {"platform": "slack", "user_id": "U1"}}
    await raw(store, "UPDATE bindings SET person = ?", json.dumps(other))
    async with store.unit_of_work() as uow:
        assert (await uow.bindings.person(TG, "777")).bound == PlatformAccount(platform=TG, user_id="777")


# --- message references -----------------------------------------------------------------


async def test_message_refs_remember_replace_and_find(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.message_refs.remember(TG, "-100123", "instruction:12", "-100123:55", AT)
        await uow.message_refs.remember(TG, "-100456", "instruction:12", "-100456:9", AT)
        await uow.message_refs.remember(Platform.SLACK, "C0123", "instruction:12", "C0123:1712345678.000100", AT)
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert await uow.message_refs.find(TG, "-100123", "instruction:12") == "-100123:55"
        assert await uow.message_refs.find(TG, "-100123", "notice:3") is None
        await uow.message_refs.remember(TG, "-100123", "instruction:12", "-100123:60", AT + timedelta(minutes=5))
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert await uow.message_refs.find(TG, "-100123", "instruction:12") == "-100123:60"
        assert await uow.message_refs.find(TG, "-100456", "instruction:12") == "-100456:9"
        assert await uow.message_refs.find(Platform.SLACK, "C0123", "instruction:12") == "C0123:1712345678.000100"


# --- atomicity --------------------------------------------------------------------------


async def test_a_unit_of_work_left_without_commit_leaves_nothing(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.inbox.add(TG, 1, {}, AT)
        token = await uow.tokens.mint("approve", 1, AT)
        await uow.pending.expect(TG, "-100123", "777", "501", "edit", 1, AT)
        code = await uow.invites.create("ningbo-1", "buyer:Anna", AT, AT + timedelta(hours=72))
        await uow.bindings.bind(bound(ZHANG, TG, "777"), AT, BindingVia.INVITE, "buyer:Anna")
        await uow.message_refs.remember(TG, "-100123", "notice:3", "-100123:55", AT)

    async with store.unit_of_work() as uow:
        assert await uow.inbox.next_offset(TG) is None
        assert await uow.tokens.resolve(token) is None
        assert await uow.pending.latest(TG, "-100123", "777") is None
        assert await uow.invites.redeem(code, TG, "777", AT) == RedeemUnknown()
        assert await uow.bindings.person(TG, "777") is None
        assert await uow.message_refs.find(TG, "-100123", "notice:3") is None


async def test_naive_datetimes_are_refused(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="naive"):
            await uow.inbox.add(TG, 1, {}, datetime(2026, 3, 3, 9, 0))
