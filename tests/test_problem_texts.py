"""What a report check says reads in the inspector's language, and `followup visit check` still
says it in the English it always did.

pydantic's errors are caught here from real validation, one input per error type we word
ourselves: the English must stay pydantic's own message (the CLI's output, which
tests/test_report_check.py compares), the Chinese must come from the catalog, and no context
value may be missing from a placeholder in either language.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from babel.messages.extract import extract_from_file
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from handlers.intake import bundle, checks, loading, photos, problems
from handlers.intake import reports as reader
from handlers.intake.problems import DATE_ERRORS, OWN_WORDING, from_validation_error
from handlers.model import characters
from handlers.model import report as schema
from handlers.translatable import Text
from messages.i18n import CHINESE, Language

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = Language(CHINESE)
OUR_WORDS = {"missing": "required field is missing", "extra_forbidden": "unknown field"}


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int


# error type → (what is validated, an input that makes pydantic raise exactly that type)
CASES: dict[str, tuple[Any, Any]] = {
    "missing": (Item, {}),
    "extra_forbidden": (Item, {"count": 1, "colour": "sage"}),
    "int_type": (schema.Count, "12"),
    "int_parsing": (int, "lots"),
    "int_from_float": (int, 1.5),
    "float_type": (float, [1]),
    "float_parsing": (float, "lots"),
    "finite_number": (Decimal, "NaN"),
    "decimal_type": (Decimal, [1]),
    "decimal_parsing": (Decimal, "2,5"),
    "greater_than": (schema.PositiveCount, 0),
    "greater_than_equal": (schema.Count, -1),
    "less_than": (Annotated[float, Field(lt=100)], 150),
    "less_than_equal": (Annotated[float, Field(le=100)], 150.5),
    "string_type": (str, 12),
    "string_pattern_mismatch": (schema.OrderReference, "x"),
    "string_too_short": (schema.ShortText, "  "),
    "string_too_long": (schema.ShortText, "x" * 201),
    "too_short": (Annotated[list[int], Field(min_length=1)], []),
    "too_long": (Annotated[list[schema.PhotoName], Field(max_length=20)], ["a.jpg"] * 21),
    "bool_type": (bool, [1]),
    "bool_parsing": (bool, "maybe"),
    "date_type": (date, None),
    "date_parsing": (Annotated[date, Field(strict=True)], "2026-13-01"),  # from JSON, see below
    "date_from_datetime_parsing": (date, "2026-11-31"),
    "date_from_datetime_inexact": (date, "2026-11-30T10:00"),
    "enum": (schema.Severity, "huge"),
    "literal_error": (Literal["I", "II", "III"], "IV"),
    "list_type": (list[str], "f1.jpg"),
    "dict_type": (dict[str, int], [1]),
    "model_type": (Item, "x"),
    "string_unicode": (schema.ShortText, "glaze \ud800 crawling"),  # JSON's "\ud800" reads as this
    "hidden_character": (schema.ShortText, "Made in \u202eCRP"),
    "single_value": (schema.ParamValue, ["EVA", "PU"]),
}


def pydantic_error(kind: str) -> ValidationError:
    validated, value = CASES[kind]
    adapter = TypeAdapter(validated)
    try:
        if kind == "date_parsing":  # strict dates are parsed as such only from JSON text
            adapter.validate_json(f'"{value}"')
        else:
            adapter.validate_python(value)
    except ValidationError as error:
        return error
    raise AssertionError(f"{value!r} passed as {validated}")


def pydantics_own_words(item: dict) -> str:
    """What `visit check` printed before problems were translatable: pydantic's message with its
    first letter lowered, and the bad input where it helps."""
    message = OUR_WORDS.get(item["type"]) or item["msg"][0].lower() + item["msg"][1:]
    value = item.get("input")
    if item["type"].endswith(("_type", "_parsing", "enum", "literal_error")) and not isinstance(value, (dict, list)):
        return f"{message}, got {value!r}"
    return message


def test_every_type_we_word_ourselves_has_a_case() -> None:
    assert set(CASES) == OWN_WORDING


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_pydantic_error_reads_as_before_in_english_and_in_chinese(kind: str) -> None:
    error = pydantic_error(kind)
    (item,) = error.errors(include_url=False)
    assert item["type"] == kind
    (problem,) = from_validation_error(error, prefix="findings.0")

    chinese = ZH.text(problem.text)

    assert problem.message == pydantics_own_words(item)
    assert CJK.search(chinese), chinese
    assert "%(" not in chinese and "%(" not in problem.message
    assert ZH.problem(problem.path, problem.text).startswith(f"{problem.path}：")


def test_the_chinese_names_the_limits_and_the_bad_input() -> None:
    def chinese(kind: str) -> str:
        (problem,) = from_validation_error(pydantic_error(kind))
        return ZH.text(problem.text)

    assert chinese("string_too_long") == "不能超过200个字符"
    assert chinese("too_long") == "列表最多20项，实际为21项"
    assert chinese("greater_than") == "应大于0"
    assert chinese("enum") == "应为'critical', 'major'或'minor'，实际填写为'huge'"
    assert chinese("date_from_datetime_parsing") == "应为有效日期（YYYY-MM-DD），日超出有效范围，实际填写为'2026-11-31'"
    assert chinese("missing") == "必填字段缺失"
    assert chinese("extra_forbidden") == "未知字段"


@pytest.mark.parametrize("value", ["soon", "2026/11/30", "２０２６-11-30", "2026-1x-01", "2026-11-3x", "2026-13-01",
                                   "2026-11-31", "2026-11-30x", "2026-11-30T10:00:00Zx"])
def test_what_the_date_parser_says_is_translated(value: str) -> None:
    """The words inside pydantic's date errors: if pydantic rewords one, this says so."""
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(date).validate_python(value)
    (item,) = raised.value.errors(include_url=False)
    assert item["ctx"]["error"] in DATE_ERRORS
    assert CJK.search(ZH.text(from_validation_error(raised.value)[0].text))


def test_a_type_we_do_not_word_falls_back_to_pydantics_english() -> None:
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(int).validate_python("9" * 5000)
    (problem,) = from_validation_error(raised.value)
    english = "unable to parse input string as an integer, exceeded maximum size"
    assert ZH.text(problem.text) == problem.message == english


def test_every_problem_a_report_check_can_state_has_a_chinese_translation() -> None:
    """The reports' checks, the catalog's parameter checks, AQL values and the word "none"."""
    keywords = {"N_": None, "Nn_": (1, 2)}
    # named as modules, not as a folder, so the check follows them wherever they live
    reading = (bundle, characters, checks, loading, photos, problems, reader, schema)
    files = [module.__file__ for module in reading]
    files += [str(ROOT / module) for module in ("handlers/catalog.py", "handlers/analysis/aql.py",
                                                  "handlers/translatable.py")]
    found = [message for file in files for _, message, _, _ in extract_from_file("python", file, keywords=keywords)]
    assert len(found) > 100

    def chinese(message: str | tuple[str, str]) -> str:
        return ZH.gettext(message) if isinstance(message, str) else ZH.ngettext(*message, 2)

    def english(message: str | tuple[str, str]) -> str:
        return message if isinstance(message, str) else message[1]

    assert [message for message in found if chinese(message) == english(message)] == []


def test_a_text_renders_its_parts_in_the_same_language() -> None:
    text = Text("unknown parameter for %(kind)s; allowed: %(allowed)s", kind="send_photos", allowed=Text("none"))

    assert str(text) == "unknown parameter for send_photos; allowed: none"
    assert ZH.text(text) == "send_photos不接受此参数；可用参数：无"
    assert ZH.text(Text.verbatim("as it is, 100%")) == "as it is, 100%"
