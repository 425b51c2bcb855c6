"""The SQLite store, against a real database file: no mocks.

What matters is what survives: a committed change with its audit event and outbox
messages, nothing of a failed one, pending messages across a restart, and handled-update
keys; and that concurrent units of work neither fail on the lock nor lose writes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import storage.migrate
import storage.schema_snapshot
from handlers.model import (
    Decision,
    InstructionState,
    NoticeState,
    OutgoingMessage,
    Platform,
)
from handlers.model.orders import reference_key
from handlers.model.report import VisitReport
from handlers.model.search import Search
from handlers.model.tallies import NoticeTally
from handlers.model.verdicts import Option, Status, Verdict
from storage import (
    AuditEvent,
    MigrationError,
    NotFound,
    SqliteStore,
    UpdateAlreadyHandled,
    open_store,
    store_from_url,
)
from storage.connection import connect
from storage.migrate import Migration, available
from storage.postgres import PostgresStore
from tests.store_engines import INTEGRITY, another, emptied, postgres_url, raw, store  # noqa: F401  (fixtures)

SHANGHAI = ZoneInfo("Asia/Shanghai")
POSTED = Decision(by="inspector:Li Wei", at=datetime(2026, 3, 2, 17, 5, 30, 123456, tzinfo=SHANGHAI), platform=Platform.TELEGRAM)
DEADLINE = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # when the factory must have answered
VERDICT = Verdict(Status.AT_RISK, 48.0, 65.0, 17.0, (Option.ESCALATE_WITH_FACTORY,), date(2026, 3, 30))


def report(reference: str = "PO-2026-0142", visit_date: date = date(2026, 3, 2), factory: str = "ningbo-1") -> VisitReport:
    return VisitReport.model_validate(
        {
            "order": {
                "reference": reference,
                "factory": factory,
                "product": {"name": "Ceramic mug", "name_zh": "陶瓷杯"},
                "quantity": 5000,
                "final_inspection": "2026-04-10",
                "ex_factory": "2026-04-20",
                "aql": {"major": "1.5"},
            },
            "visit": {"date": visit_date.isoformat(), "inspector": "Li Wei"},
            "progress": {"reported_complete": 2000, "counted_complete": 1800, "daily_output": 300},
            "findings": [
                {
                    "category": "finishing",
                    "severity": "major",
                    "description": "Glaze drips on the handle",
                    "units_checked": 80,
                    "units_affected": 6,
                    "photos": ["drip.jpg"],
                    "instruction": {"kind": "rework", "params": {"units": 6}, "due": "2026-03-09"},
                }
            ],
            "packaging": {"materials_on_site": True, "checks": [{"item": "barcodes", "status": "ok"}]},
        }
    )


def message(destination: str = "-100123", platform: Platform = Platform.TELEGRAM) -> OutgoingMessage:
    return OutgoingMessage(
        platform=platform,
        destination=destination,
        kind="notice.sent",
        payload={"notice": "CN-2026-0001", "lines": ["返工", "rework"]},
        locale="zh",
        timezone="Asia/Shanghai",
    )




async def add_visit(store: SqliteStore, **kwargs: object) -> int:
    async with store.unit_of_work() as uow:
        visit = await uow.visits.add(report(**kwargs), {"drip.jpg": "ab" * 32}, POSTED, VERDICT)  # type: ignore[arg-type]
        await uow.commit()
    return visit.id


def raw_file(path: Path) -> sqlite3.Connection:
    """A second, plain connection: what is on disk, not what the store believes."""
    return sqlite3.connect(path)


# --- opening and migrations -------------------------------------------------------------


async def test_open_creates_the_file_and_its_directory_and_applies_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "followup.sqlite3"
    store = await SqliteStore.open(path)
    try:
        assert path.exists()
        assert await store.schema_version() == available()[-1].version >= 1
    finally:
        await store.close()
    with raw_file(path) as db:
        rows = db.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in available()]
    assert rows[0] == (1, "initial")


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "followup.sqlite3"
    await (await SqliteStore.open(path)).close()
    with raw_file(path) as db:
        first = db.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall()

    store = await SqliteStore.open(path)
    try:
        assert await store.schema_version() == available()[-1].version
    finally:
        await store.close()
    with raw_file(path) as db:
        assert db.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall() == first


async def test_a_failing_migration_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "followup.sqlite3"
    await (await SqliteStore.open(path)).close()
    applied = available()[-1].version
    broken = Migration(applied + 1, "broken", "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")
    monkeypatch.setattr(storage.migrate, "available", lambda: [*available(), broken])

    with pytest.raises(MigrationError, match=f"{broken.version:04d}_broken.sql"):
        await SqliteStore.open(path)

    with raw_file(path) as db:
        assert db.execute("SELECT MAX(version) FROM schema_migrations").fetchone() == (applied,)
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None


def schema_and_rows(path: Path) -> tuple[list, list, dict]:
    """The schema SQLite keeps, in its order; the migrations recorded; every other table's rows."""
    with raw_file(path) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                  if t != "schema_migrations"]
        return (db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
                + db.execute("PRAGMA user_version").fetchall(),
                db.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall(),
                {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables})


async def test_a_brand_new_store_has_the_schema_the_migrations_build_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new store is given the snapshot's schema at once (storage/schema.sql); one upgraded
    file by file, as an installation from the first release is, or given every migration on
    an empty database, ends up the same: the same schema, the same migrations recorded, the
    same rows."""
    await (await SqliteStore.open(tmp_path / "new.sqlite3")).close()
    await storage.schema_snapshot.migrated_one_by_one(tmp_path / "replayed.sqlite3")
    shipped = available()
    monkeypatch.setattr(storage.migrate, "available", lambda: shipped[:1])
    await (await SqliteStore.open(tmp_path / "upgraded.sqlite3")).close()
    monkeypatch.setattr(storage.migrate, "available", lambda: shipped)
    await (await SqliteStore.open(tmp_path / "upgraded.sqlite3")).close()

    new = schema_and_rows(tmp_path / "new.sqlite3")
    assert new == schema_and_rows(tmp_path / "replayed.sqlite3")
    assert new == schema_and_rows(tmp_path / "upgraded.sqlite3")
    assert new[1] == [(m.version, m.name) for m in shipped]


def test_the_schema_snapshot_is_in_step_with_the_migrations() -> None:
    """storage/schema.sql is what the migrations build on an empty database: after adding a
    migration, run `python -m storage.schema_snapshot` (until then new stores replay them)."""
    assert storage.migrate.snapshot()[1] == storage.schema_snapshot.made_snapshot(), \
        "storage/schema.sql is stale: run `python -m storage.schema_snapshot`"


async def test_a_snapshot_standing_for_other_migrations_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration added without a new snapshot: new stores take the migrations one by one."""
    late = Migration(available()[-1].version + 1, "not_in_snapshot", "CREATE TABLE not_in_snapshot (x INTEGER);\n")
    monkeypatch.setattr(storage.migrate, "available", lambda: [*available(), late])
    store = await SqliteStore.open(tmp_path / "followup.sqlite3")
    try:
        assert await store.schema_version() == late.version
    finally:
        await store.close()
    with raw_file(tmp_path / "followup.sqlite3") as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'not_in_snapshot'").fetchone() is not None


async def test_a_brand_new_store_whose_migration_fails_is_left_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "followup.sqlite3"
    broken = Migration(available()[-1].version + 1, "broken", "INSERT INTO no_such_table VALUES (1);\n")
    monkeypatch.setattr(storage.migrate, "available", lambda: [*available(), broken])

    with pytest.raises(MigrationError, match=f"{broken.version:04d}_broken.sql"):
        await SqliteStore.open(path)

    with raw_file(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("schema_migrations",)]
        assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone() == (0,)


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "followup.sqlite3"
    await (await SqliteStore.open(path)).close()
    with raw_file(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, 'from_the_future', '2030-01-01T00:00:00+00:00')")

    with pytest.raises(MigrationError, match="schema version 99"):
        await SqliteStore.open(path)


async def test_a_migration_numbered_below_the_newest_is_applied_when_it_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Branches reserve numbers: 0005 may be merged, and applied, before 0004 is."""
    path = tmp_path / "followup.sqlite3"
    shipped = available()
    late = Migration(shipped[-1].version + 1, "merged_late", "CREATE TABLE merged_late (x INTEGER);\n")
    newest = Migration(late.version + 1, "merged_first", "CREATE TABLE merged_first (x INTEGER);\n")
    monkeypatch.setattr(storage.migrate, "available", lambda: [*shipped, newest])
    await (await SqliteStore.open(path)).close()

    monkeypatch.setattr(storage.migrate, "available", lambda: [*shipped, late, newest])
    store = await SqliteStore.open(path)
    await store.close()

    with raw_file(path) as db:
        versions = [v for (v,) in db.execute("SELECT version FROM schema_migrations ORDER BY applied_at, version")]
        assert versions[-2:] == [newest.version, late.version]
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'merged_late'").fetchone() == ("merged_late",)


def test_a_migration_number_used_twice_is_refused() -> None:
    with pytest.raises(MigrationError, match="distinct"):
        storage.migrate.in_order([*available(), Migration(1, "again", "SELECT 1;")])


def test_migration_scripts_split_into_statements_keeping_trigger_bodies_whole() -> None:
    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE t (x TEXT DEFAULT 'a;b');\n"
        "CREATE TRIGGER t_guard BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no;'); SELECT 1; END;\n"
        "-- trailing comment\n"
    )
    parts = [part.strip() for part in storage.migrate.statements(script)]
    assert len(parts) == 3
    assert parts[0].endswith("DEFAULT 'a;b');")
    assert parts[1].startswith("CREATE TRIGGER") and parts[1].endswith("END;")
    assert parts[2] == "-- trailing comment"


async def test_connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "followup.sqlite3")
    try:
        settings = {}
        for pragma in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
            async with conn.execute(f"PRAGMA {pragma}") as cursor:
                settings[pragma] = (await cursor.fetchone())[0]
        assert conn.isolation_level is None
    finally:
        await conn.close()
    assert settings == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 60000}


async def test_the_store_file_is_in_wal_mode(tmp_path: Path) -> None:
    opened = await SqliteStore.open(tmp_path / "followup.sqlite3")
    await opened.close()
    with raw_file(opened.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_the_store_enforces_foreign_keys(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        with pytest.raises(INTEGRITY, match="(?i)FOREIGN KEY"):
            await uow.instructions.add(999, "findings.0", "rework", {}, None, None, date(2026, 3, 9))


async def test_the_audit_trail_is_append_only(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.audit.record(
            actor="buyer:Anna", platform=Platform.SLACK, at=POSTED.at, entity="visit", entity_id=1,
            action="posted", before=None, after={"id": 1},
        )
        await uow.commit()
    with pytest.raises(INTEGRITY, match="append-only"):
        await raw(store, "UPDATE audit_events SET actor = 'someone else'")


# --- store urls -------------------------------------------------------------------------


async def test_store_from_url_opens_relative_and_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = await store_from_url("sqlite:///data/rel.sqlite3")
    absolute = await open_store(f"sqlite:///{tmp_path / 'abs.sqlite3'}")  # sqlite:////tmp/...
    try:
        assert relative.path == Path("data/rel.sqlite3")
        assert (tmp_path / "data" / "rel.sqlite3").exists()
        assert absolute.path == tmp_path / "abs.sqlite3" and absolute.path.is_absolute()
    finally:
        await relative.close()
        await absolute.close()


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://bot:s3cret@db/followup", "'mysql'"),
        ("followup.sqlite3", "no scheme"),
        ("sqlite://followup.sqlite3", "sqlite:///"),
        ("sqlite:///", "names no file"),
    ],
)
def test_store_from_url_refuses_what_it_cannot_open(url: str, named: str) -> None:
    with pytest.raises(ValueError, match="sqlite") as refused:
        store_from_url(url)
    assert named in str(refused.value)
    assert "s3cret" not in str(refused.value)


# --- round trips ------------------------------------------------------------------------


async def test_visit_round_trip_keeps_the_whole_report(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        added = await uow.visits.add(report(), {"drip.jpg": "ab" * 32}, POSTED, VERDICT)
        await uow.commit()
    async with store.unit_of_work() as uow:
        loaded = await uow.visits.get(added.id)
        missing = await uow.visits.get(added.id + 1)
        judged = (await uow.verdicts.judged_visits([added.id]))[added.id]

    assert loaded == added
    assert (judged.verdict, judged.final_inspection) == (VERDICT, report().order.final_inspection)
    assert loaded.report == report()
    assert loaded.order_reference == "PO-2026-0142" and loaded.factory_id == "ningbo-1"
    assert loaded.posted.at == POSTED.at and loaded.posted.at.utcoffset() is not None
    assert missing is None


async def test_visits_of_an_order_newest_first_matching_the_reference_case_insensitively(store: SqliteStore) -> None:
    older = await add_visit(store, reference="PO-7", visit_date=date(2026, 3, 1))
    newer = await add_visit(store, reference="po-7", visit_date=date(2026, 3, 8))
    same_day_later = await add_visit(store, reference="PO-7", visit_date=date(2026, 3, 8))
    other = await add_visit(store, reference="PO-8", visit_date=date(2026, 3, 20))

    async with store.unit_of_work() as uow:
        for_order = await uow.visits.for_order("Po-7")
        latest = await uow.visits.latest_per_order()

    assert [v.id for v in for_order] == [same_day_later, newer, older]
    assert [v.id for v in latest] == [same_day_later, other]


async def test_the_portfolio_is_ranked_and_searched_in_sql(store: SqliteStore) -> None:
    """The ranking and the text search (reference, product in Chinese, factory) in the SQL of
    storage/visits.py, with its JSON, julianday and group_concat, answer alike on both engines."""
    mug = await add_visit(store, reference="PO-2026-0142")
    other = await add_visit(store, reference="po-2026-0007", factory="suzhou-2")
    newer = await add_visit(store, reference="PO-2026-0142", visit_date=date(2026, 3, 5))
    todays = {"ningbo-1": "2026-03-06", "suzhou-2": "2026-03-06"}
    NOW = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)  # noqa: N806
    async with store.unit_of_work() as uow:
        assert await uow.visits.ranked(Search(todays), NOW) == ([("visit", newer), ("visit", other)], 2)  # "P" < "p"
        assert await uow.visits.ranked(Search(todays), NOW, limit=1, offset=1) == ([("visit", other)], 2)
        assert await uow.visits.ranked(Search(todays, text=reference_key("0142")), NOW) == ([("visit", newer)], 1)
        assert await uow.visits.ranked(Search(todays, text=reference_key("陶瓷")), NOW) == (
            [("visit", newer), ("visit", other)], 2)
        assert await uow.visits.ranked(Search(todays, text="nothing", factories_named=("suzhou-2",)), NOW) == (
            [("visit", other)], 1)
        assert await uow.visits.ranked(Search({"ningbo-1": "2026-03-06"}), NOW) == ([("visit", newer)], 1)
        assert mug not in [visit_id for _, visit_id in (await uow.visits.ranked(Search(todays), NOW))[0]]


async def test_instruction_round_trip_through_its_decision(store: SqliteStore) -> None:
    visit_id = await add_visit(store)
    async with store.unit_of_work() as uow:
        proposed = await uow.instructions.add(
            visit_id, "findings.0", "rework", {"units": 6, "how": ["strip", "re-glaze"]}, "Rework the handles", "返工", date(2026, 3, 9)
        )
        second = await uow.instructions.add(visit_id, "packaging.checks.0", "relabel", {}, None, None, date(2026, 3, 10))
        await uow.commit()

    assert proposed.state is InstructionState.PROPOSED and proposed.decided is None
    async with store.unit_of_work() as uow:
        assert await uow.instructions.get(proposed.id) == proposed

    edited = dataclasses.replace(
        proposed,
        state=InstructionState.EDITED,
        decided=Decision(by="buyer:Anna", at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC), platform=Platform.SLACK),
        params={"units": 8},
        note="Rework all eight",
        note_zh="全部返工",
        due=date(2026, 3, 12),
        reason="two more found on the line",
        evidence=("cd" * 32, "ef" * 32),
    )
    async with store.unit_of_work() as uow:
        await uow.instructions.save(edited)
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.instructions.get(proposed.id) == edited
        assert await uow.instructions.for_visit(visit_id) == [edited, second]
        assert await uow.instructions.get(second.id + 1) is None


async def test_every_change_of_an_instruction_moves_its_visits_version(store: SqliteStore) -> None:
    """What the outbox keeps a visit's instructions by (handlers/posted_visits.py): counted up by
    the store on any write, however made; the instructions as read come with it."""
    visit_id = await add_visit(store)
    async with store.unit_of_work() as uow:
        first = await uow.instructions.add(visit_id, "findings.0", "rework", {}, None, None, date(2026, 3, 9))
        second = await uow.instructions.add(visit_id, "materials.0", "replace", {}, None, None, date(2026, 3, 9))
        await uow.commit()
    async with store.unit_of_work() as uow:
        (_, added), read = await uow.instructions.visit_version(second.id), await uow.instructions.versioned(visit_id)
        assert read == (added, (first, second)) and await uow.instructions.visit_version(10_000) is None
        await uow.instructions.save(dataclasses.replace(first, state=InstructionState.APPROVED, decided=POSTED))
        await uow.commit()
    async with store.unit_of_work() as uow:
        saved = (await uow.instructions.visit_version(first.id))[1]
    await raw(store, "UPDATE instructions SET note = 'by hand' WHERE id = ?", second.id)
    async with store.unit_of_work() as uow:
        assert (await uow.instructions.visit_version(first.id))[1] > saved > added
    with pytest.raises(INTEGRITY, match="never deleted"):
        await raw(store, "DELETE FROM instructions WHERE id = ?", first.id)


async def test_notice_round_trip_and_the_factory_answer(store: SqliteStore) -> None:
    visit_id = await add_visit(store)
    async with store.unit_of_work() as uow:
        first = await uow.instructions.add(visit_id, "findings.0", "rework", {}, None, None, date(2026, 3, 9))
        second = await uow.instructions.add(visit_id, "materials.0", "replace", {}, None, None, date(2026, 3, 9))
        sent = Decision(by="buyer:Anna", at=datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI), platform=Platform.SLACK)
        notice = await uow.notices.add(visit_id, "ningbo-1", "PO-2026-0142", [second.id, first.id], sent, DEADLINE)
        await uow.instructions.save(dataclasses.replace(first, state=InstructionState.SENT, notice_id=notice.id))
        await uow.commit()

    assert (notice.number, notice.version, notice.state) == ("CN-2026-0001", 1, NoticeState.SENT)
    assert notice.instruction_ids == (second.id, first.id)
    async with store.unit_of_work() as uow:
        assert await uow.notices.get(notice.id) == notice
        assert await uow.notices.by_number("cn-2026-0001") == notice
        assert await uow.notices.by_number("CN-2026-0002") is None
        assert await uow.notices.for_visit(visit_id) == [notice]
        late = DEADLINE + timedelta(minutes=1)
        assert await uow.notices.tallies(late) == {"ningbo-1": NoticeTally(0, 1, 1, None)}
        assert await uow.notices.tallies(DEADLINE, "ningbo-1") == {"ningbo-1": NoticeTally(0, 1, 0, None)}
        assert await uow.notices.tallies(late, "other") == {}
        assert [i.id for i in await uow.instructions.for_notice(notice.id)] == [second.id, first.id]

    disputed = dataclasses.replace(
        notice,
        state=NoticeState.DISPUTED,
        answered=Decision(by="factory:Zhang", at=datetime(2026, 3, 4, 8, 30, tzinfo=SHANGHAI), platform=Platform.TELEGRAM),
        dispute_reason="材料已批准",
    )
    async with store.unit_of_work() as uow:
        await uow.notices.save(disputed)
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.notices.get(notice.id) == disputed


async def test_a_notice_cannot_carry_another_visits_instruction(store: SqliteStore) -> None:
    visit_id = await add_visit(store)
    other_visit_id = await add_visit(store, reference="PO-9")
    async with store.unit_of_work() as uow:
        foreign = await uow.instructions.add(other_visit_id, "findings.0", "rework", {}, None, None, date(2026, 3, 9))
        with pytest.raises(INTEGRITY, match="(?i)FOREIGN KEY"):
            await uow.notices.add(visit_id, "ningbo-1", "PO-2026-0142", [foreign.id], POSTED, DEADLINE)


async def test_outbox_round_trip(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        first = await uow.outbox.add(message("-100123"))
        slack = await uow.outbox.add(message("C0123", Platform.SLACK))
        third = await uow.outbox.add(message("-100456"))
        await uow.commit()

    assert first.id is not None and first == dataclasses.replace(message("-100123"), id=first.id)
    async with store.unit_of_work() as uow:
        assert await uow.outbox.pending() == [first, slack, third]
        assert await uow.outbox.pending(Platform.TELEGRAM) == [first, third]
        assert await uow.outbox.pending(limit=1) == [first]
        later = datetime(2026, 3, 3, 2, 0, 2, tzinfo=UTC)
        await uow.outbox.reschedule(first.id, datetime(2026, 3, 3, 2, 0, tzinfo=UTC), later, "429 Too Many Requests")
        await uow.outbox.mark_sent(slack.id, datetime(2026, 3, 3, 2, 0, tzinfo=UTC), platform_ref="1712345678.000100")
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.outbox.pending() == [dataclasses.replace(first, attempts=1), third]
        sent_at = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
        assert await uow.outbox.get(slack.id) == dataclasses.replace(slack, sent_at=sent_at)
        with pytest.raises(NotFound):
            await uow.outbox.mark_sent(10_000, datetime.now(UTC))
    assert await raw(store, "SELECT last_error FROM outbox WHERE id = ?", first.id) == [("429 Too Many Requests",)]
    assert await raw(store, "SELECT platform_ref FROM outbox WHERE id = ?", slack.id) == [("1712345678.000100",)]


async def test_audit_round_trip(store: SqliteStore) -> None:
    at = datetime(2026, 3, 3, 9, 15, tzinfo=SHANGHAI)
    async with store.unit_of_work() as uow:
        await uow.audit.record(
            actor="buyer:Anna", platform=Platform.SLACK, at=at, entity="instruction", entity_id=7,
            action="approved", before={"state": "proposed"}, after={"state": "approved"},
        )
        await uow.audit.record(
            actor="factory:Zhang", platform=Platform.TELEGRAM, at=at + timedelta(hours=1), entity="instruction",
            entity_id="7", action="commented", before=None, after="来料已到",
        )
        await uow.audit.record(
            actor="buyer:Anna", platform=Platform.SLACK, at=at, entity="notice", entity_id=7,
            action="sent", before=None, after=None,
        )
        await uow.commit()
    async with store.unit_of_work() as uow:
        events = await uow.audit.for_entity("instruction", 7)

    assert events == [
        AuditEvent("buyer:Anna", Platform.SLACK, at, "instruction", "7", "approved", {"state": "proposed"}, {"state": "approved"}),
        AuditEvent("factory:Zhang", Platform.TELEGRAM, at + timedelta(hours=1), "instruction", "7", "commented", None, "来料已到"),
    ]


async def test_naive_datetimes_are_refused(store: SqliteStore) -> None:
    naive = Decision(by="buyer:Anna", at=datetime(2026, 3, 3, 9, 0), platform=Platform.SLACK)
    async with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="naive"):
            await uow.visits.add(report(), {}, naive, VERDICT)


async def test_saving_what_was_never_added_is_an_error(store: SqliteStore) -> None:
    visit_id = await add_visit(store)
    async with store.unit_of_work() as uow:
        instruction = await uow.instructions.add(visit_id, "findings.0", "rework", {}, None, None, date(2026, 3, 9))
        notice = await uow.notices.add(visit_id, "ningbo-1", "PO-2026-0142", [instruction.id], POSTED, DEADLINE)
        with pytest.raises(NotFound):
            await uow.instructions.save(dataclasses.replace(instruction, id=instruction.id + 100))
        with pytest.raises(NotFound):
            await uow.notices.save(dataclasses.replace(notice, id=notice.id + 100))


# --- the outbox's queues ------------------------------------------------------------------

T0 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
TELEGRAM = [Platform.TELEGRAM]


async def owe(store: SqliteStore, *destinations: str) -> list[OutgoingMessage]:
    async with store.unit_of_work() as uow:
        added = [await uow.outbox.add(message(d)) for d in destinations]
        await uow.commit()
    return added


async def claim(store: SqliteStore, now: datetime = T0, by: str = "replica-a", skip=frozenset()):
    async with store.unit_of_work() as uow:
        claimed = await uow.outbox.claim_next(TELEGRAM, now, by, now + LEASE, skip)
        await uow.commit()
    return claimed


async def test_only_the_head_of_each_destinations_queue_is_handed_out(store: SqliteStore) -> None:
    a1, b1, a2 = await owe(store, "A", "B", "A")

    first, second, none_left = await claim(store), await claim(store), await claim(store)

    assert (first.message.id, second.message.id, none_left) == (a1.id, b1.id, None)  # a2 waits for a1
    async with store.unit_of_work() as uow:
        await uow.outbox.mark_sent(a1.id, T0, "A:1")
        await uow.commit()
    assert (await claim(store)).message.id == a2.id


async def test_a_claim_is_exclusive_until_its_time_is_up(store: SqliteStore) -> None:
    (owed,) = await owe(store, "A")
    assert (await claim(store, by="replica-a")).message.id == owed.id
    assert await claim(store, T0 + LEASE - timedelta(seconds=1), by="replica-b") is None
    taken_over = await claim(store, T0 + LEASE, by="replica-b")  # replica-a died mid-send
    assert taken_over.message.id == owed.id
    assert await raw(store, "SELECT claimed_by FROM outbox") == [("replica-b",)]


async def test_replicas_claiming_together_take_each_message_once(store: SqliteStore) -> None:
    """Three stores on one database, as three replicas, claim side by side: each message
    (the head of its destination's queue) is claimed by exactly one of them."""
    owed = await owe(store, *(f"chat-{n}" for n in range(24)))
    replicas = [store, await another(store), await another(store)]
    claimed: list[tuple[str, int]] = []

    async def drain(replica: SqliteStore, name: str) -> None:
        while (taken := await claim(replica, by=name)) is not None:
            claimed.append((name, taken.message.id))

    try:
        await asyncio.gather(*(drain(replica, f"replica-{n}") for n, replica in enumerate(replicas)))
    finally:
        for replica in replicas[1:]:
            await replica.close()
    assert sorted(message_id for _, message_id in claimed) == [m.id for m in owed]


async def test_work_queued_by_another_replica_wakes_the_delivery_on_postgres(postgres_url: str) -> None:  # noqa: F811
    """PostgreSQL only: SQLite has no notifications (the process that queues work wakes its own
    delivery, and the loops poll)."""
    await emptied(postgres_url)
    listening, other = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    woken = asyncio.Event()
    try:
        await listening.listen_for_work(woken.set)
        await owe(other, "A")
        await asyncio.wait_for(woken.wait(), timeout=60)  # a generous bound, not a timing claim
    finally:
        await listening.close()
        await other.close()


async def test_a_rescheduled_message_waits_for_its_time_and_holds_its_destination(store: SqliteStore) -> None:
    a1, a2, b1 = await owe(store, "A", "A", "B")
    await claim(store)
    async with store.unit_of_work() as uow:
        await uow.outbox.reschedule(a1.id, T0, T0 + timedelta(seconds=4), "NetworkError: Bad Gateway")
        await uow.commit()

    assert (await claim(store)).message.id == b1.id  # A waits: a2 must not overtake a1
    assert await claim(store, T0 + timedelta(seconds=3)) is None
    again = await claim(store, T0 + timedelta(seconds=4))
    assert (again.message.id, again.message.attempts, again.retrying_since) == (a1.id, 1, T0)


async def test_a_destination_skipped_this_round_is_left_alone(store: SqliteStore) -> None:
    a1, b1 = await owe(store, "A", "B")
    assert (await claim(store, skip=frozenset({(Platform.TELEGRAM, "A")}))).message.id == b1.id


async def test_a_failure_about_the_chat_holds_the_later_messages_and_one_about_the_message_does_not(
    store: SqliteStore,
) -> None:
    a1, a2, b1, b2 = await owe(store, "A", "A", "B", "B")
    async with store.unit_of_work() as uow:
        await uow.outbox.fail(a1.id, T0, "chat_not_found", "BadRequest: Chat not found", holds_destination=True)
        await uow.outbox.fail(b1.id, T0, "rejected", "BadRequest: message is too long", holds_destination=False)
        assert await uow.outbox.pending() == [a2, b2]  # not failed, so still owed
        await uow.commit()

    assert (await claim(store)).message.id == b2.id
    assert await claim(store) is None  # a2 is held behind a1
    async with store.unit_of_work() as uow:
        states = {o.message.id: (o.state, o.failure_reason, o.behind) for o in await uow.outbox.owed(T0)}
    assert states == {a1.id: ("failed", "chat_not_found", None), a2.id: ("held", None, a1.id),
                      b1.id: ("failed", "rejected", None), b2.id: ("sending", None, None)}

    async with store.unit_of_work() as uow:
        await uow.outbox.requeue(a1.id)
        await uow.commit()
    assert (await claim(store)).message.id == a1.id


async def test_a_message_knows_whether_one_about_the_same_visit_waits_behind_it(store: SqliteStore) -> None:
    """What lets a burst of decisions refresh the visit's summary once (bot/outbox/summary_refresh.py)."""
    visit_id, other_visit_id = await add_visit(store), await add_visit(store, reference="PO-9")
    kinds = ["instruction_decided", "instructions_approved", "notice_sent"]

    def about(kind: str, payload: dict, destination: str = "A") -> OutgoingMessage:
        return dataclasses.replace(message(destination), kind=kind, payload=payload)

    async with store.unit_of_work() as uow:
        mine = await uow.instructions.add(visit_id, "findings.0", "rework", {}, None, None, date(2026, 3, 9))
        foreign = await uow.instructions.add(other_visit_id, "findings.0", "rework", {}, None, None, date(2026, 3, 9))
        sent = Decision(by="buyer:Anna", at=T0, platform=Platform.TELEGRAM)
        notice = await uow.notices.add(visit_id, "ningbo-1", "PO-2026-0142", [mine.id], sent, DEADLINE)
        first = await uow.outbox.add(about("instruction_decided", {"instruction_id": mine.id}))
        await uow.outbox.add(about("instruction_decided", {"instruction_id": foreign.id}))  # another visit
        await uow.outbox.add(about("instructions_approved", {"visit_id": visit_id}, "B"))  # another chat
        await uow.outbox.add(about("finding", {"visit_id": visit_id}))  # another kind
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.outbox.last_behind(first, kinds, visit_id) is None

    for kind, payload in (("instruction_decided", {"instruction_id": mine.id}),
                          ("instructions_approved", {"visit_id": visit_id, "sources": ["findings.0"]}),
                          ("notice_sent", {"notice_id": notice.id, "version": 1})):
        async with store.unit_of_work() as uow:
            later = await uow.outbox.add(about(kind, payload))
            last = await uow.outbox.add(about(kind, payload))
            assert await uow.outbox.last_behind(first, kinds, visit_id) == last.id, kind
            assert await uow.outbox.last_behind(later, kinds, visit_id) == last.id, kind
            assert await uow.outbox.last_behind(last, kinds, visit_id) is None  # nothing behind the last
            for delivered in (later, last):
                await uow.outbox.mark_sent(delivered.id, T0)
            assert await uow.outbox.last_behind(first, kinds, visit_id) is None  # delivered already: no longer behind
            await uow.commit()


async def test_a_message_knows_whether_the_same_message_waits_behind_it(store: SqliteStore) -> None:
    """What lets a burst of decisions on one finding edit its message once (bot/outbox/latest_only.py)."""
    def about(instruction_id: int, destination: str = "A", kind: str = "instruction_decided") -> OutgoingMessage:
        return dataclasses.replace(message(destination), kind=kind, payload={"instruction_id": instruction_id})

    async with store.unit_of_work() as uow:
        first = await uow.outbox.add(about(1))
        await uow.outbox.add(about(2))  # another instruction
        await uow.outbox.add(about(1, "B"))  # another chat
        await uow.outbox.add(about(1, kind="done_reported"))  # another kind
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert not await uow.outbox.repeated_later(first)
        later = await uow.outbox.add(about(1))
        assert await uow.outbox.repeated_later(first)
        assert not await uow.outbox.repeated_later(later)  # nothing behind the last
        await uow.outbox.mark_sent(later.id, T0)
        assert not await uow.outbox.repeated_later(first)  # delivered already: no longer behind
        await uow.commit()


async def test_parts_delivered_are_kept_for_the_next_attempt(store: SqliteStore) -> None:
    (owed,) = await owe(store, "A")
    await claim(store)
    async with store.unit_of_work() as uow:
        await uow.outbox.record_parts(owed.id, {"photos-0": None, "text-0": "A:17"})
        await uow.outbox.reschedule(owed.id, T0, T0, "TimedOut: Timed out")
        await uow.commit()
    assert (await claim(store)).parts == {"photos-0": None, "text-0": "A:17"}


async def test_messages_owed_before_the_delivery_columns_existed_are_still_delivered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "followup.sqlite3"
    with monkeypatch.context() as before:
        before.setattr(storage.migrate, "available", lambda: [m for m in available() if m.version < 5])
        old = await SqliteStore.open(path)
        (owed,) = await owe(old, "A")
        await old.close()

    upgraded = await SqliteStore.open(path)
    try:
        claimed = await claim(upgraded)
    finally:
        await upgraded.close()
    assert (claimed.message, claimed.parts, claimed.retrying_since) == (owed, {}, None)


async def test_a_failed_message_keeps_why_and_its_columns_agree(store: SqliteStore) -> None:
    (owed,) = await owe(store, "A")
    with pytest.raises(INTEGRITY, match="(?i)CHECK"):
        await raw(store, "UPDATE outbox SET failure_reason = 'bot_blocked' WHERE id = ?", owed.id)
    with pytest.raises(INTEGRITY, match="(?i)CHECK"):
        await raw(store, "UPDATE outbox SET holds_destination = 1 WHERE id = ?", owed.id)
    with pytest.raises(INTEGRITY, match="(?i)CHECK"):
        await raw(store, "UPDATE outbox SET claimed_by = 'replica-a' WHERE id = ?", owed.id)


# --- notice numbers ---------------------------------------------------------------------


async def test_notice_numbers_count_per_year_and_are_unique(store: SqliteStore) -> None:
    visit_id = await add_visit(store)

    def sent(at: datetime) -> Decision:
        return Decision(by="buyer:Anna", at=at, platform=Platform.SLACK)

    async with store.unit_of_work() as uow:
        numbers = [
            (await uow.notices.add(visit_id, "ningbo-1", "PO-2026-0142", [], sent(at), DEADLINE)).number
            for at in (
                datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI),
                datetime(2026, 1, 1, 0, 5, tzinfo=SHANGHAI),  # still 2025 in UTC: the notice's own year counts
                datetime(2026, 1, 2, tzinfo=UTC),
                datetime(2025, 6, 1, tzinfo=UTC),  # entered late: continues 2025's sequence
            )
        ]
        await uow.commit()
    assert numbers == ["CN-2025-0001", "CN-2026-0001", "CN-2026-0002", "CN-2025-0002"]

    with pytest.raises(INTEGRITY, match="(?i)UNIQUE"):
        await raw(
            store,
            "INSERT INTO notices (number, year, seq, visit_id, factory_id, order_reference, state,"
            " sent_by, sent_at, sent_platform) VALUES ('cn-2026-0001', 2026, 99, ?, 'f', 'o', 'sent', 'x', 'y', 'z')",
            visit_id,
        )


# --- atomicity and durability -----------------------------------------------------------


async def test_a_unit_of_work_that_raises_rolls_back_everything(store: SqliteStore) -> None:
    ids: dict[str, int] = {}
    with pytest.raises(RuntimeError, match="boom"):
        async with store.unit_of_work() as uow:
            visit = await uow.visits.add(report(), {}, POSTED, VERDICT)
            ids["visit"] = visit.id
            ids["instruction"] = (await uow.instructions.add(visit.id, "findings.0", "rework", {}, None, None, date(2026, 3, 9))).id
            await uow.outbox.add(message())
            await uow.audit.record(
                actor="inspector:Li Wei", platform=Platform.TELEGRAM, at=POSTED.at, entity="visit",
                entity_id=visit.id, action="posted", before=None, after={"reference": "PO-2026-0142"},
            )
            await uow.updates.remember("telegram:1001", {"visit": visit.id}, POSTED.at)
            raise RuntimeError("boom")

    async with store.unit_of_work() as uow:
        assert await uow.visits.get(ids["visit"]) is None
        assert await uow.visits.for_order("PO-2026-0142") == []
        assert await uow.instructions.get(ids["instruction"]) is None
        assert await uow.outbox.pending() == []
        assert await uow.audit.for_entity("visit", ids["visit"]) == []
        assert await uow.updates.result_of("telegram:1001") is None


async def test_leaving_without_commit_rolls_back(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.outbox.add(message())
    async with store.unit_of_work() as uow:
        assert await uow.outbox.pending() == []


async def test_a_cancelled_task_rolls_back_and_lets_the_next_one_in(store: SqliteStore) -> None:
    inside = asyncio.Event()

    async def stuck() -> None:
        async with store.unit_of_work() as uow:
            await uow.outbox.add(message())
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async with store.unit_of_work() as uow:
        assert await uow.outbox.pending() == []
        await uow.outbox.add(message())
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert len(await uow.outbox.pending()) == 1


async def test_a_committed_unit_of_work_cannot_be_used_again(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.commit()
        with pytest.raises(RuntimeError, match="already committed"):
            await uow.outbox.pending()
    with pytest.raises(RuntimeError, match="not open"):
        await store.unit_of_work().outbox.pending()


async def test_a_unit_of_work_inside_another_fails_instead_of_deadlocking(store: SqliteStore) -> None:
    async with store.unit_of_work():
        with pytest.raises(RuntimeError, match="unit of work inside a unit of work"):
            async with store.unit_of_work():
                pass


async def test_pending_messages_survive_a_restart_between_commit_and_delivery(tmp_path: Path) -> None:
    path = tmp_path / "followup.sqlite3"
    store = await SqliteStore.open(path)
    async with store.unit_of_work() as uow:
        owed = await uow.outbox.add(message())
        await uow.commit()
    await store.close()  # the process dies before the sender ran

    store = await SqliteStore.open(path)
    try:
        async with store.unit_of_work() as uow:
            assert await uow.outbox.pending() == [owed]
            await uow.outbox.mark_sent(owed.id, datetime(2026, 3, 3, tzinfo=UTC))
            await uow.commit()
        async with store.unit_of_work() as uow:
            assert await uow.outbox.pending() == []
    finally:
        await store.close()


async def test_handled_update_keys(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.updates.result_of("telegram:1001") is None
        await uow.updates.remember("telegram:1001", {"visit": 3, "reply": "已收到"}, POSTED.at)
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert await uow.updates.result_of("telegram:1001") == {"visit": 3, "reply": "已收到"}
        with pytest.raises(UpdateAlreadyHandled):
            await uow.updates.remember("telegram:1001", {"visit": 4}, POSTED.at)
        # The refused insert left the transaction usable.
        await uow.updates.remember("telegram:1002", {}, POSTED.at)
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.updates.result_of("telegram:1001") == {"visit": 3, "reply": "已收到"}
        assert await uow.updates.result_of("telegram:1002") == {}


# --- concurrency ------------------------------------------------------------------------


async def number_a_notice(store: SqliteStore, visit_id: int) -> str:
    """Read (the year's last number), yield to the other tasks, then write; under the visit's
    lock, as a command on the visit takes it first (storage.locks; free on SQLite)."""
    sent = Decision(by="buyer:Anna", at=datetime(2026, 5, 1, tzinfo=UTC), platform=Platform.SLACK)
    async with store.unit_of_work() as uow:
        await uow.locks.target(f"visit:{visit_id}")
        before = len(await uow.notices.for_visit(visit_id))
        await asyncio.sleep(0)
        notice = await uow.notices.add(visit_id, "ningbo-1", "PO-2026-0142", [], sent, DEADLINE)
        await uow.audit.record(
            actor="buyer:Anna", platform=Platform.SLACK, at=sent.at, entity="notice", entity_id=notice.id,
            action="sent", before=None, after={"seen_before": before},
        )
        await uow.commit()
    return notice.number


async def test_concurrent_units_of_work_neither_fail_nor_lose_writes(store: SqliteStore) -> None:
    visit_id = await add_visit(store)

    numbers = await asyncio.gather(*(number_a_notice(store, visit_id) for _ in range(20)))

    assert sorted(numbers) == [f"CN-2026-{n:04d}" for n in range(1, 21)]
    async with store.unit_of_work() as uow:
        notices = await uow.notices.for_visit(visit_id)
        seen = [(await uow.audit.for_entity("notice", n.id))[0].after for n in notices]
    assert len(notices) == 20
    assert sorted(s["seen_before"] for s in seen) == list(range(20))  # each saw all earlier commits


async def test_two_stores_on_one_file_wait_for_each_other(tmp_path: Path) -> None:
    """Two connections, as with the bot and a CLI command: busy_timeout and BEGIN IMMEDIATE
    make the second writer wait instead of failing with "database is locked"."""
    path = tmp_path / "followup.sqlite3"
    bot, cli = await SqliteStore.open(path), await SqliteStore.open(path)
    try:
        visit_id = await add_visit(bot)
        numbers = await asyncio.gather(*(number_a_notice(s, visit_id) for s in (bot, cli) * 10))
    finally:
        await bot.close()
        await cli.close()
    assert sorted(numbers) == [f"CN-2026-{n:04d}" for n in range(1, 21)]
