"""ISO 2859-1 / ANSI Z1.4 sampling plans, checked against literal transcriptions of the tables.

The module builds Table 2-A from its diagonal structure; here the tables are typed cell by
cell as published and resolved independently, so a mistake in either shows up as a mismatch.
"""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest

from handlers.analysis.aql import (
    LEVELS,
    STANDARD_AQLS,
    AqlError,
    SamplingPlan,
    code_letter,
    parse_aql,
    sampling_plan,
)

# Table 1, as published: lot-size range, then the code letter at S-1 S-2 S-3 S-4 I II III.
TABLE_1 = """
2       8        A A A A A A B
9       15       A A A A A B C
16      25       A A B B B C D
26      50       A B B C C D E
51      90       B B C C C E F
91      150      B B C D D F G
151     280      B C D E E G H
281     500      B C D E F H J
501     1200     C C E F G J K
1201    3200     C D E G H K L
3201    10000    C D F G J L M
10001   35000    C D F H K M N
35001   150000   D E G J L N P
150001  500000   D E G J M P Q
500001  -        D E H K N Q R
"""

SAMPLE_SIZES = {
    "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50,
    "J": 80, "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000,
}

# Table 2-A (single sampling, normal inspection), as published, for the AQLs offered.
TABLE_2A = """
     0.065  0.10   0.15   0.25   0.40   0.65   1.0    1.5    2.5    4.0    6.5    10
A    ↓      ↓      ↓      ↓      ↓      ↓      ↓      ↓      ↓      ↓      0 1    ↓
B    ↓      ↓      ↓      ↓      ↓      ↓      ↓      ↓      ↓      0 1    ↑      ↓
C    ↓      ↓      ↓      ↓      ↓      ↓      ↓      ↓      0 1    ↑      ↓      1 2
D    ↓      ↓      ↓      ↓      ↓      ↓      ↓      0 1    ↑      ↓      1 2    2 3
E    ↓      ↓      ↓      ↓      ↓      ↓      0 1    ↑      ↓      1 2    2 3    3 4
F    ↓      ↓      ↓      ↓      ↓      0 1    ↑      ↓      1 2    2 3    3 4    5 6
G    ↓      ↓      ↓      ↓      0 1    ↑      ↓      1 2    2 3    3 4    5 6    7 8
H    ↓      ↓      ↓      0 1    ↑      ↓      1 2    2 3    3 4    5 6    7 8    10 11
J    ↓      ↓      0 1    ↑      ↓      1 2    2 3    3 4    5 6    7 8    10 11  14 15
K    ↓      0 1    ↑      ↓      1 2    2 3    3 4    5 6    7 8    10 11  14 15  21 22
L    0 1    ↑      ↓      1 2    2 3    3 4    5 6    7 8    10 11  14 15  21 22  ↑
M    ↑      ↓      1 2    2 3    3 4    5 6    7 8    10 11  14 15  21 22  ↑      ↑
N    ↓      1 2    2 3    3 4    5 6    7 8    10 11  14 15  21 22  ↑      ↑      ↑
P    1 2    2 3    3 4    5 6    7 8    10 11  14 15  21 22  ↑      ↑      ↑      ↑
Q    2 3    3 4    5 6    7 8    10 11  14 15  21 22  ↑      ↑      ↑      ↑      ↑
R    3 4    5 6    7 8    10 11  14 15  21 22  ↑      ↑      ↑      ↑      ↑      ↑
"""

ALLOWED_AQLS = "0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10"


def table_1_cases() -> list[tuple[int, str, str]]:
    """(lot size, level, letter) at both ends of every range; the open range at 500001 and 10 million."""
    cases = []
    for line in TABLE_1.strip().splitlines():
        first, last, *letters = line.split()
        lot_sizes = (int(first), 10_000_000) if last == "-" else (int(first), int(last))
        for level, letter in zip(LEVELS, letters, strict=True):
            cases += [(lot_size, level, letter) for lot_size in lot_sizes]
    return cases


def table_2a_grid() -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    """The typed Table 2-A as rows, AQL columns and a {(letter, aql): cell} map."""
    header, *lines = TABLE_2A.strip().splitlines()
    aqls = header.split()
    letters, cells = [], {}
    for line in lines:
        letter, *row = re.split(r"\s{2,}", line.strip())
        letters.append(letter)
        cells |= {(letter, aql): cell for aql, cell in zip(aqls, row, strict=True)}
    return letters, aqls, cells


def resolve_table_2a(letter: str, aql: str) -> tuple[str, int, int]:
    """Follow the typed arrows, as an inspector reading the table would: (plan letter, Ac, Re)."""
    letters, _, cells = table_2a_grid()
    row = letters.index(letter)
    while (cell := cells[letters[row], aql]) in ("↓", "↑"):
        row += 1 if cell == "↓" else -1
    accept, reject = cell.split()
    return letters[row], int(accept), int(reject)


def lot_reaching(letter: str) -> tuple[int, str]:
    """A lot size and level whose Table 1 code letter is `letter`."""
    return next((lot, level) for lot, level, expected in table_1_cases() if expected == letter)


TABLE_2A_LETTERS, TABLE_2A_AQLS, _ = table_2a_grid()


def test_the_typed_tables_cover_every_letter_and_standard_aql():
    assert TABLE_2A_LETTERS == list(SAMPLE_SIZES)
    assert [Decimal(aql) for aql in TABLE_2A_AQLS] == list(STANDARD_AQLS)
    assert {letter for _, _, letter in table_1_cases()} == set(SAMPLE_SIZES)


def test_standard_aqls_are_written_as_in_the_standard():
    assert ", ".join(str(aql) for aql in STANDARD_AQLS) == ALLOWED_AQLS


@pytest.mark.parametrize(("lot_size", "level", "letter"), table_1_cases())
def test_code_letter_matches_table_1(lot_size, level, letter):
    assert code_letter(lot_size, level) == letter


def test_code_letter_defaults_to_general_level_ii():
    assert code_letter(100) == "F"


@pytest.mark.parametrize("aql", TABLE_2A_AQLS)
@pytest.mark.parametrize("letter", TABLE_2A_LETTERS)
def test_sampling_plan_matches_table_2a(letter, aql):
    lot_size, level = lot_reaching(letter)
    plan_letter, accept, reject = resolve_table_2a(letter, aql)

    plan = sampling_plan(lot_size, aql, level)

    assert plan == SamplingPlan(
        lot_size=lot_size,
        level=level,
        aql=Decimal(aql),
        code_letter=letter,
        plan_letter=plan_letter,
        sample_size=SAMPLE_SIZES[plan_letter],
        accept=accept,
        reject=reject,
    )


@pytest.mark.parametrize(
    ("letter", "aql", "expected"),
    [
        ("F", "1.0", ("E", 0, 1)),
        ("F", "1.5", ("G", 1, 2)),
        ("F", "2.5", ("F", 1, 2)),
        ("J", "2.5", ("J", 5, 6)),
        ("L", "2.5", ("L", 10, 11)),
        ("N", "2.5", ("N", 21, 22)),
        ("N", "4.0", ("M", 21, 22)),
        ("A", "6.5", ("A", 0, 1)),
        ("A", "10", ("C", 1, 2)),
    ],
)
def test_worked_examples_from_the_table(letter, aql, expected):
    lot_size, level = lot_reaching(letter)
    plan = sampling_plan(lot_size, aql, level)
    assert (plan.plan_letter, plan.accept, plan.reject) == expected


def test_lot_of_100_at_level_ii_and_aql_2_5():
    plan = sampling_plan(100, "2.5")
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("F", 20, 1, 2)
    assert plan.level == "II"
    assert not plan.hundred_percent


@pytest.mark.parametrize(
    ("aql", "accept", "reject"),
    [("2.5", 10, 11), ("4.0", 14, 15), ("0.65", 3, 4)],
)
def test_lot_of_5000_at_level_ii(aql, accept, reject):
    plan = sampling_plan(5000, aql)
    assert (plan.code_letter, plan.plan_letter, plan.sample_size) == ("L", "L", 200)
    assert (plan.accept, plan.reject) == (accept, reject)


@pytest.mark.parametrize("letter", TABLE_2A_LETTERS)
def test_zero_tolerance_samples_the_code_letter_and_accepts_nothing(letter):
    lot_size, level = lot_reaching(letter)
    plan = sampling_plan(lot_size, 0, level)
    assert plan.aql == Decimal("0")
    assert (plan.code_letter, plan.plan_letter) == (letter, letter)
    assert (plan.sample_size, plan.accept, plan.reject) == (SAMPLE_SIZES[letter], 0, 1)


def test_sample_larger_than_the_lot_means_inspecting_every_unit():
    plan = sampling_plan(3, "10")
    assert (plan.code_letter, plan.plan_letter, plan.sample_size) == ("A", "C", 5)
    assert plan.hundred_percent


def test_sample_equal_to_the_lot_means_inspecting_every_unit():
    assert sampling_plan(2, "6.5").hundred_percent


def test_sampling_plan_is_immutable():
    with pytest.raises(FrozenInstanceError):
        sampling_plan(100, "2.5").accept = 5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.5", "2.5"),
        (2.5, "2.5"),
        (Decimal("2.50"), "2.5"),
        (0.1, "0.10"),
        ("0.1", "0.10"),
        ("0.10", "0.10"),
        (10, "10"),
        ("10.0", "10"),
        (" 4 ", "4.0"),
        (0, "0"),
        ("0.0", "0"),
    ],
)
def test_parse_aql_returns_the_standard_spelling(value, expected):
    assert str(parse_aql(value)) == expected


def test_sampling_plan_accepts_aql_as_float_and_decimal():
    assert sampling_plan(5000, 0.65) == sampling_plan(5000, Decimal("0.650")) == sampling_plan(5000, "0.65")


@pytest.mark.parametrize("value", ["3", 3, "abc", "", None, "NaN", "sNaN", "Infinity", "-2.5", 0.01])
def test_parse_aql_rejects_non_standard_values(value):
    with pytest.raises(AqlError) as error:
        parse_aql(value)
    assert str(error.value) == f"AQL {value} is not a standard value; use 0 or one of {ALLOWED_AQLS}"


def test_bad_aql_message_names_the_value():
    with pytest.raises(AqlError, match=r"^AQL 3 is not a standard value; use 0 or one of 0\.065, "):
        sampling_plan(100, "3")


def test_aql_error_is_a_value_error():
    assert issubclass(AqlError, ValueError)


@pytest.mark.parametrize("lot_size", [1, 0, -5])
def test_lot_smaller_than_two_is_rejected(lot_size):
    message = f"lot size must be at least 2, got {lot_size}"
    with pytest.raises(AqlError, match=f"^{message}$"):
        code_letter(lot_size)
    with pytest.raises(AqlError, match=f"^{message}$"):
        sampling_plan(lot_size, "2.5")


@pytest.mark.parametrize("level", ["IV", "ii", "S-5", ""])
def test_unknown_level_is_rejected(level):
    message = f"inspection level {level!r} is unknown; use one of S-1, S-2, S-3, S-4, I, II, III"
    with pytest.raises(AqlError) as error:
        sampling_plan(100, "2.5", level)
    assert str(error.value) == message
