"""What a store's own catalog says about its tables, asked the same way of either engine.

Copying a store needs its tables in the order their references allow, each table's columns
(those a row is inserted with: not a generated one) and its key, and after copying, the
engine's id counter moved past the ids copied in. Each engine answers these from its own
catalog; the queries return the same shapes, so storage/tables.py runs either unchanged.
The engine is known by the store's url, which is all `followup db copy` is given.
"""

from __future__ import annotations

from dataclasses import dataclass

# Bookkeeping each store keeps for itself: the target's own migrations fill it.
NOT_COPIED = frozenset({"schema_migrations"})


@dataclass(frozen=True)
class Catalog:
    engine: str
    # (table, referenced table or NULL): one row per reference, one with NULL for every table.
    references: str
    # (column, position in the primary key, 0 for none) of the table given as the one parameter.
    columns: str
    # The id counter behind a table's `id` column (the one parameter its quoted name): one row,
    # NULL for an `id` no counter fills (a text id); None where the engine finds the next id
    # itself (SQLite: a rowid table's next id is its largest plus one).
    id_counter: str | None
    # Moves that counter past the table's largest id ({table} its quoted name, the one parameter
    # the counter). Asked only of a table id_counter names a counter for: a text id would not
    # even parse in it, so the two are separate questions.
    reset_ids: str | None


SQLITE = Catalog(
    engine="sqlite",
    references="""
        SELECT m.name, f."table" FROM sqlite_master AS m LEFT JOIN pragma_foreign_key_list(m.name) AS f
        WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
    """,
    # table_info leaves out generated columns (table_xinfo would list them as hidden).
    columns="SELECT name, pk FROM pragma_table_info(?) ORDER BY cid",
    id_counter=None,
    reset_ids=None,
)

# Written against information_schema and pg_catalog; tests/test_db_copy.py runs it
# on a real server in both directions.
POSTGRES = Catalog(
    engine="postgresql",
    references="""
        SELECT t.table_name, r.table_name
        FROM information_schema.tables AS t
        LEFT JOIN information_schema.table_constraints AS c
          ON c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'FOREIGN KEY'
        LEFT JOIN information_schema.constraint_column_usage AS r
          ON r.constraint_schema = c.constraint_schema AND r.constraint_name = c.constraint_name
        WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
    """,
    columns="""
        SELECT c.column_name, COALESCE(k.ordinal_position, 0)
        FROM information_schema.columns AS c
        LEFT JOIN information_schema.table_constraints AS p
          ON p.table_schema = c.table_schema AND p.table_name = c.table_name AND p.constraint_type = 'PRIMARY KEY'
        LEFT JOIN information_schema.key_column_usage AS k
          ON k.constraint_name = p.constraint_name AND k.table_schema = c.table_schema
         AND k.table_name = c.table_name AND k.column_name = c.column_name
        WHERE c.table_schema = current_schema() AND c.table_name = ? AND c.is_generated = 'NEVER'
        ORDER BY c.ordinal_position
    """,
    id_counter="SELECT pg_get_serial_sequence(CAST(? AS TEXT), 'id')",
    # GREATEST ignores NULL: an empty table's counter starts at 1 again (is_called false).
    reset_ids="""
        SELECT setval(CAST(CAST(? AS TEXT) AS regclass), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL)
        FROM {table}
    """,
)

_BY_SCHEME = {"sqlite": SQLITE, "postgresql": POSTGRES, "postgres": POSTGRES}


def catalog_for(url: str) -> Catalog:
    """The catalog of the engine a store url names; ValueError naming the scheme otherwise
    (only the scheme: the rest of a url may hold a password)."""
    scheme, colon, _ = url.partition(":")
    if not colon:
        raise ValueError("the database url has no scheme; use sqlite:///PATH or postgresql://…")
    if scheme not in _BY_SCHEME:
        raise ValueError(f"unsupported database url scheme {scheme!r}; use sqlite:///PATH or postgresql://…")
    return _BY_SCHEME[scheme]
