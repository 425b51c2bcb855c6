"""`followup run --replica-id NAME`: with several replicas writing to one log collector and
claiming from one outbox, each line and each claim says which replica it is."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from click.testing import CliRunner

from bot.cli.followup import main
from bot.outbox.replica import Replica
from tests.conftest import EXAMPLE_CONFIG
from tests.test_telegram_polling import followup_run, refusing_telegram

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


async def test_every_log_line_of_the_run_names_the_replica(tmp_path: Path) -> None:
    async with refusing_telegram() as (env, _):
        _, _, err = await followup_run(tmp_path, env, "--replica-id", "web-2")

    logged = [line for line in err.decode().splitlines() if LOG_LINE.match(line)]
    assert logged, err.decode()
    assert [line for line in logged if " [web-2] " not in line] == []
    assert any("the outbox claims as web-2=" in line for line in logged)  # what its claims are written with


def test_a_named_replica_claims_under_its_name_and_is_still_known_dead_or_alive() -> None:
    named = Replica.this_process("web-2")
    assert str(named).startswith("web-2=") and named.label == "web-2"
    assert Replica.parse(str(named)) == named and not named.is_dead()
    gone = dataclasses.replace(named, started="1")  # the same pid started at another moment: restarted
    assert Replica.parse(str(gone)).is_dead()
    unnamed = Replica.this_process()
    assert "=" not in str(unnamed) and unnamed.label.endswith(f":{unnamed.pid}")


def test_a_replica_id_that_would_not_fit_a_log_line_or_a_claim_is_refused() -> None:
    for bad in ("web=2", "a:b", "", "-leading", "x" * 65, "名前"):
        result = CliRunner().invoke(main, ["run", "--replica-id", bad, "--config", str(EXAMPLE_CONFIG)])
        assert result.exit_code == 2 and "--replica-id" in result.output, (bad, result.output)
