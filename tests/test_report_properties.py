"""Properties of the report reader, over inputs hypothesis makes up.

Whatever an upload holds — random bytes, any JSON-like data, data shaped almost like a report —
reading it gives problems or a report, never an exception; and a valid report written out as
JSON or YAML reads back as the same report.
"""

from __future__ import annotations

import copy
import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from handlers.intake.reports import CheckedReport, read_report
from handlers.model.characters import hidden_character
from handlers.model.report import FindingCategory, Severity, VisitReport
from tests.conftest import EXAMPLE_VISIT

FACTORIES = ["NB-EVERGREEN"]
EXAMPLE = yaml.safe_load((EXAMPLE_VISIT / "report.yaml").read_text(encoding="utf-8"))
SECTION_KEYS = ["version", "order", "visit", "progress", "materials", "findings", "packaging", "photos",
                "reference", "quantity", "date", "instruction", "params", "kind", "due", "checks"]
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(content: bytes, suffix: str) -> CheckedReport:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"report{suffix}"
        path.write_bytes(content)
        with read_report(path, FACTORIES) as checked:
            return checked


def answered(checked: CheckedReport) -> bool:
    """Problems that say what is wrong, or a report: never neither."""
    return bool(checked.problems) or checked.report is not None


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                    st.dates().map(str))
keys = st.one_of(st.sampled_from(SECTION_KEYS), st.text(max_size=12))
json_like = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                          st.dictionaries(keys, inner, max_size=6)), max_leaves=40)


@PROPERTY
@given(content=st.binary(max_size=2000), suffix=st.sampled_from([".yaml", ".json", ".zip"]))
def test_any_bytes_give_problems_or_a_report(content: bytes, suffix: str) -> None:
    assert answered(read(content, suffix))


@PROPERTY
@given(data=st.dictionaries(keys, json_like, max_size=8))
def test_any_mapping_gives_problems_or_a_report_as_json_and_as_yaml(data: dict) -> None:
    assert answered(read(json.dumps(data).encode(), ".json"))
    assert answered(read(yaml.safe_dump(data, allow_unicode=True).encode(), ".yaml"))


@st.composite
def almost_reports(draw) -> dict:
    """The example with a few of its fields replaced by anything: closer to the checks' edges
    than random mappings get."""
    report = copy.deepcopy(EXAMPLE)
    for _ in range(draw(st.integers(1, 4))):
        node = report
        while choices := list(node.items()) if isinstance(node, dict) else list(enumerate(node)):
            key, child = draw(st.sampled_from(choices))
            if not isinstance(child, (dict, list)) or draw(st.booleans()):
                node[key] = draw(json_like)
                break
            node = child
    return report


@PROPERTY
@given(data=almost_reports())
def test_a_report_with_any_field_broken_gives_problems_or_a_report(data: dict) -> None:
    checked = read(json.dumps(data, default=str).encode(), ".json")
    assert answered(checked)
    if checked.report is None:
        assert any(problem.level == "error" for problem in checked.problems)


def text(max_size: int):
    """Text the schema accepts: visible characters, not blank."""
    alphabet = st.characters(exclude_categories=("Cs", "Cc"))
    return (st.text(alphabet, min_size=1, max_size=max_size).map(str.strip)
            .filter(lambda value: value and hidden_character(value) is None))


@st.composite
def valid_reports(draw) -> VisitReport:
    report = copy.deepcopy(EXAMPLE)
    visit = date(2026, 11, 24) + timedelta(days=draw(st.integers(-300, 300)))
    report["visit"]["date"] = visit.isoformat()
    report["visit"]["inspector"] = draw(text(200))
    report["order"]["product"]["name"] = draw(text(200))
    report["order"]["quantity"] = draw(st.integers(1, 10**9))
    findings = []
    for finding in draw(st.lists(st.sampled_from(EXAMPLE["findings"]), max_size=5)):
        finding = copy.deepcopy(finding)
        finding.update(description=draw(text(2000)), category=draw(st.sampled_from(list(FindingCategory))).value,
                       severity=draw(st.sampled_from(list(Severity))).value, photos=[])
        finding["units_checked"] = draw(st.integers(1, 10**6))
        finding["units_affected"] = draw(st.integers(1, finding["units_checked"]))
        findings.append(finding)
    report["findings"] = findings
    report["materials"] = [{**m, "photos": []} for m in report["materials"]]
    report["packaging"]["checks"] = [{**c, "photos": []} for c in report["packaging"]["checks"]]
    try:
        return VisitReport.model_validate(report)
    except ValidationError:
        assume(False)


@PROPERTY
@given(report=valid_reports())
def test_a_valid_report_reads_back_as_itself_from_json_and_from_yaml(report: VisitReport) -> None:
    data = report.model_dump(mode="json")

    from_json = read(json.dumps(data, ensure_ascii=False).encode(), ".json")
    from_yaml = read(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode(), ".yaml")

    assert from_json.report == report, from_json.problems
    assert from_yaml.report == report, from_yaml.problems
