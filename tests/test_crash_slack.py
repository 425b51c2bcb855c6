"""The bot on Slack killed with SIGKILL while the buyer clicks and fills in a form, the factory
acknowledges and uploads its photo and the buyer asks in a DM, Slack retrying and people
clicking again, then started again (issue 12): every request the bot accepted acts exactly once.
tests/crash_slack.py says how the bot is killed where."""

from __future__ import annotations

import pytest

from tests.crash_slack import Outcome, broken_promises, run_case, run_cases
from tests.crash_world import reference_and_cases

pytestmark = pytest.mark.long_story(seconds=35)  # handed out first (tests/conftest.py)

SEEDS = range(1, 7)
KILLS = 2


@pytest.fixture(autouse=True, scope="module")
def no_proxies() -> None:
    """slack-sdk honours proxy variables even for 127.0.0.1 (the forked bots inherit this)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, no_proxies) -> dict:
    return reference_and_cases(tmp_path_factory.mktemp("slack-crashes"), run_case, run_cases, SEEDS, KILLS)


def test_the_run_without_kills_keeps_every_promise(outcomes: dict) -> None:
    reference: Outcome = outcomes["reference"]
    assert broken_promises(reference, reference) == []
    assert reference.kills == []
    assert " ERROR " not in reference.log


@pytest.mark.parametrize("seed", SEEDS)
def test_killed_and_restarted_each_accepted_request_acts_once(outcomes: dict, seed: int) -> None:
    case = outcomes[seed]
    if isinstance(case, Exception):
        raise case
    assert broken_promises(case, outcomes["reference"]) == [], case.kills


def test_summary(outcomes: dict, capsys: pytest.CaptureFixture) -> None:
    """Where the bots were killed, for the record (`pytest -s` shows it)."""
    cases = [outcomes[seed] for seed in SEEDS if isinstance(outcomes[seed], Outcome)]
    kills = [kill for case in cases for kill in case.kills]
    with capsys.disabled():
        print(f"\nSlack crash cases: {len(cases)}, kills: {len(kills)}: " + "; ".join(kills))
    assert len(kills) >= len(cases)  # most kill points land while the bot has work to do
