"""An exact, comparable picture of a database, for asserting "restored exactly" and "left unchanged".

``database_state(url)`` reads, through the raw driver (no SQLAlchemy type processing):
- every base table's rows, as canonical strings, sorted so order does not matter (duplicates kept);
- the column names and declared types of each table;
- sequence state (PostgreSQL sequences, SQLite ``sqlite_sequence``, MySQL/MariaDB AUTO_INCREMENT counters);
- triggers (definition and, on PostgreSQL, whether enabled);
- schema objects: tables, views, materialized views, indexes, constraints, types, functions, with definitions.

Views and materialized views appear among the schema objects but their rows are not read.

Values are rendered so that distinct stored values never render the same:
- SQLite: ``<storage class>:<value>`` (``integer:1`` vs ``text:1``), floats with ``repr``, blobs in hex;
- PostgreSQL: ``col::text`` in a session with UTC, ISO dates and hex bytea, so NaN, -0, intervals, arrays, enums and
  timestamptz compare exactly; the declared type (``format_type``) is recorded per column;
- MySQL/MariaDB: the server's own text for each value (no driver conversion), binary values in hex, FLOAT widened to
  DOUBLE so its exact bits show; session time zone UTC; the column type is recorded per column.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects import mysql as sa_mysql
from sqlalchemy.dialects import sqlite as sa_sqlite
from sqlalchemy.engine import make_url

from backends import connect_raw

Row = tuple[str | None, ...]
# How many differing rows a diff shows per table before summarising.
DIFF_ROW_LIMIT = 5


@dataclass(frozen=True)
class TableState:
    """One base table: its columns as (name, declared type) and its rows sorted into a canonical order."""

    columns: tuple[tuple[str, str], ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class DatabaseState:
    """Everything a restore may change. Compare with ``==``; ``diff`` says what differs in readable lines.

    Keys are table/sequence names; PostgreSQL names outside ``public`` are schema-qualified (``billing.invoices``).
    """

    dialect: str
    tables: dict[str, TableState]
    sequences: dict[str, str]
    triggers: dict[str, str]
    schema_objects: dict[str, str]
    # Filled from the other fields; excluded from comparison since it only repeats them.
    row_counts: dict[str, int] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.row_counts.update({name: len(table.rows) for name, table in self.tables.items()})

    def rows(self, table: str) -> tuple[Row, ...]:
        """The canonical rows of one table."""
        return self.tables[table].rows

    def diff(self, other: DatabaseState) -> list[str]:
        """Lines describing how ``other`` differs from this state: ``-`` only here, ``+`` only in ``other``."""
        lines: list[str] = []
        if self.dialect != other.dialect:
            lines.append(f"dialect: {self.dialect} != {other.dialect}")
        lines += _diff_mapping("sequence", self.sequences, other.sequences)
        lines += _diff_mapping("trigger", self.triggers, other.triggers)
        lines += _diff_mapping("schema object", self.schema_objects, other.schema_objects)
        lines += _diff_tables(self.tables, other.tables)
        return lines


def assert_same_state(expected: DatabaseState, actual: DatabaseState) -> None:
    """Fail with a readable difference when two states are not identical."""
    if expected != actual:
        raise AssertionError("database state differs:\n  " + "\n  ".join(expected.diff(actual)))


def database_state(url: str) -> DatabaseState:
    """Read the exact state of the database at ``url`` (a SQLAlchemy URL)."""
    backend = make_url(url).get_backend_name()
    reader = {"sqlite": _sqlite_state, "postgresql": _postgres_state, "mysql": _mysql_state, "mariadb": _mysql_state}
    if backend not in reader:
        raise ValueError(f"no state reader for dialect {backend!r}")
    return reader[backend](url)


def foreign_key_violations(url: str) -> list[str]:
    """Every foreign key checked row by row: one line per constraint with orphans (child values whose parent is
    missing). Rows with a NULL in any FK column are not checked (MATCH SIMPLE, as all three databases do)."""
    backend = make_url(url).get_backend_name()
    checker = {
        "sqlite": _sqlite_fk_violations,
        "postgresql": _postgres_fk_violations,
        "mysql": _mysql_fk_violations,
        "mariadb": _mysql_fk_violations,
    }
    if backend not in checker:
        raise ValueError(f"no foreign-key checker for dialect {backend!r}")
    return checker[backend](url)


# --- comparison -------------------------------------------------------------------------------------------------


def _diff_mapping(kind: str, mine: dict[str, str], theirs: dict[str, str]) -> list[str]:
    lines = []
    for key in sorted(mine.keys() | theirs.keys()):
        if key not in theirs:
            lines.append(f"- {kind} {key}: {mine[key]}")
        elif key not in mine:
            lines.append(f"+ {kind} {key}: {theirs[key]}")
        elif mine[key] != theirs[key]:
            lines.append(f"~ {kind} {key}:\n      - {mine[key]}\n      + {theirs[key]}")
    return lines


def _diff_tables(mine: dict[str, TableState], theirs: dict[str, TableState]) -> list[str]:
    lines = []
    for name in sorted(mine.keys() | theirs.keys()):
        if name not in theirs:
            lines.append(f"- table {name} ({len(mine[name].rows)} rows)")
        elif name not in mine:
            lines.append(f"+ table {name} ({len(theirs[name].rows)} rows)")
        else:
            lines += _diff_table(name, mine[name], theirs[name])
    return lines


def _diff_table(name: str, mine: TableState, theirs: TableState) -> list[str]:
    if mine.columns != theirs.columns:
        return [f"~ table {name} columns:\n      - {mine.columns}\n      + {theirs.columns}"]
    if mine.rows == theirs.rows:
        return []
    names = [column for column, _ in mine.columns]
    lines = [f"~ table {name}: {len(mine.rows)} rows -> {len(theirs.rows)} rows; columns {names}"]
    only_mine = Counter(mine.rows) - Counter(theirs.rows)
    only_theirs = Counter(theirs.rows) - Counter(mine.rows)
    lines += _sample_rows("-", only_mine)
    lines += _sample_rows("+", only_theirs)
    return lines


def _sample_rows(sign: str, rows: Counter[Row]) -> list[str]:
    ordered = sorted(rows.elements(), key=_row_sort_key)
    lines = [f"    {sign} {row}" for row in ordered[:DIFF_ROW_LIMIT]]
    if len(ordered) > DIFF_ROW_LIMIT:
        lines.append(f"    {sign} ... and {len(ordered) - DIFF_ROW_LIMIT} more")
    return lines


def _row_sort_key(row: Row) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, value or "") for value in row)


def _sorted_rows(rows: Iterable[Row]) -> tuple[Row, ...]:
    return tuple(sorted(rows, key=_row_sort_key))


# --- SQLite -----------------------------------------------------------------------------------------------------

_SQLITE_QUOTE = sa_sqlite.dialect().identifier_preparer.quote_identifier


def _sqlite_readonly(url: str) -> Any:
    """Open read-only so inspecting a database can never create or change it."""
    import sqlite3
    from pathlib import Path

    from backends import sqlite_path

    path = Path(sqlite_path(url)).resolve()
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)


def _sqlite_state(url: str) -> DatabaseState:
    conn = _sqlite_readonly(url)
    try:
        master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        tables = {
            name: _sqlite_table(conn, name)
            for kind, name, _, sql in master
            if kind == "table" and not name.startswith("sqlite_") and not _is_virtual(sql)
        }
        triggers = {f"{table}.{name}": sql for kind, name, table, sql in master if kind == "trigger"}
        objects = {
            f"{kind} {name}": sql or f"(implicit on {table})"
            for kind, name, table, sql in master
            if kind != "trigger"
        }
        for pragma in ("user_version", "application_id"):
            objects[f"pragma {pragma}"] = str(conn.execute(f"PRAGMA {pragma}").fetchone()[0])
        sequences = {}
        if any(name == "sqlite_sequence" for _, name, _, _ in master):
            sequences = {name: f"seq={seq}" for name, seq in conn.execute("SELECT name, seq FROM sqlite_sequence")}
    finally:
        conn.close()
    return DatabaseState("sqlite", tables, sequences, triggers, objects)


def _is_virtual(create_sql: str | None) -> bool:
    """Virtual tables (FTS and the like) hold no rows of their own; their shadow tables are read instead."""
    return (create_sql or "").upper().startswith("CREATE VIRTUAL")


def _sqlite_table(conn: Any, table: str) -> TableState:
    info = conn.execute(f"PRAGMA table_xinfo({_SQLITE_QUOTE(table)})").fetchall()
    columns = tuple((row[1], row[2]) for row in info)
    if not columns:
        return TableState(columns, ())
    selected = ", ".join(f"typeof({_SQLITE_QUOTE(name)}), {_SQLITE_QUOTE(name)}" for name, _ in columns)
    raw = conn.execute(f"SELECT {selected} FROM {_SQLITE_QUOTE(table)}").fetchall()
    rows = (tuple(_sqlite_cell(r[i], r[i + 1]) for i in range(0, len(r), 2)) for r in raw)
    return TableState(columns, _sorted_rows(rows))


def _sqlite_cell(storage_class: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return f"{storage_class}:{value.hex()}"
    if isinstance(value, float):
        return f"{storage_class}:{value!r}"
    return f"{storage_class}:{value}"


def _sqlite_fk_violations(url: str) -> list[str]:
    conn = _sqlite_readonly(url)
    try:
        lines = []
        for table, rowid, parent, fk_id in conn.execute("PRAGMA foreign_key_check").fetchall():
            pairs = [
                (fk[3], fk[4])
                for fk in conn.execute(f"PRAGMA foreign_key_list({_SQLITE_QUOTE(table)})").fetchall()
                if fk[0] == fk_id
            ]
            cols = [col for col, _ in pairs]
            values: Any = "?"
            if rowid is not None:  # WITHOUT ROWID tables report no rowid, so their values cannot be fetched
                selected = ", ".join(_SQLITE_QUOTE(col) for col in cols)
                query = f"SELECT {selected} FROM {_SQLITE_QUOTE(table)} WHERE rowid = ?"
                values = conn.execute(query, (rowid,)).fetchone()
            lines.append(_orphan_line(f"fk #{fk_id}", table, cols, parent, [p or "?" for _, p in pairs], [values]))
    finally:
        conn.close()
    return lines


# --- PostgreSQL -------------------------------------------------------------------------------------------------

_PG_USER_SCHEMAS = """
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
"""


def _pg_name(schema: str, name: str) -> str:
    """``public`` names unqualified, others ``schema.name``, so the same tests read well on every backend."""
    return name if schema == "public" else f"{schema}.{name}"


def _postgres_state(url: str) -> DatabaseState:
    import psycopg

    conn = connect_raw(url)
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for all tables
        conn.read_only = True
        for setting in ("TimeZone = 'UTC'", "DateStyle = 'ISO, YMD'", "IntervalStyle = 'postgres'",
                        "bytea_output = 'hex'", "extra_float_digits = 3", "search_path = ''"):
            conn.execute(f"SET {setting}")
        tables = _pg_tables(conn)
        sequences = _pg_sequences(conn)
        triggers = _pg_triggers(conn)
        objects = _pg_schema_objects(conn)
    finally:
        conn.rollback()
        conn.close()
    return DatabaseState("postgresql", tables, sequences, triggers, objects)


def _pg_tables(conn: Any) -> dict[str, TableState]:
    # Leaf partitions are ordinary tables (relkind 'r') and hold the rows; partitioned parents ('p') hold none.
    found = conn.execute(
        f"""SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND {_PG_USER_SCHEMAS} ORDER BY 2, 3"""
    ).fetchall()
    return {_pg_name(schema, name): _pg_table(conn, oid, schema, name) for oid, schema, name in found}


def _pg_table(conn: Any, oid: int, schema: str, table: str) -> TableState:
    from psycopg import sql

    columns = tuple(
        conn.execute(
            """SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
               WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum""",
            (oid,),
        ).fetchall()
    )
    selected = sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(name)) for name, _ in columns)
    query = sql.SQL("SELECT {} FROM {}").format(selected, sql.Identifier(schema, table))
    return TableState(columns, _sorted_rows(tuple(row) for row in conn.execute(query)))


def _pg_sequences(conn: Any) -> dict[str, str]:
    from psycopg import sql

    found = conn.execute(
        f"""SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'S' AND {_PG_USER_SCHEMAS} ORDER BY 1, 2"""
    ).fetchall()
    state = {}
    for schema, name in found:
        query = sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(schema, name))
        last_value, is_called = conn.execute(query).fetchone()
        state[_pg_name(schema, name)] = f"last_value={last_value} is_called={str(is_called).lower()}"
    return state


def _pg_triggers(conn: Any) -> dict[str, str]:
    found = conn.execute(
        f"""SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND {_PG_USER_SCHEMAS}"""
    ).fetchall()
    enabled = {"O": "", "D": " [disabled]", "R": " [replica only]", "A": " [always]"}
    return {
        f"{_pg_name(schema, table)}.{name}": definition + enabled.get(flag, f" [tgenabled={flag}]")
        for schema, table, name, definition, flag in found
    }


_PG_OBJECT_QUERIES = {
    # kind -> query returning (schema, name, definition)
    "relation": f"""
        SELECT n.nspname, c.relname,
               c.relkind::text || ' ' || coalesce(pg_get_partkeydef(c.oid), '') || ' '
               || coalesce(pg_get_expr(c.relpartbound, c.oid), '') || ' ('
               || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                   || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                                   || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
                                   || CASE a.attidentity WHEN 'a' THEN ' IDENTITY ALWAYS'
                                                         WHEN 'd' THEN ' IDENTITY BY DEFAULT' ELSE '' END
                                   || CASE a.attgenerated WHEN 's' THEN ' GENERATED STORED' ELSE '' END,
                                   ', ' ORDER BY a.attnum)
                            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')'
               || CASE WHEN c.relkind IN ('v', 'm') THEN ' AS ' || pg_get_viewdef(c.oid) ELSE '' END
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_PG_USER_SCHEMAS}""",
    "index": f"""
        SELECT n.nspname, c.relname, pg_get_indexdef(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('i', 'I') AND {_PG_USER_SCHEMAS}""",
    "constraint": f"""
        SELECT n.nspname, r.relname || '.' || con.conname,
               pg_get_constraintdef(con.oid) || CASE WHEN con.convalidated THEN '' ELSE ' [not validated]' END
        FROM pg_constraint con JOIN pg_class r ON r.oid = con.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE {_PG_USER_SCHEMAS}""",
    "sequence": f"""
        SELECT schemaname, sequencename,
               format('%s start %s min %s max %s increment %s cycle %s cache %s',
                      data_type, start_value, min_value, max_value, increment_by, cycle, cache_size)
        FROM pg_sequences n WHERE {_PG_USER_SCHEMAS.replace('n.nspname', 'n.schemaname')}""",
    "type": f"""
        SELECT n.nspname, t.typname,
               CASE t.typtype
                 WHEN 'e' THEN 'enum ' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                          FROM pg_enum e WHERE e.enumtypid = t.oid)
                 WHEN 'd' THEN 'domain ' || format_type(t.typbasetype, t.typtypmod)
                               || coalesce((SELECT ' ' || string_agg(pg_get_constraintdef(c.oid), ' '
                                                                     ORDER BY c.conname)
                                            FROM pg_constraint c WHERE c.contypid = t.oid), '')
                 ELSE 'type ' || t.typtype::text END
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd') AND {_PG_USER_SCHEMAS}""",
    "function": f"""
        SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
               pg_get_functiondef(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.prokind IN ('f', 'p') AND {_PG_USER_SCHEMAS}""",
}


def _pg_schema_objects(conn: Any) -> dict[str, str]:
    objects = {}
    for kind, query in _PG_OBJECT_QUERIES.items():
        for schema, name, definition in conn.execute(query):
            objects[f"{kind} {_pg_name(schema, name)}"] = definition
    return objects


def _postgres_fk_violations(url: str) -> list[str]:
    from psycopg import sql

    conn = connect_raw(url)
    try:
        # conparentid = 0: a foreign key on a partitioned table is checked once, not again per partition clone.
        fks = conn.execute(
            f"""SELECT con.conname, n.nspname, c.relname, pn.nspname, p.relname,
                       ARRAY(SELECT attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                             JOIN pg_attribute ON attrelid = con.conrelid AND attnum = k.num ORDER BY k.ord),
                       ARRAY(SELECT attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                             JOIN pg_attribute ON attrelid = con.confrelid AND attnum = k.num ORDER BY k.ord)
                FROM pg_constraint con
                JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_class p ON p.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
                WHERE con.contype = 'f' AND con.conparentid = 0 AND {_PG_USER_SCHEMAS}
                ORDER BY 2, 3, 1"""
        ).fetchall()
        lines = []
        for name, schema, table, pschema, ptable, cols, pcols in fks:
            query = sql.SQL(
                "SELECT {child_cols} FROM {child} AS c WHERE {not_null} AND NOT EXISTS "
                "(SELECT 1 FROM {parent} AS p WHERE {match})"
            ).format(
                child_cols=sql.SQL(", ").join(sql.SQL("c.{}::text").format(sql.Identifier(col)) for col in cols),
                child=sql.Identifier(schema, table),
                parent=sql.Identifier(pschema, ptable),
                not_null=sql.SQL(" AND ").join(sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(col)) for col in cols),
                match=sql.SQL(" AND ").join(
                    sql.SQL("p.{} = c.{}").format(sql.Identifier(pcol), sql.Identifier(col))
                    for col, pcol in zip(cols, pcols)
                ),
            )
            orphans = conn.execute(query).fetchall()
            if orphans:
                child, parent = _pg_name(schema, table), _pg_name(pschema, ptable)
                lines.append(_orphan_line(name, child, cols, parent, pcols, orphans))
    finally:
        conn.rollback()
        conn.close()
    return lines


def _orphan_line(name: str, table: str, cols: list[str], parent: str, pcols: list[str], orphans: list[Any]) -> str:
    sample = ", ".join(str(tuple(row)) for row in orphans[:DIFF_ROW_LIMIT])
    return (
        f"{name}: {len(orphans)} {table} row(s) with ({', '.join(cols)}) missing from {parent} ({', '.join(pcols)}),"
        f" e.g. {sample}"
    )


# --- MySQL / MariaDB --------------------------------------------------------------------------------------------

_MYSQL_QUOTE = sa_mysql.dialect().identifier_preparer.quote_identifier
_MYSQL_BINARY_TYPES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit", "geometry",
                       "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
                       "geometrycollection"}
_AUTO_INCREMENT_CLAUSE = re.compile(r" AUTO_INCREMENT=\d+")


def _mysql_connect_text(url: str) -> Any:
    """A pymysql connection that returns the server's text for every value: no decoders, only the encoders that
    query parameters need. Dates, decimals and floats then compare exactly as the server stores them."""
    import pymysql
    from pymysql.converters import conversions

    from backends import mysql_connect_params

    encoders = {key: value for key, value in conversions.items() if not isinstance(key, int)}
    return pymysql.connect(**mysql_connect_params(make_url(url)), conv=encoders)


def _mysql_state(url: str) -> DatabaseState:
    conn = _mysql_connect_text(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            try:  # MySQL 8 caches AUTO_INCREMENT in information_schema; MariaDB has no such cache (or variable)
                cur.execute("SET SESSION information_schema_stats_expiry = 0")
            except Exception:
                pass
            cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            cur.execute(
                """SELECT TABLE_NAME, TABLE_TYPE, AUTO_INCREMENT FROM information_schema.TABLES
                   WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME"""
            )
            found = cur.fetchall()
            base = [name for name, kind, _ in found if kind in ("BASE TABLE", "SYSTEM VERSIONED")]
            tables = {name: _mysql_table(cur, name) for name in base}
            sequences = {name: f"auto_increment={counter}" for name, kind, counter in found if counter is not None}
            triggers = _mysql_triggers(cur)
            objects = _mysql_schema_objects(cur, found)
        conn.rollback()
    finally:
        conn.close()
    return DatabaseState("mysql", tables, sequences, triggers, objects)


def _mysql_table(cur: Any, table: str) -> TableState:
    cur.execute(
        """SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE FROM information_schema.COLUMNS
           WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION""",
        (table,),
    )
    found = cur.fetchall()
    columns = tuple((name, column_type) for name, column_type, _ in found)
    selected = ", ".join(_mysql_select_expr(name, data_type) for name, _, data_type in found)
    cur.execute(f"SELECT {selected} FROM {_MYSQL_QUOTE(table)}")
    rows = (tuple(_mysql_cell(value) for value in row) for row in cur.fetchall())
    return TableState(columns, _sorted_rows(rows))


def _mysql_select_expr(column: str, data_type: str) -> str:
    quoted = _MYSQL_QUOTE(column)
    if data_type.lower() in _MYSQL_BINARY_TYPES:
        return f"HEX({quoted})"
    if data_type.lower() == "float":
        # FLOAT prints with 6 significant digits; widening to DOUBLE shows the stored bits exactly.
        return f"CAST({quoted} AS DOUBLE)"
    return quoted


def _mysql_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _mysql_triggers(cur: Any) -> dict[str, str]:
    cur.execute(
        """SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER,
                  ACTION_STATEMENT, SQL_MODE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"""
    )
    return {
        f"{table}.{name}": f"{timing} {event} order {order} sql_mode={mode}: {statement}"
        for table, name, timing, event, order, statement, mode in cur.fetchall()
    }


def _mysql_schema_objects(cur: Any, found: list[tuple[str, str, Any]]) -> dict[str, str]:
    objects = {}
    for name, kind, _ in found:
        if kind == "VIEW":
            cur.execute(
                """SELECT VIEW_DEFINITION FROM information_schema.VIEWS
                   WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s""",
                (name,),
            )
            definition = cur.fetchone()[0]
            cur.execute("SELECT DATABASE()")
            # The server qualifies every name with the database's own name, which differs between two databases.
            objects[f"view {name}"] = definition.replace(f"{_MYSQL_QUOTE(cur.fetchone()[0])}.", "")
        else:
            cur.execute(f"SHOW CREATE TABLE {_MYSQL_QUOTE(name)}")
            # The counter is reported under sequences; keep it out of the definition so it is not reported twice.
            objects[f"table {name}"] = _AUTO_INCREMENT_CLAUSE.sub("", cur.fetchone()[1])
    cur.execute(
        """SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX)
           FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY 1, 2, 3"""
    )
    for table, index, non_unique, columns in cur.fetchall():
        objects[f"index {table}.{index}"] = f"{'' if str(non_unique) == '1' else 'UNIQUE '}({columns})"
    return objects


def _mysql_fk_violations(url: str) -> list[str]:
    conn = _mysql_connect_text(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """SELECT CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME,
                          GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '\\0'),
                          GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '\\0')
                   FROM information_schema.KEY_COLUMN_USAGE
                   WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL
                   GROUP BY CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME ORDER BY 2, 1"""
            )
            lines = []
            for name, table, parent, cols_joined, pcols_joined in cur.fetchall():
                cols, pcols = cols_joined.split("\0"), pcols_joined.split("\0")
                not_null = " AND ".join(f"c.{_MYSQL_QUOTE(col)} IS NOT NULL" for col in cols)
                match = " AND ".join(f"p.{_MYSQL_QUOTE(p)} = c.{_MYSQL_QUOTE(c)}" for c, p in zip(cols, pcols))
                child_cols = ", ".join(f"c.{_MYSQL_QUOTE(col)}" for col in cols)
                cur.execute(
                    f"SELECT {child_cols} FROM {_MYSQL_QUOTE(table)} AS c WHERE {not_null} AND NOT EXISTS "
                    f"(SELECT 1 FROM {_MYSQL_QUOTE(parent)} AS p WHERE {match})"
                )
                orphans = cur.fetchall()
                if orphans:
                    lines.append(_orphan_line(name, table, cols, parent, pcols, orphans))
        conn.rollback()
    finally:
        conn.close()
    return lines
