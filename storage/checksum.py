"""One checksum of a store's data that reads the same on SQLite and PostgreSQL.

`followup db copy` proves a copy by computing this on both sides, so it must not depend on
how an engine hands a value back: SQLite keeps times as ISO text, booleans as 0/1, JSON as the
text it was given and blobs as bytes, where PostgreSQL may give datetimes, booleans, JSON
re-spelt by jsonb, Decimals and memoryviews, nor on the order rows come in (collations
differ between engines). So each value is put in one canonical form first, each row becomes
the JSON of its columns by name, and a table's rows are hashed in the order of their own
digests.
"""

from __future__ import annotations

import hashlib
import math
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from storage.codec import datetime_to_text


def canonical(value: object) -> object:
    """The value as both engines would agree on it: a JSON-able int, float, str, None, or a
    tagged list for a blob (so a blob never equals a text spelling the same characters)."""
    if value is None or isinstance(value, str) and not _looks_like_json(value):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):  # REAL, double precision, numeric
        return int(value) if math.isfinite(value) and value == int(value) else float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return ["blob", bytes(value).hex()]
    if isinstance(value, datetime):
        return datetime_to_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, str):  # JSON text: the same document however it was spelt
        return _json_text(json.loads(value))
    if isinstance(value, dict | list):  # a json/jsonb column read with a codec
        return _json_text(value)
    raise TypeError(f"no canonical form for a {type(value).__name__} value")


def row_digest(row: Mapping[str, object]) -> bytes:
    """A row's digest: its columns by name, so the engines' column order does not matter."""
    text = json.dumps({name: canonical(value) for name, value in row.items()}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).digest()


def table_checksum(digests: Iterable[bytes]) -> str:
    """The rows' digests in their own order: no engine's ORDER BY or collation involved."""
    total = hashlib.sha256()
    for digest in sorted(digests):
        total.update(digest)
    return total.hexdigest()


def store_checksum(tables: Mapping[str, str]) -> str:
    """Every table's checksum under its name, in name order."""
    total = hashlib.sha256()
    for name in sorted(tables):
        total.update(f"{name}={tables[name]}\n".encode())
    return total.hexdigest()


def _looks_like_json(text: str) -> bool:
    """A JSON object or array, which jsonb would re-spell; anything else is plain text."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def _json_text(document: object) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
