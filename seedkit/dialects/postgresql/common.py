"""What every part of the PostgreSQL dialect shares: session settings, schema filters, catalog lookups."""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from seedkit.model.tables import TableRef


# Session settings that make text output unambiguous and floats exact; the restore parses what the dump printed.
SESSION_SETTINGS = (
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "3"),
    ("bytea_output", "hex"),
)


SYSTEM_SCHEMA_FILTER = """n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'"""


SKIPPED_KINDS = {
    "p": ("partitioned table", "its rows are dumped and restored through its partitions"),
    "v": ("view", "views hold no data"),
    "m": ("materialized view", "derived data; refreshed after a restore"),
    "f": ("foreign table", "its data lives on another server"),
}


def set_local(conn: sa.Connection, settings: Sequence[tuple[str, str]]) -> None:
    raw = raw_connection(conn)
    for name, value in settings:
        raw.execute("SELECT set_config(%s, %s, true)", (name, value))


def default_schema(raw: Any) -> str:
    return raw.execute("SELECT coalesce(current_schema(), 'public')").fetchone()[0]


def schema_names(raw: Any, schemas: Sequence[str | None]) -> list[str]:
    """Catalog names for TableRef schemas: None is the connection's default schema."""
    default = default_schema(raw)
    return [default if s is None else s for s in schemas]


def relation_oids(raw: Any, refs: Sequence[TableRef]) -> dict[TableRef, int]:
    """The pg_class oid of each table; schema None is the connection's default schema."""
    if not refs:
        return {}
    schemas = schema_names(raw, [r.schema for r in refs])
    found = dict(
        ((schema, name), oid) for schema, name, oid in raw.execute(
            """SELECT r.nspname, r.relname, c.oid FROM unnest(%s::text[], %s::text[]) AS r(nspname, relname)
               JOIN pg_namespace n ON n.nspname = r.nspname
               JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.relname""",
            (schemas, [r.name for r in refs]),
        )
    )
    return {ref: found[(schema, ref.name)] for ref, schema in zip(refs, schemas)}


def raw_connection(conn: sa.Connection) -> Any:
    return conn.connection.driver_connection
