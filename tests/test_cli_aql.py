"""`followup aql LOT_SIZE`: an inspector looks up the sample to draw before opening cartons.

Expected plans are read by hand from ISO 2859-1 Table 1 (lot size → code letter) and
Table 2-A (code letter, AQL → sample size, Ac/Re, following the arrows).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli.followup import main


def aql(*args: str):
    return CliRunner().invoke(main, ["aql", *args])


def test_the_default_plan_for_the_example_lot():
    result = aql("2880")

    # 2880 is in 1201–3200 → level II code letter K, sample 125;
    # AQL 0 → Ac 0 / Re 1, AQL 2.5 → 7/8, AQL 4.0 → 10/11; no arrow, no 100 % note
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Lot 2,880, level II: code letter K",
        "  AQL 0: sample 125, accept 0, reject 1",
        "  AQL 2.5: sample 125, accept 7, reject 8",
        "  AQL 4.0: sample 125, accept 10, reject 11",
    ]


def test_chosen_aqls_as_json():
    result = aql("2880", "--aql", "0.65", "--aql", "2.5", "--json")

    # K row: AQL 0.65 → Ac 2 / Re 3, AQL 2.5 → Ac 7 / Re 8, both n 125
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"lot_size": 2880, "level": "II", "aql": "0.65", "code_letter": "K", "plan_letter": "K",
         "sample_size": 125, "accept": 2, "reject": 3, "hundred_percent": False},
        {"lot_size": 2880, "level": "II", "aql": "2.5", "code_letter": "K", "plan_letter": "K",
         "sample_size": 125, "accept": 7, "reject": 8, "hundred_percent": False},
    ]


def test_an_aql_is_shown_as_the_standard_writes_it():
    # 0.1 is the table's 0.10; K row at 0.10: Ac 0 / Re 1, n 125
    plan = json.loads(aql("2880", "--aql", "0.1", "--json").stdout)[0]
    assert (plan["aql"], plan["sample_size"], plan["accept"], plan["reject"]) == ("0.10", 125, 0, 1)


def test_level_three_takes_a_bigger_sample():
    result = aql("2880", "--level", "III")

    # 1201–3200 at level III → code letter L, sample 200: 0 → 0/1, 2.5 → 10/11, 4.0 → 14/15
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Lot 2,880, level III: code letter L",
        "  AQL 0: sample 200, accept 0, reject 1",
        "  AQL 2.5: sample 200, accept 10, reject 11",
        "  AQL 4.0: sample 200, accept 14, reject 15",
    ]


def test_a_lot_of_three_is_inspected_in_full_where_the_sample_reaches_it():
    result = aql("3")

    # 2–8 → code letter A, sample 2.
    # AQL 0: A itself, n 2 < 3 → no note
    # AQL 2.5: A ↓ B ↓ C 0/1, n 5 ≥ 3 → inspect all 3
    # AQL 4.0: A ↓ B 0/1, n 3 ≥ 3 → inspect all 3
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Lot 3, level II: code letter A"
    assert lines[1] == "  AQL 0: sample 2, accept 0, reject 1"
    assert lines[2].startswith("  AQL 2.5: sample 5 (arrow to C), accept 0, reject 1")
    assert lines[3].startswith("  AQL 4.0: sample 3 (arrow to B), accept 0, reject 1")
    for line in lines[2:]:
        assert line.endswith("inspect all 3 units")


def test_a_lot_of_three_as_json_flags_the_full_inspection():
    plans = json.loads(aql("3", "--json").stdout)

    assert [(p["plan_letter"], p["sample_size"], p["hundred_percent"]) for p in plans] == [
        ("A", 2, False), ("C", 5, True), ("B", 3, True),
    ]


def test_an_aql_outside_the_standard_is_refused_by_name():
    result = aql("2880", "--aql", "3")

    assert result.exit_code == 2
    assert "AQL 3 is not a standard value" in result.output
    assert "2.5" in result.output and "4.0" in result.output  # the allowed values are listed
    assert "sample" not in result.stdout  # no partial plan printed


def test_an_aql_that_is_not_a_number_is_refused_by_name():
    result = aql("2880", "--aql", "abc")

    assert result.exit_code == 2
    assert "AQL abc is not a standard value" in result.output


def test_a_lot_of_zero_is_refused():
    result = aql("0")

    assert result.exit_code == 2
    assert "LOT_SIZE" in result.output
    assert "0" in result.output


def test_a_lot_of_one_is_refused_as_too_small_for_the_tables():
    result = aql("1")

    assert result.exit_code == 2
    assert "lot size must be at least 2, got 1" in result.output


def test_an_unknown_level_is_refused():
    result = aql("2880", "--level", "IV")

    assert result.exit_code == 2
    assert "IV" in result.output
