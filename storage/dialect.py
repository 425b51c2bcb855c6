"""The one place that knows how the repositories' SQLite SQL differs from PostgreSQL's.

The repositories write one SQL text, SQLite's; the PostgreSQL transaction passes each text
through `to_postgres` once (the result is cached by text) and runs what comes out. What the
rewrite cannot express is given to PostgreSQL by the schema instead
(storage/migrations/postgres/0021_baseline.sql defines json_valid, json_extract, julianday,
instr and reference_key as SQLite has them), so this module handles only syntax:

- placeholders: `?`, `?N` and `:name` become `$N` (`names` says which `:name` each is);
- `INSERT OR IGNORE` becomes `INSERT … ON CONFLICT DO NOTHING`;
- `json_each(text)` becomes the schema's `json_each_any`, whose values are text: the column
  compared with `IN (SELECT value FROM json_each(…))` is compared as text too, since
  PostgreSQL has no implicit integer = text (ids are written alike in JSON and as text);
- `json_group_array` is `json_agg`, `group_concat(x, sep)` is `string_agg(x, sep)`;
- `COLLATE BINARY` (byte order) is `COLLATE "C"` on the text;
- a LIMIT parameter of -1, SQLite's "no limit", is PostgreSQL's LIMIT NULL.

SQL that uses anything else SQLite-only is written portably in the repository itself
(`CAST(… AS INTEGER)`, `ON CONFLICT … DO UPDATE`), not special-cased here.

It also holds the statements behind PostgreSQL's per-key locks (`Transaction.lock` and
`try_lock`, which SQLite's BEGIN IMMEDIATE makes needless; docs/claims.md): transaction-level
advisory locks in a namespace of their own, keyed by the hash of a text such as
`outbox:telegram:-100123`. Two keys that hash alike only wait for each other, never wrongly
pass each other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

# A string literal, a quoted identifier or a comment (copied as they are), or a placeholder.
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\?(\d*)|(?<!:):([A-Za-z_]\w*)""")

LOCK_SPACE = 0x666F6C6C  # "foll": the advisory locks' first key, apart from other applications'
LOCK = f"SELECT pg_advisory_xact_lock({LOCK_SPACE}, hashtext($1))"
LOCK_SHARED = f"SELECT pg_advisory_xact_lock_shared({LOCK_SPACE}, hashtext($1))"
TRY_LOCK = f"SELECT pg_try_advisory_xact_lock({LOCK_SPACE}, hashtext($1))"
LOCK_ROWS = " FOR NO KEY UPDATE"  # appended to a SELECT of the rows to lock
SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"  # appended to a SELECT of rows to take unless someone holds them

_INSERT_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_IN_JSON_EACH = re.compile(r"([\w.]+)\s+IN\s+\(\s*SELECT\s+value\s+FROM\s+json_each\(", re.IGNORECASE)
_JSON_EACH_PATH = re.compile(r"\bjson_each\(([\w.]+),\s*('[^']*')\)", re.IGNORECASE)
_JSON_EACH = re.compile(r"\bjson_each\(", re.IGNORECASE)
_COLLATE_BINARY = re.compile(r"([\w.]+)\s+COLLATE\s+BINARY\b", re.IGNORECASE)
_LIMIT = re.compile(r"\bLIMIT\s+(\$\d+)", re.IGNORECASE)
_RENAMED = (
    (re.compile(r"\bjson_group_array\(", re.IGNORECASE), "json_agg("),
    (re.compile(r"\bgroup_concat\(", re.IGNORECASE), "string_agg("),
)


@dataclass(frozen=True)
class Statement:
    """A PostgreSQL statement and, for SQL written with `:name` placeholders, the name of
    each `$N` in order (empty for positional SQL)."""

    text: str
    names: tuple[str, ...]

    def arguments(self, params: Sequence[object] | Mapping[str, object]) -> Sequence[object]:
        if isinstance(params, Mapping):
            return [params[name] for name in self.names]
        return params


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> Statement:
    text, names = _placeholders(sql)
    text = _IN_JSON_EACH.sub(r"CAST(\1 AS TEXT) IN (SELECT value FROM json_each(", text)
    text = _JSON_EACH_PATH.sub(r"json_each_any(json_extract(\1, \2))", text)
    text = _JSON_EACH.sub("json_each_any(", text)
    text = _COLLATE_BINARY.sub(r'CAST(\1 AS TEXT) COLLATE "C"', text)
    text = _LIMIT.sub(r"LIMIT NULLIF(CAST(\1 AS BIGINT), -1)", text)
    for pattern, replacement in _RENAMED:
        text = pattern.sub(replacement, text)
    if _INSERT_OR_IGNORE.search(text):
        text = _INSERT_OR_IGNORE.sub("INSERT INTO", text)
        returning = _RETURNING.search(text)
        at = len(text.rstrip().rstrip(";")) if returning is None else returning.start()
        text = f"{text[:at].rstrip()} ON CONFLICT DO NOTHING {text[at:]}".rstrip()
    return Statement(text, names)


def _placeholders(sql: str) -> tuple[str, tuple[str, ...]]:
    """`?` counts up, `?N` is `$N`, each distinct `:name` gets the next number; quoted text
    and comments are left alone."""
    names: list[str] = []
    counter = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        number, name = match.group(1), match.group(2)
        if name is not None:
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        if number is None:
            return match.group(0)  # a literal or a comment
        if number:
            return f"${number}"
        counter += 1
        return f"${counter}"

    return _TOKEN.sub(replace, sql), tuple(names)
