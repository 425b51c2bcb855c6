"""A Slack request's body reads as Bolt reads it, whatever it holds: the endpoint's own
decoding of a button's form (bot/slack/endpoint.py) gives what Bolt's `parse_body` gives, or
refuses what it refuses, for the forms Slack sends and for anything else a body may be."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from hypothesis import example, given
from hypothesis import strategies as st
from slack_bolt.request.internals import parse_body

from bot.slack.endpoint import parsed_body

FORM = "application/x-www-form-urlencoded"
# What url-encoding and unicode_escape could read differently: escapes, plus, backslashes.
TRICKY = ["%", "%2", "%25", "%5C", "%5c", "%zz", "%E4%B8", "%E4%B8%AD", "%FF", "+", "%2B", "\\", "\\x41", "\\u4e2d",
          "\\N{DASH}", "&", "=", "payload=", "{", "}", '"', "a", " ", "中", "é", "\x00"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
tricky_text = st.lists(st.sampled_from(TRICKY), max_size=30).map("".join)


def read_by_bolt(text: str, content_type: str | None) -> object:
    try:
        return parse_body(text, content_type)
    except ValueError:
        return ValueError


def read_here(text: str, content_type: str | None) -> object:
    try:
        return parsed_body(text, content_type)
    except ValueError:
        return ValueError


@given(json_values, st.sampled_from([quote, None]))
def test_a_form_slack_sends_reads_as_bolt_reads_it(value, encoding) -> None:
    text = urlencode({"payload": json.dumps(value, ensure_ascii=False)}, quote_via=encoding or quote)
    assert read_here(text, FORM) == read_by_bolt(text, FORM) == value


@given(tricky_text, st.sampled_from([FORM, "application/json", None, "text/plain"]))
@example("payload=%7B%22a%22%3A%22%5Cx41%22%7D", FORM)
@example("payload=%22%E4%B8%22", FORM)
@example("payload=%22%E4%B8%AD%22+", FORM)
@example("payload=%22\\x41%22", FORM)
@example("payload=%22%2", FORM)
@example("payload=", FORM)
def test_any_body_reads_as_bolt_reads_it_or_is_refused_as_bolt_refuses_it(rest, content_type) -> None:
    for text in (rest, "payload=" + rest, 'payload="' + rest + '"'):
        assert read_here(text, content_type) == read_by_bolt(text, content_type), text
