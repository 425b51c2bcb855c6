"""ISO 2859-1 single sampling plans, normal inspection (same as ANSI/ASQ Z1.4, MIL-STD-105E).

Table 1 gives a sample size code letter for a lot size and inspection level; Table 2-A
gives the sample size and the accept/reject numbers (Ac/Re) for that letter and an AQL.
Table 2-A is built from its diagonal structure instead of being typed cell by cell, so a
single mistyped cell cannot hide in it; the tests check it against a literal transcription.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from handlers.translatable import N_, Text

LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")

STANDARD_AQLS: tuple[Decimal, ...] = tuple(
    Decimal(value)
    for value in ("0.065", "0.10", "0.15", "0.25", "0.40", "0.65", "1.0", "1.5", "2.5", "4.0", "6.5", "10")
)

# AQL 0: no defective accepted, the usual rule for critical defects.
_ZERO_TOLERANCE = Decimal("0")

# Table 1: last lot size of each range; the range after the last bound is "500001 and over".
_LOT_RANGE_ENDS = (8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10000, 35000, 150000, 500000)

# Table 1: one code letter per lot-size range, for each level.
_CODE_LETTERS = {
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}

# Table 2-A rows, top to bottom; the standard skips the letters I and O.
_SAMPLE_SIZES = {
    "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50,
    "J": 80, "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000,
}
_ROW_LETTERS = tuple(_SAMPLE_SIZES)

# The full Table 2-A starts at AQL 0.010; 0.065, the first AQL offered here, is its fifth column.
_FIRST_AQL_COLUMN = 4

# Table 2-A cells holding numbers, by diagonal k = row + column - 14. The other diagonals
# hold arrows: k < 0 and k = 2 point down, k = 1 and k >= 11 point up.
_ACCEPT_REJECT_BY_DIAGONAL = {
    0: (0, 1), 3: (1, 2), 4: (2, 3), 5: (3, 4), 6: (5, 6),
    7: (7, 8), 8: (10, 11), 9: (14, 15), 10: (21, 22),
}


class AqlError(ValueError):
    """A lot size, inspection level or AQL that the standard's tables do not cover.

    `str()` is the English; `text` renders in a report checker's language."""

    def __init__(self, text: Text):
        super().__init__(str(text))
        self.text = text


@dataclass(frozen=True)
class SamplingPlan:
    """What to inspect for one lot: how many units, and how many defectives are acceptable."""

    lot_size: int
    level: str
    aql: Decimal
    code_letter: str
    plan_letter: str
    sample_size: int
    accept: int
    reject: int

    @property
    def hundred_percent(self) -> bool:
        """True when the sample is at least the lot: the standard then says inspect every unit."""
        return self.sample_size >= self.lot_size


def code_letter(lot_size: int, level: str = "II") -> str:
    """Table 1: the sample size code letter for a lot of `lot_size` units at `level`."""
    if lot_size < 2:
        raise AqlError(Text(N_("lot size must be at least 2, got %(lot_size)s"), lot_size=lot_size))
    if level not in _CODE_LETTERS:
        raise AqlError(Text(N_("inspection level %(level)s is unknown; use one of %(levels)s"),
                             level=repr(level), levels=", ".join(LEVELS)))
    return _CODE_LETTERS[level][bisect_left(_LOT_RANGE_ENDS, lot_size)]


def parse_aql(value: Decimal | float | str) -> Decimal:
    """The standard AQL equal to `value` (0 for zero tolerance), so 0.1 and "0.10" both give 0.10.

    Floats go through `str` so that 0.1 means 0.1 and not its binary approximation.
    """
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _not_a_standard_aql(value) from None
    if number.is_finite():  # comparing a signalling NaN would raise
        for aql in (_ZERO_TOLERANCE, *STANDARD_AQLS):
            if number == aql:
                return aql
    raise _not_a_standard_aql(value)


def _not_a_standard_aql(value: object) -> AqlError:
    """The error for a bad AQL, listing the allowed values so the user can pick one."""
    allowed = ", ".join(str(aql) for aql in STANDARD_AQLS)
    return AqlError(Text(N_("AQL %(value)s is not a standard value; use 0 or one of %(allowed)s"),
                         value=value, allowed=allowed))


def sampling_plan(lot_size: int, aql: Decimal | float | str, level: str = "II") -> SamplingPlan:
    """The single sampling plan, normal inspection, for a lot at an AQL and inspection level.

    AQL 0 is zero tolerance (critical defects): the code letter's own sample, Ac 0, Re 1.
    """
    letter = code_letter(lot_size, level)
    standard_aql = parse_aql(aql)
    if standard_aql == _ZERO_TOLERANCE:
        plan_letter, accept, reject = letter, 0, 1
    else:
        plan_letter, accept, reject = _table_2a(letter, standard_aql)
    return SamplingPlan(
        lot_size=lot_size,
        level=level,
        aql=standard_aql,
        code_letter=letter,
        plan_letter=plan_letter,
        sample_size=_SAMPLE_SIZES[plan_letter],
        accept=accept,
        reject=reject,
    )


def _table_2a(letter: str, aql: Decimal) -> tuple[str, int, int]:
    """Table 2-A: follow the arrows from (letter, aql) to the plan letter and its Ac, Re."""
    row = _ROW_LETTERS.index(letter)
    column = _FIRST_AQL_COLUMN + STANDARD_AQLS.index(aql)
    while (k := row + column - 14) not in _ACCEPT_REJECT_BY_DIAGONAL:
        row += _arrow(row, k)
    accept, reject = _ACCEPT_REJECT_BY_DIAGONAL[k]
    return _ROW_LETTERS[row], accept, reject


def _arrow(row: int, k: int) -> int:
    """The arrow in an empty cell: -1 for up, +1 for down.

    The k = 1 diagonal points up, except in row A, which has nothing above it; the
    published table shows a down arrow there (AQL 10).
    """
    if k >= 11 or (k == 1 and row > 0):
        return -1
    return 1
