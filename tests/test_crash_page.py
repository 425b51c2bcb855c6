"""A factory's answer through the notice page survives a SIGKILL where it commits (issue 14):
after a restart and the phone sending the same form again, the acknowledgement, or the done
report with its photos, is there exactly once, the page says what it did, and the buyer is told
once. tests/crash_page.py says how the bot is killed where."""

from __future__ import annotations

import pytest

from tests.crash_answers import broken_cases, stories_side_by_side
from tests.crash_page import KILLS, STORIES, Outcome, broken_promises, run_story

pytestmark = pytest.mark.long_story(seconds=12)  # handed out first (tests/conftest.py)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return stories_side_by_side(tmp_path_factory.mktemp("page"), STORIES, run_story)


@pytest.mark.parametrize("story", [s.name for s in STORIES])
def test_a_page_answer_takes_effect_once_wherever_the_bot_is_killed(outcomes: dict, story: str) -> None:
    cases = outcomes[story]
    reference = cases["reference"]
    assert isinstance(reference, Outcome), reference
    assert broken_promises(reference, reference) == []
    assert set(cases) == {"reference", *KILLS}
    assert broken_cases(cases, broken_promises) == {}
    assert all(cases[kill].killed and cases[kill].answers[0][0] == 0 for kill in KILLS), "each kill came"
