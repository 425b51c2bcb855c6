"""What the rights check reads at each tap (issue 17), held by the statements it runs on a real
SQLite store, without timing anything: a factory contact's tap on an instruction is judged from
the instruction's factory alone, one point read, never by reading (and parsing) its visit."""

from __future__ import annotations

import pytest

from handlers.commands import ReportDone
from handlers.model import Role
from handlers.rights import Forbidden, authorise
from storage.connection import raw
from tests.conftest import actor, post_example


async def test_a_factory_contacts_tap_is_judged_from_one_point_read(app, config) -> None:
    visit_id = await post_example(app, config)
    async with app.store.unit_of_work() as uow:
        instruction = (await uow.instructions.for_visit(visit_id))[0].id
    statements: list[str] = []
    raw(app.store._writer._conn).set_trace_callback(statements.append)  # noqa: SLF001
    async with app.store.unit_of_work(short=True) as uow:
        await authorise(ReportDone(instruction), actor(config, Role.FACTORY), uow)
        with pytest.raises(Forbidden, match="not_your_factory"):
            await authorise(ReportDone(instruction + 1000), actor(config, Role.FACTORY), uow)  # no such instruction
    raw(app.store._writer._conn).set_trace_callback(None)  # noqa: SLF001
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 2 and not any("FROM visits" in s for s in reads)
