"""followup.toml: a bad file is refused at start with every problem listed, and nothing runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.followup import main
from bot.config import ConfigError, config_path, load_config
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_VISIT


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "followup.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    return [str(p) for p in refused.value.problems]


def test_the_example_config_loads_with_chinese_locale_normalised() -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert [f.id for f in config.factories] == ["NB-EVERGREEN"]
    assert {p.name: p.locale for p in config.people}["Li Wei"] == "zh_Hans_CN"


def test_every_problem_in_a_bad_config_is_listed_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, """
[storage]
url = 3

[analysis]
packaging_materials_pct = 140

[[factories]]
id = "NB"
name = "Ningbo"
timezone = "Mars/Olympus"
working_days = ["mon", "funday"]

[[people]]
name = "Li"
role = "boss"
""")
    assert problems_of(path) == [
        "storage.url: input should be a valid string, got 3",
        "analysis.packaging_materials_pct: input should be less than or equal to 100",
        "factories.0.name_zh: required field is missing",
        "factories.0.timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as Asia/Shanghai",
        "factories.0.working_days: unknown weekday 'funday'; use mon, tue, wed, thu, fri, sat, sun",
        "people.0.role: input should be 'buyer', 'inspector', 'factory' or 'admin', got 'boss'",
    ]


def test_people_must_fit_the_factories_and_each_other(tmp_path: Path) -> None:
    path = write(tmp_path, """
[[factories]]
id = "NB"
name = "Ningbo"
name_zh = "宁波"

[[people]]
name = "Li"
role = "factory"
factory = "SZ"
telegram_user_id = 7

[[people]]
name = "Anna"
role = "buyer"
factory = "NB"
telegram_user_id = 7
locale = "fr"
""")
    assert problems_of(path) == [
        "people.1.telegram_user_id: 7 is used twice",
        "people.0.factory: unknown factory 'SZ'; configured: NB",
        "people.1.locale: unsupported locale 'fr'; use en, en_GB or zh_Hans_CN",
        "people.1.factory: only factory contacts are bound to a factory",
    ]


FACTORY = """
[[factories]]
id = "NB"
name = "Ningbo"
name_zh = "宁波"
"""


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ("remind_every_hours = 0", "factories.0.remind_every_hours: input should be greater than or equal to 1"),
        ('working_hours_start = "18:00"\nworking_hours_end = "08:30"',
         "factories.0: working_hours_end 08:30 must be after working_hours_start 18:00"),
        ("acknowledge_within_hours = 48\nescalate_after_hours = 24",
         "factories.0: escalate_after_hours (24) must not be before the acknowledgement deadline"
         " (acknowledge_within_hours = 48)"),
        ('manager = "Anna"', "factories.0.manager: 'Anna' is not a factory contact of NB in [[people]]"),
    ],
    ids=["no-reminder-interval", "working-hours-inverted", "escalation-before-deadline", "manager-not-a-contact"],
)
def test_chasing_settings_must_make_sense(tmp_path: Path, settings: str, problem: str) -> None:
    path = write(tmp_path, FACTORY + settings + '\n\n[[people]]\nname = "Anna"\nrole = "buyer"\n')
    assert problems_of(path) == [problem]


def test_a_file_that_is_not_toml_is_refused_by_name(tmp_path: Path) -> None:
    assert problems_of(write(tmp_path, "[storage\nurl=")) [0].startswith("followup.toml: not valid TOML")


def test_the_cli_refuses_to_start_on_a_bad_config_and_lists_the_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "[analysis]\ngap_pts_at_risk = -1\n")
    result = CliRunner().invoke(main, ["visit", "check", str(EXAMPLE_VISIT / "report.yaml"), "--config", str(path)])
    assert result.exit_code == 2
    assert "analysis.gap_pts_at_risk: input should be greater than or equal to 0" in result.output


def test_the_config_is_found_by_option_then_environment_then_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOLLOWUP_CONFIG", raising=False)
    assert config_path(None) == EXAMPLE_CONFIG
    (tmp_path / "followup.toml").write_text("")
    assert config_path(None) == Path("followup.toml")
    monkeypatch.setenv("FOLLOWUP_CONFIG", "/etc/followup.toml")
    assert config_path(None) == Path("/etc/followup.toml")
    assert config_path(Path("mine.toml")) == Path("mine.toml")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0", "retention.updates_days: input should be greater than or equal to 1"),
        ('"30"', "retention.updates_days: input should be a valid integer, got '30'"),
        ("7.5", "retention.updates_days: input should be a valid integer, got 7.5"),
        ("true", "retention.updates_days: input should be a valid integer, got True"),
    ],
    ids=["zero", "text", "fraction", "boolean"],
)
def test_retention_must_be_a_positive_whole_number_of_days(tmp_path: Path, value: str, problem: str) -> None:
    assert problems_of(write(tmp_path, f"[retention]\nupdates_days = {value}\n")) == [problem]
    assert load_config(write(tmp_path, "[retention]\nupdates_days = 7\n")).retention.updates_days == 7
    assert load_config(write(tmp_path, "")).retention.updates_days == 30


def test_nobody_is_configured_as_a_stranger(tmp_path: Path) -> None:
    """A stranger is someone the bot does not act for, known by an account alone (handlers.strangers)."""
    path = write(tmp_path, '[[people]]\nname = "Mallory"\nrole = "stranger"\n')
    assert problems_of(path) == [
        "people.0.role: input should be 'buyer', 'inspector', 'factory' or 'admin', got 'stranger'"]
