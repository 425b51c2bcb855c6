"""Reading a buyer's order list (CSV or JSON) and checking every line, all problems at once.

Paths say where a problem is as the buyer sees the file: `row N: field` for CSV, N being the
line a spreadsheet shows (the header is row 1), and `[i].field` for a JSON array (i from 0).
Nothing is stored here; the caller imports the lines only when no problem is an error.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from handlers.intake.problems import Problem, errors, from_validation_error
from handlers.model.orders import COLUMNS, OrderLine, reference_key
from handlers.translatable import N_, Nn_, Text

MAX_BYTES = 20 * 1024 * 1024
_MORE_CELLS = Nn_("%(cells)s cells but %(columns)s column in the header",
                  "%(cells)s cells but %(columns)s columns in the header")


@dataclass(frozen=True)
class Row:
    label: str  # "row 7" in a CSV file, "[5]" in a JSON array
    raw: dict
    in_csv: bool

    def at(self, field: str) -> str:
        return f"{self.label}: {field}" if self.in_csv else f"{self.label}.{field}"


@dataclass(frozen=True)
class OrderList:
    lines: tuple[OrderLine, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not errors(list(self.problems))


def read_order_list(path: Path, factory_ids: Iterable[str]) -> OrderList:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        return OrderList((), (Problem("(file)", Text(N_("an order list is a .csv or .json file"))),))
    if path.stat().st_size > MAX_BYTES:
        return OrderList((), (Problem("(file)", Text(N_("larger than 20 MB"))),))
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM is what spreadsheets write
    except UnicodeDecodeError:
        return OrderList((), (Problem("(file)", Text(N_("not UTF-8 text"))),))
    rows, problems = _csv_rows(text) if suffix == ".csv" else _json_rows(text)
    return check_rows(rows, problems, factory_ids)


def check_rows(rows: list[Row], problems: list[Problem], factory_ids: Iterable[str]) -> OrderList:
    known = list(factory_ids)
    lines: list[OrderLine] = []
    first_seen: dict[str, str] = {}
    for row in rows:
        try:
            line = OrderLine.model_validate(row.raw)
        except ValidationError as error:
            problems += [_located(row, p) for p in from_validation_error(error)]
            line = None
        problems += _cross_checks(row, line, known)
        reference = row.raw.get("reference")
        if isinstance(reference, str) and (key := reference_key(reference)):
            if key in first_seen:
                problems.append(Problem(row.at("reference"), Text(
                    N_("%(reference)s is already in this file (%(first)s)"), reference=reference.strip(),
                    first=first_seen[key])))
                line = None
            first_seen.setdefault(key, row.label)
        if line is not None:
            lines.append(line)
    return OrderList(tuple(lines), tuple(problems))


def _cross_checks(row: Row, line: OrderLine | None, known: list[str]) -> list[Problem]:
    found = []
    factory = row.raw.get("factory")
    if isinstance(factory, str) and factory.strip() and factory.strip() not in known:
        found.append(Problem(row.at("factory"), Text(
            N_("unknown factory %(factory)s; configured factories: %(configured)s"),
            factory=factory.strip(), configured=", ".join(known))))
    if line is not None and line.ex_factory < line.final_inspection:
        found.append(Problem(row.at("ex_factory"), Text(
            N_("ex-factory date %(ex_factory)s is before the final inspection %(final_inspection)s"),
            ex_factory=line.ex_factory.isoformat(), final_inspection=line.final_inspection.isoformat())))
    if line is not None and line.production_start is not None and line.production_start >= line.final_inspection:
        found.append(Problem(row.at("production_start"), Text(
            N_("production start %(production_start)s is not before the final inspection %(final_inspection)s"),
            production_start=line.production_start.isoformat(), final_inspection=line.final_inspection.isoformat())))
    return found


def _located(row: Row, problem: Problem) -> Problem:
    return Problem(row.at(problem.path), problem.text, problem.level)


def _csv_rows(text: str) -> tuple[list[Row], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    problems = [Problem(f"row 1: {name or '(empty)'}", Text(N_("unknown column; columns: %(columns)s"),
                                                              columns=", ".join(COLUMNS)))
                for name in header if name not in COLUMNS]
    if not header:
        problems.append(Problem("row 1", Text(N_("no header row; columns: %(columns)s"), columns=", ".join(COLUMNS))))
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines between blocks of orders
        if len(cells) > len(header):
            problems.append(Problem(f"row {number}", Text.counted(_MORE_CELLS, len(header), cells=len(cells),
                                                                  columns=len(header))))
        raw = {name: cell.strip() for name, cell in zip(header, cells, strict=False)
               if name in COLUMNS and cell.strip()}
        rows.append(Row(f"row {number}", raw, in_csv=True))
    return rows, problems


def _json_rows(text: str) -> tuple[list[Row], list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        message = N_("not valid JSON: line %(line)s, column %(column)s: %(error)s")
        return [], [Problem("(top level)", Text(message, line=exc.lineno, column=exc.colno, error=exc.msg))]
    if not isinstance(data, list):
        return [], [Problem("(top level)", Text(N_("expected a list of orders")))]
    rows, problems = [], []
    for i, item in enumerate(data):
        if isinstance(item, dict):
            rows.append(Row(f"[{i}]", item, in_csv=False))
        else:
            problems.append(Problem(f"[{i}]", Text(N_("expected an object with the order's fields"))))
    return rows, problems
