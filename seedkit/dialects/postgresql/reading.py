"""Reading a PostgreSQL database for a snapshot: one repeatable-read transaction, parallel readers in its exported
snapshot, rows through ADBC's binary COPY (or COPY CSV), sequence state, and the schema from ``pg_dump``."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import os
import re
import shutil
import subprocess
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import pyarrow as pa
import sqlalchemy as sa
from psycopg import sql as pg_sql

from seedkit.dialects.base import BaseDialect
from seedkit.dialects.postgresql import adbc as postgresql_adbc
from seedkit.dialects.postgresql.common import (
    SESSION_SETTINGS, default_schema, raw_connection, relation_oids, schema_names, set_local,
)
from seedkit.dialects.postgresql.csv_copy import csv_rows_to_batches
from seedkit.dialects.postgresql.types import PROBES_KEY, probed
from seedkit.model.tables import TableInfo, TableRef

if TYPE_CHECKING:
    from seedkit.dialects.postgresql.dialect import PostgreSQLDialect

log = logging.getLogger(__name__)


SNAPSHOT_KEY = "seedkit.postgresql.snapshot"


# Connections reading tables besides the dump's own (2 in all): each keeps a server backend busy with COPY output
# while this process parses and encodes, which is the work of about two cores.
PARALLEL_READERS = 1


@contextmanager
def read_transaction(dialect: PostgreSQLDialect) -> Iterator[sa.Connection]:
    with dialect.engine.connect() as conn:
        try:
            with conn.begin():
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                set_local(conn, SESSION_SETTINGS)
                yield conn
        finally:
            postgresql_adbc.close_reader(conn.info)
            conn.info.pop(SNAPSHOT_KEY, None)  # the pooled connection outlives this transaction's snapshot


@contextmanager
def parallel_readers(dialect: PostgreSQLDialect, conn: sa.Connection) -> Iterator[list[sa.Connection]]:
    """``PARALLEL_READERS`` more connections in ``conn``'s snapshot (pg_export_snapshot / SET TRANSACTION
    SNAPSHOT, as pg_dump -j does): the dump reads tables on all of them at once, still one consistent view."""
    snapshot = exported_snapshot(conn)
    with ExitStack() as stack:
        # The ADBC connections open in the background meanwhile (read_transaction closes conn's).
        fast = postgresql_adbc.enabled()
        if fast:
            postgresql_adbc.open_reader(conn.info, dialect.engine.url, snapshot, SESSION_SETTINGS)
        readers = []
        for _ in range(PARALLEL_READERS):
            reader = stack.enter_context(dialect.engine.connect())
            if fast:
                postgresql_adbc.open_reader(reader.info, dialect.engine.url, snapshot, SESSION_SETTINGS)
                stack.callback(postgresql_adbc.close_reader, reader.info)
            stack.enter_context(reader.begin())
            raw = raw_connection(reader)
            raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            raw.execute(pg_sql.SQL("SET TRANSACTION SNAPSHOT {}").format(pg_sql.Literal(snapshot)))
            reader.info[SNAPSHOT_KEY] = snapshot
            stack.callback(reader.info.pop, SNAPSHOT_KEY, None)
            stack.callback(postgresql_adbc.close_reader, reader.info)  # one opened on first use
            set_local(reader, SESSION_SETTINGS)
            readers.append(reader)
        yield readers


def estimated_sizes(dialect: PostgreSQLDialect, conn: sa.Connection, tables: Sequence[TableInfo]) -> dict[str, int]:
    oids = relation_oids(raw_connection(conn), [t.ref for t in tables])
    sizes = dict(raw_connection(conn).execute("SELECT oid, pg_table_size(oid) FROM unnest(%s::oid[]) AS t(oid)",
                                    (list(oids.values()),)).fetchall()) if oids else {}
    return {ref.key: sizes.get(oid) or 0 for ref, oid in oids.items()}


def read_batches(dialect: PostgreSQLDialect, conn: sa.Connection, table: TableInfo) -> Iterator[pa.RecordBatch]:
    """Rows in key order with the column types chosen by ``reflect``; no value becomes a Python object, and at
    most a few batches are in memory. With ``adbc-driver-postgresql`` installed (the ``postgresql``
    extra) the rows come as binary COPY decoded in C++ by a second connection in the same snapshot (see
    ``postgresql_adbc``); otherwise through ``COPY (SELECT ...) TO STDOUT`` as CSV, parsed by Arrow."""
    schema = dialect.arrow_schema(table)
    fast = adbc_reader(dialect, conn)
    if fast is not None:
        try:
            yield from postgresql_adbc.read_batches(fast, fast_select_sql(dialect, table), schema, dialect.batch_rows)
        except Exception:
            # A read that failed part-way (a speculative one meeting a value out of range) may leave the driver's
            # connection mid-COPY: the next read opens a new one in the same snapshot.
            postgresql_adbc.close_reader(conn.info)
            raise
        return
    with raw_connection(conn).cursor() as cursor:
        with cursor.copy(f"COPY ({dialect.select_sql(table)}) TO STDOUT WITH (FORMAT csv, ENCODING 'UTF8')") as copy:
            yield from csv_rows_to_batches(copy, schema, dialect.batch_rows)


def adbc_reader(dialect: PostgreSQLDialect, conn: sa.Connection) -> Any | None:
    if not postgresql_adbc.enabled():
        return None
    return postgresql_adbc.reader_for(conn.info, dialect.engine.url, exported_snapshot(conn), SESSION_SETTINGS)


def fast_select_sql(dialect: PostgreSQLDialect, table: TableInfo) -> str:
    """``select_sql`` with numeric(p, s) columns read as the server's text, which Arrow casts to decimal128(p, s)
    exactly: the driver's own decoding of binary numeric takes twice as long (1.2 M values: 0.37 s against
    0.21 s). The ORDER BY is the same, so both readers write the same rows in the same order."""
    items = [c.select_sql or (f"{dialect.quote(c.name)}::text"
                              if c.arrow_type is not None and pa.types.is_decimal(c.arrow_type)
                              else dialect.quote(c.name)) for c in table.columns]
    order = ", ".join(dialect.order_by(table))
    return f"SELECT {', '.join(items)} FROM {dialect.qualified(table.ref)}" + (f" ORDER BY {order}" if order else "")


def sequence_state(dialect: PostgreSQLDialect, conn: sa.Connection, tables: Sequence[TableInfo]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Every sequence in the dumped schemas or used by a dumped column, and which columns use which."""
    raw = raw_connection(conn)
    default = default_schema(raw)
    schemas = sorted(set(schema_names(raw, [t.ref.schema for t in tables])))
    oids = relation_oids(raw, [t.ref for t in tables])
    by_oid = {oid: ref.key for ref, oid in oids.items()}
    # Sequences a column owns (serial: 'a', identity: 'i') or calls in its DEFAULT (pg_attrdef depends on it).
    uses = raw.execute(
        """SELECT d.refobjid, a.attname, d.objid, CASE d.deptype WHEN 'i' THEN 'identity' ELSE 'owned' END
           FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
           WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
             AND d.deptype IN ('a', 'i') AND d.refobjid = ANY(%(tables)s::oid[])
             AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S'
           UNION
           SELECT ad.adrelid, a.attname, d.refobjid, 'default'
           FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
           JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
           WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
             AND ad.adrelid = ANY(%(tables)s::oid[])
             AND (SELECT relkind FROM pg_class WHERE oid = d.refobjid) = 'S'
           ORDER BY 1, 2, 3""",
        {"tables": list(by_oid)},
    ).fetchall()
    sequences = raw.execute(
        """SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'S' AND (n.nspname = ANY(%s) OR c.oid = ANY(%s::oid[])) ORDER BY 2, 3""",
        (schemas, [seq for _, _, seq, _ in uses]),
    ).fetchall()
    names = {oid: TableRef(None if schema == default else schema, name) for oid, schema, name in sequences}
    state = []
    for oid, ref in names.items():
        last_value, is_called = raw.execute(f"SELECT last_value, is_called FROM {dialect.qualified(ref)}").fetchone()
        state.append({"schema": ref.schema, "name": ref.name, "last_value": last_value, "is_called": is_called})
    # A serial column both owns its sequence and calls it in its DEFAULT: name it once, as owned.
    uses_by_column: dict[tuple[int, str, int], str] = {}
    for table_oid, column, seq_oid, how in uses:
        if uses_by_column.get((table_oid, column, seq_oid)) in (None, "default"):
            uses_by_column[(table_oid, column, seq_oid)] = how
    per_table: dict[str, dict[str, Any]] = {}
    for (table_oid, column, seq_oid), how in uses_by_column.items():
        entry = per_table.setdefault(by_oid[table_oid], {"sequences": []})
        entry["sequences"].append({"column": column, "sequence": names[seq_oid].key, "use": how})
    return per_table, state


def schema_ddl(dialect: PostgreSQLDialect, conn: sa.Connection, tables: Sequence[TableInfo]) -> list[str] | None:
    """The schemas' native DDL from ``pg_dump --schema-only``, read from this transaction's snapshot."""
    if not tables:
        return None
    raw = raw_connection(conn)
    schemas = sorted(set(schema_names(raw, [t.ref.schema for t in tables])))
    problem = pg_dump_problem(raw)
    if problem is None:
        extensions = [name for (name,) in raw.execute(
            """SELECT e.extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
               WHERE n.nspname = ANY(%s) ORDER BY 1""", (schemas,))]
        snapshot = exported_snapshot(conn)
        try:
            return [run_pg_dump(dialect.engine.url, schemas, extensions, snapshot)]
        except PgDumpError as exc:
            problem = str(exc)
    log.warning("pg_dump not usable (%s); the snapshot's schema is rebuilt from SQLAlchemy reflection and "
                "lacks triggers, functions, types and sequences", problem)
    try:
        statements = BaseDialect.schema_ddl(dialect, conn, tables) or []
    except sa.exc.SQLAlchemyError as exc:
        log.warning("SQLAlchemy cannot rebuild the schema either (%s); the snapshot carries no DDL", exc)
        return None
    note = f"-- seedkit: pg_dump not usable ({problem}); tables only, from SQLAlchemy reflection\n"
    return [note + statements[0], *statements[1:]] if statements else None


class PgDumpError(Exception):
    """pg_dump is missing, too old for the server, or failed."""


def pg_dump_problem(raw: Any) -> str | None:
    """Why pg_dump cannot dump this server, or None when it can."""
    binary = shutil.which("pg_dump")
    if binary is None:
        return "pg_dump is not on PATH"
    try:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"pg_dump --version failed: {exc}"
    match = re.search(r"(\d+)(?:\.\d+)?", version)
    server = raw.info.server_version // 10000
    if match is None or int(match.group(1)) < server:
        return f"pg_dump {match.group(1) if match else '?'} is older than the server ({server})"
    return None


def run_pg_dump(url: sa.URL, schemas: Sequence[str], extensions: Sequence[str], snapshot: str) -> str:
    # Connection settings go through the environment: the password never appears in a process list.
    env = dict(os.environ)
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[variable] = str(value)
    args = ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--snapshot", snapshot]
    args += [f"--schema={exact_pattern(s)}" for s in schemas]
    args += [f"--extension={exact_pattern(e)}" for e in extensions]
    done = subprocess.run(args, capture_output=True, env=env, timeout=600)
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PgDumpError(lines[-1] if lines else f"pg_dump exited with {done.returncode}")
    text = done.stdout.decode("utf-8")
    # psql meta-commands (\restrict with a random key in recent releases) are not SQL, and would make the file
    # differ between two dumps of the same schema.
    return "\n".join(line for line in text.splitlines() if not line.startswith("\\")) + "\n"


def exact_pattern(name: str) -> str:
    """A pg_dump pattern matching exactly ``name``: inside double quotes, pattern characters are literal."""
    return '"' + name.replace('"', '""') + '"'


def exported_snapshot(conn: sa.Connection) -> str:
    """The id of the snapshot ``conn``'s read transaction sees (exported once, or the one it imported), for pg_dump
    --snapshot and the parallel readers."""
    if SNAPSHOT_KEY not in conn.info:
        conn.info[SNAPSHOT_KEY] = raw_connection(conn).execute("SELECT pg_export_snapshot()").fetchone()[0]
    return conn.info[SNAPSHOT_KEY]

def read_plan(dialect: PostgreSQLDialect, conn: sa.Connection, table: TableInfo) -> tuple[TableInfo, Callable[[], TableInfo] | None]:
    """A table with range probes is read natively at once when ADBC reads it (on a connection of its own), while
    ``conn`` runs the probes; the rare column they find out of range makes the dump read the table again, that
    column as text. COPY CSV reads on ``conn`` itself, so there the probes run first."""
    if not dict(table.extra).get(PROBES_KEY):
        return table, None
    raw = raw_connection(conn)
    if adbc_reader(dialect, conn) is None:
        return probed(dialect, raw, table), None
    probing: concurrent.futures.Future[TableInfo] = concurrent.futures.Future()

    def probe() -> None:
        try:
            probing.set_result(probed(dialect, raw, table))
        except BaseException as exc:  # handed to whoever waits for the result
            probing.set_exception(exc)

    threading.Thread(target=probe, name="seedkit-probe", daemon=True).start()
    return table, probing.result
