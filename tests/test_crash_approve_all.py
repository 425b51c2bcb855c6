"""Approve all survives a SIGKILL at every point of its handling: after a restart and a second
tap, each of the seven instructions is approved exactly once, every finding message shows it,
the summary offers Send notice (7), every update is handled and every message owed is sent.
tests/crash_approve_all.py says how the bot is killed where."""

from __future__ import annotations

import pytest

from tests.crash_answers import broken_cases
from tests.crash_approve_all import Outcome, broken_promises, run_all
from tests.crash_world import with_forks

pytestmark = pytest.mark.long_story(seconds=25)  # handed out first (tests/conftest.py)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("approve-all")
    return with_forks(lambda forks: run_all(forks, folder))


def test_approve_all_decides_each_instruction_once_wherever_the_bot_is_killed(outcomes: dict) -> None:
    reference: Outcome = outcomes["reference"]
    assert broken_promises(reference, reference) == []
    assert len(outcomes) >= 1 + 6 + 7  # every commit before and after, and at least the finding edits
    assert broken_cases(outcomes, broken_promises) == {}
    unreached = [kill for kill, case in outcomes.items() if kill != "reference" and not case.kills]
    assert len(unreached) <= 1, unreached  # a call the run without kills made late may not come at all
