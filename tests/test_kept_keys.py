"""Many update keys kept in one statement (repeats answered from a read, handlers/bus.py), on
both engines: each unless kept already, the first answer standing."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.store_engines import postgres_url, store  # noqa: F401 (fixtures: SQLite and PostgreSQL)

AT = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)


async def test_keys_are_kept_together_and_a_kept_one_keeps_its_first_answer(store) -> None:  # noqa: F811
    async with store.unit_of_work() as uow:
        await uow.updates.remember("telegram:1", {"code": "first"}, AT)
        await uow.updates.keep_all({"telegram:1": {"code": "again"}, "telegram:2": {"code": "already"}}, AT)
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.updates.result_of("telegram:1") == {"code": "first"}
        assert await uow.updates.result_of("telegram:2") == {"code": "already"}
