"""Corrective instructions, from proposal through the factory's answer to verification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from handlers.model import Commitment, Instruction, InstructionState
from storage.codec import (
    date_from_text,
    date_to_text,
    decision_to_columns,
    json_from_text,
    json_to_text,
    optional_decision_from_columns,
)
from storage.errors import NotFound
from storage.transaction import Transaction

COLUMNS = (
    "i.id, i.visit_id, i.source, i.kind, i.params, i.note, i.note_zh, i.due, i.state,"
    " i.decided_by, i.decided_at, i.decided_platform, i.notice_id, i.reason, i.evidence, i.committed, i.commitment,"
    " i.description_zh, i.params_zh"
)

# Each column's name in a row read with COLUMNS, by position.
NAMES = tuple(column.strip().removeprefix("i.") for column in COLUMNS.split(","))
# Rows parsed lately, kept by their stored values: about a visit's worth several times over.
PARSED = 512

# The date an instruction of alias {i} is held to: its accepted commitment, else its due date
# (handlers.model.Instruction.deadline).
HELD_TO = "CASE WHEN {i}.commitment = 'accepted' AND {i}.committed IS NOT NULL THEN {i}.committed ELSE {i}.due END"
# handlers.model.Instruction.is_open_at_factory, for an IN (...).
OPEN_AT_FACTORY = "'sent', 'acknowledged', 'reopened'"
# The instructions the partial index `instructions_open` holds (migrations 0007, 0024).
INSTRUCTIONS_OPEN_INDEXED = "'disputed', 'sent', 'acknowledged', 'reopened'"


class Instructions:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(
        self,
        visit_id: int,
        source: str,
        kind: str,
        params: dict,
        note: str | None,
        note_zh: str | None,
        due: date,
    ) -> Instruction:
        state = InstructionState.PROPOSED
        instruction_id = await self._tx.insert(
            "INSERT INTO instructions (visit_id, source, kind, params, note, note_zh, due, state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (visit_id, source, kind, json_to_text(params), note, note_zh, date_to_text(due), state.value),
        )
        return Instruction(
            id=instruction_id,
            visit_id=visit_id,
            source=source,
            kind=kind,
            params=dict(params),
            note=note,
            note_zh=note_zh,
            due=due,
            state=state,
        )

    async def get(self, instruction_id: int) -> Instruction | None:
        row = await self._tx.one(f"SELECT {COLUMNS} FROM instructions AS i WHERE i.id = ?", (instruction_id,))
        return None if row is None else _instruction(row)

    async def factory_of(self, instruction_id: int) -> str | None:
        """The factory of the visit the instruction belongs to (None: no such instruction), in
        one point read: what a factory contact's rights are checked against at each tap, where
        reading the visit parsed its whole report (both never change once stored)."""
        row = await self._tx.one(
            "SELECT v.factory_id FROM instructions AS i JOIN visits AS v ON v.id = i.visit_id WHERE i.id = ?",
            (instruction_id,),
        )
        return None if row is None else row["factory_id"]

    async def for_visit(self, visit_id: int) -> list[Instruction]:
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM instructions AS i WHERE i.visit_id = ? ORDER BY i.id", (visit_id,)
        )
        return [_instruction(row) for row in rows]

    async def visit_version(self, instruction_id: int) -> tuple[int, int] | None:
        """The visit of `instruction_id` and the version of its instructions (None: no such
        instruction), in one point read of an index: the version changes whenever one of them
        does (migration 0027), so instructions read at a version still stand while it stands."""
        row = await self._tx.one(
            "SELECT i.visit_id, (SELECT SUM(v.version) FROM instructions AS v WHERE v.visit_id = i.visit_id)"
            " FROM instructions AS i WHERE i.id = ?",
            (instruction_id,),
        )
        return None if row is None else (row[0], int(row[1]))

    async def versioned(self, visit_id: int) -> tuple[int, tuple[Instruction, ...]]:
        """Every instruction of the visit, in one statement, with the version they were read at
        (`visit_version`): what a message about one decision shows beside it (handlers/views.py)."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS}, i.version FROM instructions AS i WHERE i.visit_id = ? ORDER BY i.id", (visit_id,)
        )
        return sum(row[-1] for row in rows), tuple(_parsed(tuple(row)[:-1]) for row in rows)

    async def for_visits(self, visit_ids: list[int]) -> dict[int, list[Instruction]]:
        """Several visits' instructions in one query, by visit id (every id present)."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM instructions AS i WHERE i.visit_id IN (SELECT value FROM json_each(?))"
            " ORDER BY i.id",
            (json_to_text(visit_ids),),
        )
        found: dict[int, list[Instruction]] = {visit_id: [] for visit_id in visit_ids}
        for row in rows:
            found[row["visit_id"]].append(_instruction(row))
        return found

    async def open_at_factories(self, todays: dict[str, str]) -> dict[str, tuple[int, int]]:
        """Per factory of `todays` (factory id -> today's date there), the instructions of its
        orders' latest visits that are open at the factory and how many of those are overdue:
        counted here, not by reading every instruction of thousands of orders."""
        rows = await self._tx.all(
            "WITH today(factory_id, day) AS MATERIALIZED (SELECT key, value FROM json_each(?))"
            f" SELECT v.factory_id, COUNT(*) AS open, SUM(CASE WHEN {HELD_TO.format(i='i')} < t.day THEN 1 ELSE 0 END) AS overdue"
            " FROM today t JOIN visits v ON v.factory_id = t.factory_id AND v.newest = 1"
            f" JOIN instructions i ON i.visit_id = v.id AND i.state IN ({OPEN_AT_FACTORY})"
            # Repeats the partial index's condition (migration 0007) word for word, so SQLite
            # counts from that index alone instead of reading 30,000 instruction rows.
            f" AND i.state IN ({INSTRUCTIONS_OPEN_INDEXED})"
            " GROUP BY v.factory_id",
            (json_to_text(todays),),
        )
        return {row["factory_id"]: (row["open"], row["overdue"]) for row in rows}

    async def for_notice(self, notice_id: int) -> list[Instruction]:
        """The instructions the notice carries, in the notice's order (not `notice_id`, which
        is whatever the caller last saved on each instruction)."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM notice_instructions AS n"
            " JOIN instructions AS i ON i.id = n.instruction_id"
            " WHERE n.notice_id = ? ORDER BY n.position",
            (notice_id,),
        )
        return [_instruction(row) for row in rows]

    async def open_at_factory(self) -> list[Instruction]:
        """Sent and not yet done (or reopened): what can fall overdue."""
        rows = await self._tx.all(
            f"SELECT {COLUMNS} FROM instructions AS i WHERE i.state IN (?, ?, ?) ORDER BY i.visit_id, i.id",
            (InstructionState.SENT.value, InstructionState.ACKNOWLEDGED.value, InstructionState.REOPENED.value),
        )
        return [_instruction(row) for row in rows]

    async def save(self, instruction: Instruction) -> None:
        """Write what can change after proposal; the visit, source and kind never do."""
        changed = await self._tx.write(
            "UPDATE instructions SET state = ?, decided_by = ?, decided_at = ?, decided_platform = ?,"
            " params = ?, note = ?, note_zh = ?, due = ?, notice_id = ?, reason = ?, evidence = ?,"
            " committed = ?, commitment = ?, description_zh = ?, params_zh = ? WHERE id = ?",
            (
                instruction.state.value,
                *decision_to_columns(instruction.decided),
                json_to_text(instruction.params),
                instruction.note,
                instruction.note_zh,
                date_to_text(instruction.due),
                instruction.notice_id,
                instruction.reason,
                json_to_text(list(instruction.evidence)),
                None if instruction.committed is None else date_to_text(instruction.committed),
                None if instruction.commitment is None else instruction.commitment.value,
                instruction.description_zh,
                json_to_text(instruction.params_zh),
                instruction.id,
            ),
        )
        if changed == 0:
            raise NotFound("instruction", instruction.id)


def _instruction(row: Sequence) -> Instruction:
    """The instruction a row holds. The outbox reads a visit's instructions again whenever one of
    them changed (a decision while it shows others), the hundred of a large visit each time: a
    row read before, value for value, is the instruction parsed then (frozen, its dicts never
    changed in place), so only the changed one pays for its JSON, dates and enums again."""
    return _parsed(tuple(row))


@lru_cache(maxsize=PARSED)
def _parsed(values: tuple) -> Instruction:
    row = dict(zip(NAMES, values, strict=True))
    return Instruction(
        id=row["id"],
        visit_id=row["visit_id"],
        source=row["source"],
        kind=row["kind"],
        params=json_from_text(row["params"]),
        note=row["note"],
        note_zh=row["note_zh"],
        due=date_from_text(row["due"]),
        state=InstructionState(row["state"]),
        decided=optional_decision_from_columns(row["decided_by"], row["decided_at"], row["decided_platform"]),
        notice_id=row["notice_id"],
        reason=row["reason"],
        evidence=tuple(json_from_text(row["evidence"])),
        committed=None if row["committed"] is None else date_from_text(row["committed"]),
        commitment=None if row["commitment"] is None else Commitment(row["commitment"]),
        description_zh=row["description_zh"],
        params_zh=json_from_text(row["params_zh"]),
    )
