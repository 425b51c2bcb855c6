"""Every photo the factory sent as proof, round by round (storage/migrations/0015_inputs.sql)."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

from handlers.model import Decision, EvidencePhoto, EvidenceRound
from storage.codec import decision_from_columns, decision_to_columns
from storage.transaction import Transaction


class Evidence:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(self, instruction_id: int, round_number: int, photos: tuple[str, ...], added: Decision,
                  captured: dict[str, datetime]) -> None:
        """Appends `photos` to the round, after those it holds (read, then written: under the
        instruction's evidence lock)."""
        await self._tx.lock(f"evidence:{instruction_id}")
        row = await self._tx.one(
            "SELECT COALESCE(MAX(position), 0) FROM evidence_photos WHERE instruction_id = ? AND round = ?",
            (instruction_id, round_number),
        )
        for position, sha256 in enumerate(photos, start=row[0] + 1):
            taken = captured.get(sha256)
            await self._tx.write(
                "INSERT INTO evidence_photos (instruction_id, round, position, sha256, captured_at,"
                " added_by, added_at, added_platform) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (instruction_id, round_number, position, sha256, None if taken is None else taken.isoformat(),
                 *decision_to_columns(added)),
            )

    async def latest_round(self, instruction_id: int) -> int:
        """The number of the instruction's latest round; 0 before its first done report."""
        row = await self._tx.one("SELECT COALESCE(MAX(round), 0) FROM evidence_photos WHERE instruction_id = ?",
                                 (instruction_id,))
        return row[0]

    async def rounds(self, instruction_id: int) -> tuple[EvidenceRound, ...]:
        """The instruction's rounds, oldest first; empty before its first done report."""
        rows = await self._tx.all(
            "SELECT round, sha256, captured_at, added_by, added_at, added_platform FROM evidence_photos"
            " WHERE instruction_id = ? ORDER BY round, position",
            (instruction_id,),
        )
        return tuple(
            EvidenceRound(number, tuple(
                EvidencePhoto(row["sha256"], decision_from_columns(row["added_by"], row["added_at"], row["added_platform"]),
                              None if row["captured_at"] is None else datetime.fromisoformat(row["captured_at"]))
                for row in photos))
            for number, photos in groupby(rows, key=lambda row: row["round"])
        )
