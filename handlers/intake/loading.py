"""A report file's text into plain data (mappings, lists, strings, numbers), safely.

The file comes from an inspector's upload, so its text is untrusted. YAML can say a lot in a
little: an alias repeats a whole subtree (a megabyte of aliases expanded to gigabytes), a merge
key copies fields in from elsewhere, nesting a few thousand levels deep exhausts Python's
recursion. A report needs none of that, so the loader refuses each with the line it is on,
before anything is built. JSON is scanned for its nesting depth before it is parsed, for the
same reason. Whatever the text holds, the answer is data or a problem, never an exception.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from handlers.intake.problems import Problem
from handlers.model.characters import describe
from handlers.translatable import N_, Text


@dataclass(frozen=True)
class LoadLimits:
    max_depth: int = 20  # a report's deepest field (an instruction parameter) is six levels down
    max_scalar_chars: int = 10_000  # the schema's longest text is 2,000 characters


class _Refused(yaml.MarkedYAMLError):
    """Something a report never needs, refused where it stands in the file."""

    def __init__(self, mark: yaml.Mark, text: Text):
        super().__init__(problem=str(text), problem_mark=mark)
        self.text = text


_AT_LINE = N_("line %(line)s: %(problem)s")
_ALIAS = N_("YAML aliases (*%(name)s) are not accepted; write the value out in full")
_ANCHOR = N_("YAML anchors (&%(name)s) are not accepted; write each value out in full")
_MERGE = N_("YAML merge keys (<<) are not accepted; write the fields out in full")
_DUPLICATE = N_("the key '%(key)s' appears twice in the same section; keep one")
_TOO_DEEP = N_("nested more than %(limit)s levels deep; a report needs far fewer")
_TOO_LONG = N_("a value of %(count)s characters; the limit is %(limit)s")
_NUMBER = N_("a number of more than %(limit)s digits; no count in a report is that long")


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser

    class _SafeLoader(Composer, CParser, SafeConstructor, Resolver):
        """libyaml reads the text, six times faster than PyYAML's own parser; nodes are composed
        in Python, where `_ReportLoader` watches them."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # a PyYAML built without libyaml
    _SafeLoader = yaml.SafeLoader


class _ReportLoader(_SafeLoader):
    """PyYAML's safe loader, without what a report never needs (see the module docstring).

    Dates stay text, as in JSON: pydantic then refuses 2026-11-31 with the field's path instead
    of PyYAML failing on the whole file without saying where."""

    limits = LoadLimits()

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark, Text(_ALIAS, name=event.anchor))
        if event.anchor is not None:
            raise _Refused(event.start_mark, Text(_ANCHOR, name=event.anchor))
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > self.limits.max_scalar_chars:
            text = Text(_TOO_LONG, count=f"{len(event.value):,}", limit=f"{self.limits.max_scalar_chars:,}")
            raise _Refused(event.start_mark, text)
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth:
                raise _Refused(event.start_mark, Text(_TOO_DEEP, limit=self.limits.max_depth))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key_node.start_mark, Text(_MERGE))
            if key_node.tag == "tag:yaml.org,2002:value":  # "=" as a key is plain text, as PyYAML has it
                key_node.tag = "tag:yaml.org,2002:str"
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise _Refused(key_node.start_mark, Text(_DUPLICATE, key=_shortened(key_node.value)))
                seen.add(key)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """An int too long for Python to read, refused where it stands."""
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise _Refused(node.start_mark, _number_too_long()) from None


_ReportLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ReportLoader.add_constructor("tag:yaml.org,2002:int", _ReportLoader.construct_yaml_int)


def load_report(path: Path, limits: LoadLimits = LoadLimits()) -> tuple[dict | None, list[Problem]]:
    """The report's top-level mapping, or None and the problem that prevents reading it."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = N_("not UTF-8 text: byte 0x%(byte)02X on line %(line)s cannot be read; save the report as UTF-8")
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem(path.name, Text(message, byte=data[exc.start], line=line))]
    if path.suffix.lower() == ".json":
        raw, problem = _json(text, limits)
    else:
        raw, problem = _yaml(text, limits)
    if problem is not None:
        return None, [Problem(path.name, problem)]
    if not isinstance(raw, dict):
        message = N_("the report must be a mapping of sections, got %(type)s")
        return None, [Problem(path.name, Text(message, type=type(raw).__name__))]
    return raw, []


def _number_too_long() -> Text:
    """Python refuses to turn longer digit strings into an int (a guard against slow parsing)."""
    return Text(_NUMBER, limit=f"{sys.get_int_max_str_digits():,}")


def _yaml(text: str, limits: LoadLimits) -> tuple[Any, Text | None]:
    loader = None
    try:
        loader = _ReportLoader(text)
        loader.limits = limits
        return loader.get_single_data(), None
    except _Refused as exc:
        return None, _at_line(exc.problem_mark, exc.text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as a NUL
        line = _line_at(text, exc.position)
        message = N_("the character %(char)s is not allowed in YAML; delete it")
        return None, Text(_AT_LINE, line=line, problem=Text(message, char=describe(chr(exc.character))))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and "maximum nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own guard
            return None, _at_line(mark, Text(_TOO_DEEP, limit=limits.max_depth))
        return None, _yaml_problem(exc)
    finally:
        if loader is not None:
            loader.dispose()


def _line_at(text: str, position: int) -> int:
    """The line of a reader error's position: libyaml counts bytes of the UTF-8, PyYAML characters."""
    if yaml.__with_libyaml__:
        return text.encode("utf-8")[:position].count(b"\n") + 1
    return text.count("\n", 0, position) + 1


def _yaml_problem(exc: yaml.YAMLError) -> Text:
    """Where the YAML breaks, in the reader's language; what breaks it, in PyYAML's English."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return Text(N_("not valid YAML: %(error)s"), error=problem)
    message = N_("not valid YAML: line %(line)s, column %(column)s: %(error)s")
    return Text(message, line=mark.line + 1, column=mark.column + 1, error=problem)


def _at_line(mark: yaml.Mark, text: Text) -> Text:
    return Text(_AT_LINE, line=mark.line + 1, problem=text)


# A JSON string (escapes included), a bracket, or a quote that opens a string never closed.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|"')


def _json(text: str, limits: LoadLimits) -> tuple[Any, Text | None]:
    if (too_deep := _json_depth_problem(text, limits.max_depth)) is not None:
        return None, too_deep
    try:
        return json.loads(text, object_pairs_hook=_unique_keys), None
    except json.JSONDecodeError as exc:
        message = N_("not valid JSON: line %(line)s, column %(column)s: %(error)s")
        return None, Text(message, line=exc.lineno, column=exc.colno, error=exc.msg)
    except _DuplicateKey as exc:
        return None, Text(_DUPLICATE, key=_shortened(exc.key))
    except ValueError:  # an integer of more than 4,300 digits
        return None, _number_too_long()


def _json_depth_problem(text: str, limit: int) -> Text | None:
    """The line where the nesting passes `limit`, found without parsing: parsing that deep is
    what must not happen."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                line = text.count("\n", 0, token.start()) + 1
                return Text(_AT_LINE, line=line, problem=Text(_TOO_DEEP, limit=limit))
        elif bracket in "]}":
            depth -= 1
        elif bracket == '"':
            return None  # a string never closed: the parser will say where
    return None


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _shortened(key: str, limit: int = 60) -> str:
    return key if len(key) <= limit else key[:limit] + "…"
