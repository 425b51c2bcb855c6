"""Correction notices sent to factories, numbered so people can quote them."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from handlers.model import Decision, Notice, NoticeState
from handlers.model.tallies import NoticeTally
from storage.codec import (
    datetime_from_text,
    datetime_to_text,
    decision_from_columns,
    decision_to_columns,
    json_from_text,
    json_to_text,
    optional_datetime_from_text,
    optional_decision_from_columns,
)
from storage.errors import NotFound
from storage.transaction import Params, Transaction

COLUMNS = (
    "id, number, version, visit_id, factory_id, order_reference, state, sent_by, sent_at,"
    " sent_platform, answered_by, answered_at, answered_platform, dispute_reason, acknowledge_by, deadline_round,"
    " reminder_requested_by"
)


def notice_number(year: int, seq: int) -> str:
    return f"CN-{year}-{seq:04d}"


class Notices:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(
        self,
        visit_id: int,
        factory_id: str,
        order_reference: str,
        instruction_ids: Sequence[int],
        sent: Decision,
        acknowledge_by: datetime,
    ) -> Notice:
        """Number it CN-{year}-{seq}: the year is `sent.at`'s own (in the zone it carries) and
        seq counts that year's notices. Safe to compute by reading: SQLite's unit of work
        holds the write lock since BEGIN IMMEDIATE, PostgreSQL's takes the year's lock (there
        is no row to lock for a number not issued yet), and UNIQUE(year, seq) backs it up."""
        year = sent.at.year
        await self._tx.lock(f"notice-number:{year}")
        row = await self._tx.one("SELECT COALESCE(MAX(seq), 0) + 1 FROM notices WHERE year = ?", (year,))
        seq = int(row[0]) if row is not None else 1
        number = notice_number(year, seq)
        state = NoticeState.SENT
        notice_id = await self._tx.insert(
            "INSERT INTO notices (number, year, seq, version, visit_id, factory_id, order_reference,"
            " state, sent_by, sent_at, sent_platform, acknowledge_by) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
            (number, year, seq, visit_id, factory_id, order_reference, state.value, *decision_to_columns(sent),
             datetime_to_text(acknowledge_by)),
        )
        for position, instruction_id in enumerate(instruction_ids):
            await self._tx.write(
                "INSERT INTO notice_instructions (notice_id, position, instruction_id, visit_id)"
                " VALUES (?, ?, ?, ?)",
                (notice_id, position, instruction_id, visit_id),
            )
        return Notice(
            id=notice_id,
            number=number,
            version=1,
            visit_id=visit_id,
            factory_id=factory_id,
            order_reference=order_reference,
            instruction_ids=tuple(instruction_ids),
            state=state,
            sent=sent,
            acknowledge_by=acknowledge_by,
        )

    async def get(self, notice_id: int) -> Notice | None:
        found = await self._select("id = ?", (notice_id,))
        return found[0] if found else None

    async def by_number(self, number: str) -> Notice | None:
        """Case-insensitive: "cn-2026-0007" typed in chat finds CN-2026-0007."""
        found = await self._select("number = ?", (number.strip(),))
        return found[0] if found else None

    async def for_visit(self, visit_id: int) -> list[Notice]:
        return await self._select("visit_id = ?", (visit_id,))

    async def for_visits(self, visit_ids: list[int]) -> dict[int, list[Notice]]:
        """Several visits' notices in one query, by visit id (every id present)."""
        found: dict[int, list[Notice]] = {visit_id: [] for visit_id in visit_ids}
        for notice in await self._select("visit_id IN (SELECT value FROM json_each(?))", (json_to_text(visit_ids),)):
            found[notice.visit_id].append(notice)
        return found

    async def tallies(self, now: datetime, factory_id: str | None = None) -> dict[str, NoticeTally]:
        """Per factory (one, or every factory: None) with notices, how they were answered:
        counted in SQL, and the hours to acknowledge averaged over the acknowledged ones."""
        rows = await self._tx.all(
            "SELECT factory_id, COUNT(CASE WHEN state = :disputed THEN 1 END) AS disputed,"
            " COUNT(CASE WHEN state = :sent THEN 1 END) AS awaiting,"
            " COUNT(CASE WHEN state = :sent AND acknowledge_by < :now THEN 1 END) AS past_deadline"
            " FROM notices WHERE (CAST(:factory AS TEXT) IS NULL OR factory_id = :factory) GROUP BY factory_id",
            {"disputed": NoticeState.DISPUTED.value, "sent": NoticeState.SENT.value, "now": datetime_to_text(now),
             "factory": factory_id},
        )
        answered = await self._tx.all(
            "SELECT factory_id, sent_at, answered_at FROM notices"
            " WHERE state = ? AND answered_at IS NOT NULL AND (CAST(? AS TEXT) IS NULL OR factory_id = ?)",
            (NoticeState.ACKNOWLEDGED.value, factory_id, factory_id),
        )
        hours: dict[str, list[float]] = defaultdict(list)
        for row in answered:
            elapsed = datetime_from_text(row["answered_at"]) - datetime_from_text(row["sent_at"])
            hours[row["factory_id"]].append(elapsed / timedelta(hours=1))
        return {row["factory_id"]: NoticeTally(row["disputed"], row["awaiting"], row["past_deadline"],
                                               _mean(hours.get(row["factory_id"], [])))
                for row in rows}

    async def record_version(self, notice: Notice, instructions: list[dict]) -> None:
        """Keeps what this version of the notice says, so it stays readable after a revision."""
        await self._tx.write(
            "INSERT INTO notice_versions (notice_id, version, sent_by, sent_at, sent_platform, instructions)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (notice.id, notice.version, *decision_to_columns(notice.sent), json_to_text(instructions)),
        )

    async def revise(
        self, notice: Notice, instruction_ids: Sequence[int], sent: Decision, acknowledge_by: datetime
    ) -> Notice:
        """The next version of `notice`, sent afresh with `instruction_ids`; its answer cleared
        and a new round of reminders counted from its own deadline."""
        await self._tx.write(
            "UPDATE notices SET version = version + 1, state = ?, sent_by = ?, sent_at = ?, sent_platform = ?,"
            " answered_by = NULL, answered_at = NULL, answered_platform = NULL, dispute_reason = NULL,"
            " acknowledge_by = ?, deadline_round = deadline_round + 1 WHERE id = ?",
            (NoticeState.SENT.value, *decision_to_columns(sent), datetime_to_text(acknowledge_by), notice.id),
        )
        await self._tx.write("DELETE FROM notice_instructions WHERE notice_id = ?", (notice.id,))
        for position, instruction_id in enumerate(instruction_ids):
            await self._tx.write(
                "INSERT INTO notice_instructions (notice_id, position, instruction_id, visit_id)"
                " VALUES (?, ?, ?, ?)",
                (notice.id, position, instruction_id, notice.visit_id),
            )
        return await self.get(notice.id)

    async def version(self, notice_id: int, version: int) -> tuple[Decision, list[dict]] | None:
        """Who sent `version` of the notice and when, and its instructions as they read then."""
        row = await self._tx.one(
            "SELECT sent_by, sent_at, sent_platform, instructions FROM notice_versions"
            " WHERE notice_id = ? AND version = ?",
            (notice_id, version),
        )
        if row is None:
            return None
        sent = decision_from_columns(row["sent_by"], row["sent_at"], row["sent_platform"])
        return sent, json_from_text(row["instructions"])

    async def every(self) -> list[Notice]:
        return await self._select("1 = 1", ())

    async def awaiting_answer(self) -> list[Notice]:
        """Notices sent and not yet acknowledged, disputed or cancelled: the ones to chase."""
        return await self._select("state = ?", (NoticeState.SENT.value,))

    async def extend(self, notice: Notice, acknowledge_by: datetime) -> Notice:
        """A new deadline from the buyer; reminders start again, counted from it."""
        await self._tx.write(
            "UPDATE notices SET acknowledge_by = ?, deadline_round = deadline_round + 1 WHERE id = ?",
            (datetime_to_text(acknowledge_by), notice.id),
        )
        return await self.get(notice.id)

    async def save(self, notice: Notice) -> None:
        """Write the factory's answer or a cancellation, and a pending reminder request;
        number, version, contents and deadline never change here."""
        changed = await self._tx.write(
            "UPDATE notices SET state = ?, answered_by = ?, answered_at = ?, answered_platform = ?,"
            " dispute_reason = ?, reminder_requested_by = ? WHERE id = ?",
            (notice.state.value, *decision_to_columns(notice.answered), notice.dispute_reason,
             notice.reminder_requested_by, notice.id),
        )
        if changed == 0:
            raise NotFound("notice", notice.id)


    async def _select(self, where: str, params: Params) -> list[Notice]:
        """Notices matching `where`, oldest first, with their instruction ids in notice order
        (read separately: group_concat's order is unspecified before SQLite 3.44)."""
        rows = await self._tx.all(f"SELECT {COLUMNS} FROM notices WHERE {where} ORDER BY id", params)
        links = await self._tx.all(
            "SELECT notice_id, instruction_id FROM notice_instructions"
            f" WHERE notice_id IN (SELECT id FROM notices WHERE {where}) ORDER BY notice_id, position",
            params,
        )
        instruction_ids: dict[int, list[int]] = defaultdict(list)
        for link in links:
            instruction_ids[link["notice_id"]].append(link["instruction_id"])
        return [_notice(row, tuple(instruction_ids[row["id"]])) for row in rows]


def _notice(row: sqlite3.Row, instruction_ids: tuple[int, ...]) -> Notice:
    return Notice(
        id=row["id"],
        number=row["number"],
        version=row["version"],
        visit_id=row["visit_id"],
        factory_id=row["factory_id"],
        order_reference=row["order_reference"],
        instruction_ids=instruction_ids,
        state=NoticeState(row["state"]),
        sent=decision_from_columns(row["sent_by"], row["sent_at"], row["sent_platform"]),
        answered=optional_decision_from_columns(row["answered_by"], row["answered_at"], row["answered_platform"]),
        dispute_reason=row["dispute_reason"],
        acknowledge_by=optional_datetime_from_text(row["acknowledge_by"]),
        deadline_round=row["deadline_round"],
        reminder_requested_by=row["reminder_requested_by"],
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
