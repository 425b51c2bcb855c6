"""Typed answers survive a SIGKILL at every point of their handling (issue 12): after a restart
the factory's dispute reason, the buyer's new wording and a completion date have each taken
effect exactly once, the question they answer is closed, every update is handled and every
message owed is sent. tests/crash_answers.py says how the bot is killed where."""

from __future__ import annotations

import pytest

from tests.crash_answers import STORIES, Outcome, broken_cases, broken_promises, run_story, stories_side_by_side

pytestmark = pytest.mark.long_story(seconds=25)  # handed out first (tests/conftest.py)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return stories_side_by_side(tmp_path_factory.mktemp("answers"), STORIES, run_story)


@pytest.mark.parametrize("story", [s.name for s in STORIES])
def test_the_answer_takes_effect_once_wherever_the_bot_is_killed(outcomes: dict, story: str) -> None:
    cases = outcomes[story]
    reference: Outcome = cases["reference"]
    assert broken_promises(reference, reference) == []
    assert len(cases) >= 1 + 6 + 1  # every commit before and after, and at least the answer's reply
    assert broken_cases(cases, broken_promises) == {}
    unreached = [kill for kill, case in cases.items() if kill != "reference" and not case.kills]
    assert len(unreached) <= 1, unreached  # a call the run without kills made late may not come at all


def test_summary(outcomes: dict, capsys: pytest.CaptureFixture) -> None:
    """Where the bot was killed, for the record (`pytest -s` shows it)."""
    with capsys.disabled():
        for story, cases in outcomes.items():
            killed = [k for k, case in cases.items() if isinstance(case, Outcome) and case.kills]
            print(f"\n{story}: {len(cases) - 1} cases, killed {len(killed)} times: {', '.join(killed)}")
