"""The 10,000-order data set the data benchmarks run on, written straight into a migrated store.

10,000 orders at 200 factories: 8,000 with a visit (12 findings each, an instruction per finding)
and 2,000 imported but not visited yet. A third of the visits have had their notice sent: a third
of those notices acknowledged, a sixth disputed, the rest awaiting the factory. Every factory has
a contact, so a benchmark can answer notices as the factory would.

Rows are written with plain SQL, not through the bus: going through the handlers would take
minutes, and the benchmarks measure reading and writing a full store, not filling one. The
generator is deterministic (one seeded `random.Random`), so two runs measure the same data.
Verdicts are judged the way the app judges them after an upgrade (handlers.verdicts.rejudge).
"""

from __future__ import annotations

import copy
import json
import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REPORT = ROOT / "examples" / "visit-PO-2026-0142" / "report.yaml"
ORDERS, VISITED, FACTORIES, FINDINGS_PER_VISIT = 10_000, 8_000, 200, 12
SEED = 7
# The benchmarks' "now": after every visit and notice, before every final inspection.
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
POSTED_AT = "2026-11-20T09:00:00.000000+00:00"
BUYER_KEY, PLATFORM = "buyer:Anna Schmidt", "console"


@dataclass(frozen=True)
class Dataset:
    """What was written, for the benchmarks to pick their targets from."""

    orders: int
    visits: int
    instructions: int
    notices: int
    filled_s: float  # migrating and writing the rows
    judged_s: float  # judging every visit once, as after an upgrade or a change of thresholds


def factory_id(n: int) -> str:
    return f"F{n:03d}"


def reference(n: int) -> str:
    return f"PO-2026-{n:05d}"


def contact_name(factory: str) -> str:
    return f"Contact {factory}"


def config_for(database: Path):
    """The example config with the data set's 200 factories, a contact for each, on `database`."""
    from bot.config import EXAMPLE_CONFIG, Storage, load_config
    from handlers.model import Factory, Person, Role

    example = load_config(EXAMPLE_CONFIG)
    factories = tuple(Factory(id=factory_id(n), name=f"Factory {n} Co., Ltd.", name_zh=f"第{n}工厂有限公司")
                      for n in range(FACTORIES))
    contacts = tuple(Person(name=contact_name(f.id), role=Role.FACTORY, factory=f.id, locale="zh_Hans_CN",
                            timezone="Asia/Shanghai") for f in factories)
    people = tuple(p for p in example.people if p.role is not Role.FACTORY) + contacts
    return example.model_copy(update={"storage": Storage(url=f"sqlite:///{database}"), "factories": factories,
                                      "people": people})


async def build(database: Path, seed: int = SEED, judge: bool = True) -> tuple[object, Dataset]:
    """Migrate `database`, fill it and judge every visit (unless not `judge`: writing needs no
    verdicts); returns the config and what was written."""
    from bot.app import build_app
    from handlers.verdicts import rejudge
    from tests.fakes import FakeClock

    config = config_for(database)
    started = time.perf_counter()
    app = await build_app(config, FakeClock(NOW))  # migrates the empty database
    try:
        counts = fill(database, random.Random(seed))
        filled = time.perf_counter()
        if judge:
            await rejudge(app.store, app.settings)
    finally:
        await app.close()
    return config, Dataset(*counts, filled_s=filled - started, judged_s=time.perf_counter() - filled)


def fill(database: Path, rng: random.Random) -> tuple[int, int, int, int]:
    from handlers.model.orders import reference_key
    from handlers.model.report import VisitReport

    base = yaml.safe_load(REPORT.read_text(encoding="utf-8"))
    orders, visits, instructions, notices, carried = [], [], [], [], []
    for n in range(ORDERS):
        data = _report(base, n, rng)
        order = data["order"]
        ref, key = order["reference"], reference_key(order["reference"])
        orders.append((ref, key, order["factory"], order["product"]["name"], order["product"].get("name_zh"),
                       order["quantity"], str(rng.choice([1.5, 12, 40])), "USD", order["final_inspection"],
                       order["ex_factory"], int(n % 17 == 0), rng.choice(["simple", "standard", "complex"]),
                       POSTED_AT, POSTED_AT))
        if n >= VISITED:
            continue
        visit_id = n + 1
        report = VisitReport.model_validate(data)
        visits.append((visit_id, ref, key, order["factory"], data["visit"]["date"],
                       json.dumps(report.model_dump(mode="json"), ensure_ascii=False), "{}", "inspector:Chen Jing",
                       POSTED_AT, PLATFORM, order["final_inspection"]))
        notice = _notice(len(notices) + 1, visit_id, order, rng) if n % 3 == 0 else None
        if notice is not None:
            notices.append(notice)
        state = "proposed" if notice is None else _INSTRUCTION_STATE[notice[7]]
        decided = (None, None, None) if notice is None else (BUYER_KEY, POSTED_AT, PLATFORM)
        for i in range(FINDINGS_PER_VISIT):
            instruction_id = n * FINDINGS_PER_VISIT + i + 1
            due = (date.fromisoformat(order["final_inspection"]) - timedelta(days=5 + i)).isoformat()
            instructions.append((instruction_id, visit_id, f"findings.{i}", "rework", "{}", due, state, *decided,
                                 None if notice is None else notice[0]))
            if notice is not None:
                carried.append((notice[0], i, instruction_id, visit_id))
    conn = sqlite3.connect(database)
    try:
        _insert(conn, "orders", "reference, reference_key, factory_id, product_name, product_name_zh, quantity,"
                " unit_value, currency, final_inspection, ex_factory, first_order_with_factory, packaging, created_at,"
                " updated_at", orders)
        _insert(conn, "visits", "id, order_reference, order_key, factory_id, visit_date, report, photos, posted_by,"
                " posted_at, posted_platform, final_inspection", visits)
        _insert(conn, "notices", "id, number, year, seq, visit_id, factory_id, order_reference, state, sent_by,"
                " sent_at, sent_platform, answered_by, answered_at, answered_platform, acknowledge_by", notices)
        _insert(conn, "instructions", "id, visit_id, source, kind, params, due, state, decided_by, decided_at,"
                " decided_platform, notice_id", instructions)
        _insert(conn, "notice_instructions", "notice_id, position, instruction_id, visit_id", carried)
        conn.commit()
    finally:
        conn.close()
    return len(orders), len(visits), len(instructions), len(notices)


# What a notice's state makes of the instructions it carries.
_INSTRUCTION_STATE = {"sent": "sent", "acknowledged": "acknowledged", "disputed": "disputed"}


def _notice(notice_id: int, visit_id: int, order: dict, rng: random.Random) -> tuple:
    sent_at = datetime(2026, 11, 20, 10, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 5 * 24 * 60))
    state = rng.choices(["sent", "acknowledged", "disputed"], weights=[3, 2, 1])[0]
    answered = (None, None, None)
    if state != "sent":
        answered = (f"factory/{order['factory']}:{contact_name(order['factory'])}",
                    _text(sent_at + timedelta(hours=rng.randrange(1, 60))), PLATFORM)
    return (notice_id, f"CN-2026-{notice_id:05d}", 2026, notice_id, visit_id, order["factory"], order["reference"],
            state, BUYER_KEY, _text(sent_at), PLATFORM, *answered, _text(sent_at + timedelta(hours=24)))


def _text(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _insert(conn: sqlite3.Connection, table: str, columns: str, rows: list[tuple]) -> None:
    marks = ", ".join("?" * len(columns.split(",")))
    conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _report(base: dict, n: int, rng: random.Random) -> dict:
    data = copy.deepcopy(base)
    order = data["order"]
    order["reference"], order["factory"] = reference(n), factory_id(n % FACTORIES)
    final = date(2026, 12, 1) + timedelta(days=rng.randrange(0, 60))
    order["final_inspection"], order["ex_factory"] = final.isoformat(), (final + timedelta(days=4)).isoformat()
    data["visit"]["date"] = (date(2026, 11, 1) + timedelta(days=rng.randrange(0, 20))).isoformat()
    data["progress"]["reported_complete"] = rng.randrange(1000, 4000)
    data["progress"]["daily_output"] = rng.randrange(50, 600)
    findings = data["findings"]
    data["findings"] = [copy.deepcopy(findings[i % len(findings)]) for i in range(FINDINGS_PER_VISIT)]
    for i, finding in enumerate(data["findings"]):
        if finding.get("instruction"):
            finding["instruction"]["due"] = (final - timedelta(days=5 + i)).isoformat()
    return data
