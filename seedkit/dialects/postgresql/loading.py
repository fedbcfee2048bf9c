"""Loading a PostgreSQL database in one transaction: the snapshot's schema for an empty target, triggers disabled,
keys and indexes set aside, COPY (binary where every column allows it), then everything put back and checked.

DDL is transactional here, and so are the sequences (see ``set_sequences``): a restore killed at any point leaves
the database as it was.
"""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import psycopg
import pyarrow as pa
import sqlalchemy as sa

from seedkit.dialects.errors import driver_error
from seedkit.dialects.postgresql.binary import batches_to_binary, binary_encoder
from seedkit.dialects.postgresql.common import SESSION_SETTINGS, raw_connection, relation_oids, set_local
from seedkit.dialects.postgresql.csv_copy import batches_to_csv
from seedkit.dialects.seeding_hooks import bound_rows
from seedkit.errors import RestoreFailedError
from seedkit.model.tables import TableInfo, TableRef

if TYPE_CHECKING:
    from seedkit.dialects.postgresql.dialect import PostgreSQLDialect


# Transaction-local settings of the restore. A crash before the commit is flushed loses the restore, never corrupts
# the database, so the commit need not wait for the WAL flush; index builds after the load sort in memory and use
# parallel workers (each needs 32 MB of maintenance_work_mem).
RESTORE_SETTINGS = (
    ("synchronous_commit", "off"),
)


INDEX_BUILD_MEMORY_MB = 512


# empty_tables TRUNCATEs every restored table in the restore transaction, so COPY may write the rows already frozen:
# index builds and foreign-key checks after the load then set no hint bits (2.0 M rows: ~25% faster restore).
# Like TRUNCATE itself this is not MVCC-safe for a transaction that started before the restore and reads on after.
COPY_FREEZE = ", FREEZE"


# ``ALTER TABLE ... ENABLE ... TRIGGER`` forms that put back each pg_trigger.tgenabled state ('D' stays disabled).
TRIGGER_ENABLE = {"O": "ENABLE TRIGGER", "R": "ENABLE REPLICA TRIGGER", "A": "ENABLE ALWAYS TRIGGER"}


@dataclass(frozen=True)
class SavedForeignKey:
    """A foreign key dropped for the load, with what re-creates it exactly (name, definition, NOT VALID)."""

    table: str  # qualified, quoted
    name: str
    definition: str


@dataclass(frozen=True)
class SavedIndex:
    """An index (or the primary key, unique or exclusion constraint behind one) dropped for the load.

    ``create`` re-creates it exactly: pg_get_indexdef / pg_get_constraintdef keep the name, columns, expressions,
    predicate, INCLUDE list, storage parameters, NULLS NOT DISTINCT and DEFERRABLE.
    """

    table: str  # qualified, quoted
    key: str  # the table's snapshot key, for messages
    drop: str
    create: str
    cluster_on: str | None  # the index the table was marked CLUSTER ON, quoted


@dataclass(frozen=True)
class LoadState:
    foreign_keys: tuple[SavedForeignKey, ...]
    triggers: tuple[tuple[str, str, str], ...]  # (qualified table, trigger name, tgenabled)
    schemas: tuple[str, ...]
    indexes: tuple[SavedIndex, ...] = ()


@contextmanager
def restore_transaction(dialect: PostgreSQLDialect) -> Iterator[sa.Connection]:
    with dialect.engine.connect() as conn:
        with conn.begin():
            set_local(conn, SESSION_SETTINGS + RESTORE_SETTINGS)
            raise_memory(raw_connection(conn), "maintenance_work_mem", INDEX_BUILD_MEMORY_MB)
            yield conn


def create_schema(dialect: PostgreSQLDialect, conn: sa.Connection, statements: Sequence[str]) -> None:
    """Run pg_dump's script inside the restore transaction, its settings kept local to the transaction."""
    raw = raw_connection(conn)
    search_path = raw.execute("SELECT current_setting('search_path')").fetchone()[0]
    for script in statements:
        raw.execute(transaction_local(dialect, raw, script))
    raw.execute("SELECT set_config('search_path', %s, true)", (search_path,))


def transaction_local(dialect: PostgreSQLDialect, raw: Any, script: str) -> str:
    # pg_dump writes session SETs for psql; here they become SET LOCAL, settings this server does not know
    # (written by a newer pg_dump, e.g. transaction_timeout) are dropped, and CREATE SCHEMA tolerates the
    # schemas every database already has (public).
    names = set(re.findall(r"^SET (\w+) = ", script, flags=re.MULTILINE))
    known = {row[0] for row in raw.execute("SELECT name FROM pg_settings WHERE name = ANY(%s)", (sorted(names),))}

    def local(match: re.Match[str]) -> str:
        return f"SET LOCAL {match.group(1)} = {match.group(2)}" if match.group(1) in known else ""

    script = re.sub(r"^SET (\w+) = (.*)$", local, script, flags=re.MULTILINE)
    script = re.sub(r"^(SELECT pg_catalog\.set_config\('search_path', '', )false\);$", r"\1true);", script,
                    flags=re.MULTILINE)
    return re.sub(r"^CREATE SCHEMA (?!IF NOT EXISTS)", "CREATE SCHEMA IF NOT EXISTS ", script, flags=re.MULTILINE)


def before_load(dialect: PostgreSQLDialect, conn: sa.Connection, tables: Sequence[TableInfo]) -> LoadState:
    """Disable user triggers and drop every foreign key touching the restored tables (saved for after_load)."""
    raw = raw_connection(conn)
    oids = relation_oids(raw, [t.ref for t in tables])
    names = {oid: dialect.qualified(ref) for ref, oid in oids.items()}
    triggers = tuple(
        (names[relid], name, enabled) for relid, name, enabled in raw.execute(
            """SELECT tgrelid, tgname, tgenabled FROM pg_trigger
               WHERE tgrelid = ANY(%s::oid[]) AND NOT tgisinternal ORDER BY tgrelid, tgname""",
            (list(names),),
        )
    )
    for table in sorted({table for table, _, _ in triggers}):
        raw.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    # Top-level constraints only: dropping one on a partitioned table drops its copies on the partitions.
    # Keys of tables outside the restore that reference restored tables are dropped too, and their re-creation
    # checks them: a restore that would orphan their rows fails instead of truncating them.
    saved = []
    for schema, table, name, definition in raw.execute(
        """WITH restored AS (
               SELECT relid FROM unnest(%s::oid[]) AS r(relid)
               UNION SELECT a.relid FROM unnest(%s::oid[]) AS r(relid), pg_partition_ancestors(r.relid) a(relid))
           SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid)
           FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE con.contype = 'f' AND con.conparentid = 0
             AND (con.conrelid IN (SELECT relid FROM restored) OR con.confrelid IN (SELECT relid FROM restored))
           ORDER BY 1, 2, 3""",
        (list(names), list(names)),
    ):
        saved.append(SavedForeignKey(dialect.qualified(TableRef(schema, table)), name, definition))
    for fk in saved:
        raw.execute(f"ALTER TABLE {fk.table} DROP CONSTRAINT {dialect.quote(fk.name)}")
    indexes = drop_indexes(dialect, raw, names, {oids[t.ref]: t.key for t in tables})
    schemas = sorted({schema for schema, in raw.execute(
        """SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.oid = ANY(%s::oid[])""", (list(names),))})
    return LoadState(tuple(saved), triggers, tuple(schemas), indexes)


def drop_indexes(dialect: PostgreSQLDialect, raw: Any, names: dict[int, str], keys: dict[int, str]) -> tuple[SavedIndex, ...]:
    """Drop the indexes of the restored tables, and the keys behind indexes, so the load writes bare heaps and
    each index is built once, sorted, afterwards (maintaining them row by row makes the load ~1.7x slower).

    Left in place, because dropping would lose something or is refused: indexes attached to a partitioned
    parent's index, in a tablespace of their own, invalid, the replica identity, commented, or that anything
    still depends on (the foreign keys are already gone; a view grouping by a primary key is not).
    """
    saved = []
    for relid, index_schema, index_name, constraint, definition, clustered in raw.execute(
        """SELECT i.indrelid, n.nspname, ic.relname, con.conname,
                  CASE WHEN con.oid IS NULL THEN pg_get_indexdef(i.indexrelid)
                       ELSE pg_get_constraintdef(con.oid) END,
                  i.indisclustered
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_namespace n ON n.oid = ic.relnamespace
           LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                      AND con.contype IN ('p', 'u', 'x')
           WHERE i.indrelid = ANY(%s::oid[]) AND i.indisvalid AND i.indisready AND i.indislive
             AND NOT i.indisreplident AND NOT ic.relispartition AND ic.reltablespace = 0
             AND (con.oid IS NULL OR con.conparentid = 0)
             AND obj_description(i.indexrelid, 'pg_class') IS NULL
             AND (con.oid IS NULL OR obj_description(con.oid, 'pg_constraint') IS NULL)
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass
                             AND d.refobjid = i.indexrelid)
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_constraint'::regclass
                             AND d.refobjid = con.oid AND d.objid <> i.indexrelid)
           ORDER BY i.indrelid, con.contype NULLS LAST, ic.relname""",
        (list(names),),
    ):
        table = names[relid]
        if constraint is None:
            drop = f"DROP INDEX {dialect.qualified(TableRef(index_schema, index_name))}"
            create = definition
        else:
            drop = f"ALTER TABLE {table} DROP CONSTRAINT {dialect.quote(constraint)}"
            create = f"ALTER TABLE {table} ADD CONSTRAINT {dialect.quote(constraint)} {definition}"
        saved.append(SavedIndex(table, keys[relid], drop, create, dialect.quote(index_name) if clustered else None))
    for index in saved:
        raw.execute(index.drop)
    return tuple(saved)


def empty_tables(dialect: PostgreSQLDialect, conn: sa.Connection, tables: Sequence[TableInfo]) -> None:
    # One statement, no CASCADE: a table the restore does not cover is never emptied behind the user's back.
    if tables:
        raw_connection(conn).execute(f"TRUNCATE {', '.join(dialect.qualified(t.ref) for t in tables)}")


def load_table(dialect: PostgreSQLDialect, conn: sa.Connection, table: TableInfo, batches: Iterator[pa.RecordBatch]) -> int:
    """COPY FROM STDIN, binary when every column has an exact binary form (``postgresql_binary``: the server's
    binary input is cheaper than parsing text), else CSV written by Arrow, which the server parses with each
    type's input function. No value becomes a Python object; the next batches are read from Parquet and
    encoded in a worker thread while the server reads the current one."""
    raw = raw_connection(conn)
    batches = iter(batches)
    first = next(batches, None)
    counted = RowCounter(itertools.chain([first], batches) if first is not None else batches)
    # Text fields of binary COPY are read in the client encoding; CSV names its own.
    encoder = binary_encoder(table.columns, first.schema) \
        if first is not None and raw.info.encoding == "utf-8" else None
    if encoder is not None:
        options, blocks = "FORMAT binary", batches_to_binary(counted, encoder)
    else:
        options, blocks = "FORMAT csv, ENCODING 'UTF8'", batches_to_csv(counted)
    columns = ", ".join(dialect.quote(c.name) for c in table.columns)
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {dialect.qualified(table.ref)} ({columns}) FROM STDIN "
                         f"WITH ({options}{COPY_FREEZE})") as copy:
            for block in blocks:
                copy.write(block)
    return counted.rows


def copy_rows(dialect: PostgreSQLDialect, conn: sa.Connection, table: sa.Table,
              rows: Sequence[dict[str, object]]) -> None:
    """Rows of Python values into ``table`` by one text COPY: constraints are checked and triggers fire as for
    INSERT, at a fraction of its round trips. Each value goes through its column type's bind processor first
    (JSON is serialised, for example), as an INSERT would."""
    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(dialect.quote(name) for name in names)
    with raw_connection(conn).cursor() as cursor:
        with cursor.copy(f"COPY {dialect.qualified(TableRef(table.schema, table.name))} ({columns}) FROM STDIN") \
                as copy:
            for row in bound_rows(conn, table, names, rows):
                copy.write_row(row)


def update_rows(dialect: PostgreSQLDialect, conn: sa.Connection, table: sa.Table, keys: Sequence[str],
                columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None:
    """Set ``columns`` in the rows of ``table`` named by their ``keys`` (each of ``rows``: key values, then the new
    values): the rows go by COPY into a temporary table of the same column types, then one UPDATE joins it, where
    an UPDATE per row cost a round trip each."""
    if not rows:
        return
    names = [*keys, *columns]
    target = dialect.qualified(TableRef(table.schema, table.name))
    staged = dialect.quote("seedkit_update")
    raw = raw_connection(conn)
    raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staged} ON COMMIT DROP AS "
                f"SELECT {', '.join(dialect.quote(n) for n in names)} FROM {target} WITH NO DATA")
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {staged} FROM STDIN") as copy:
            for row in bound_rows(conn, table, names, [dict(zip(names, row)) for row in rows]):
                copy.write_row(row)
    matched = " AND ".join(f"t.{dialect.quote(k)} = u.{dialect.quote(k)}" for k in keys)
    assigned = ", ".join(f"{dialect.quote(c)} = u.{dialect.quote(c)}" for c in columns)
    raw.execute(f"UPDATE {target} AS t SET {assigned} FROM {staged} AS u WHERE {matched}")
    raw.execute(f"DROP TABLE {staged}")


def after_load(dialect: PostgreSQLDialect, conn: sa.Connection, tables: Sequence[TableInfo], state: LoadState | None) -> None:
    """Re-create the foreign keys (which checks them), re-enable the triggers that were enabled, and refresh
    the materialized views of the restored schemas so they match the restored rows."""
    if state is None:
        return
    raw = raw_connection(conn)
    # Keys and indexes first: the foreign keys need the unique indexes they reference, and check faster with
    # the indexes in place.
    for index in state.indexes:
        try:
            raw.execute(index.create)
        except psycopg.errors.UniqueViolation as exc:  # the snapshot holds duplicates: name the table and key
            raise driver_error(RestoreFailedError, f"restore, loading table {index.key} failed", exc,
                               detail=True) from exc
        if index.cluster_on:
            raw.execute(f"ALTER TABLE {index.table} CLUSTER ON {index.cluster_on}")
    # Each new foreign key checks every row with one anti-join. The planner's default, a hash of the referenced
    # keys probed by a scan of the referencing table, ignores that both sides have a freshly built btree and an
    # all-visible heap (COPY FREEZE): a merge join of two index-only scans, in key order, is ~3x faster (bench:
    # 0.9-1.1 s -> 0.33 s for its 7 keys; without an index on the referencing columns, a sort and a merge is
    # no slower than the hash either). Nothing else in the transaction runs with the planner setting changed.
    with transaction_setting(raw, "enable_hashjoin", "off"):
        for fk in state.foreign_keys:
            raw.execute(f"ALTER TABLE {fk.table} ADD CONSTRAINT {dialect.quote(fk.name)} {fk.definition}")
    for table, name, enabled in state.triggers:
        if enabled in TRIGGER_ENABLE:
            raw.execute(f"ALTER TABLE {table} {TRIGGER_ENABLE[enabled]} {dialect.quote(name)}")
    for schema, name in raw.execute(
        """SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'm' AND n.nspname = ANY(%s) ORDER BY c.oid""",
        (list(state.schemas),),
    ).fetchall():
        raw.execute(f"REFRESH MATERIALIZED VIEW {dialect.qualified(TableRef(schema, name))}")


def set_sequences(dialect: PostgreSQLDialect, conn: sa.Connection, tables: Sequence[TableInfo], per_table: dict[str, dict[str, Any]],
                  sequences: Sequence[dict[str, Any]]) -> None:
    """Put every recorded sequence where it was, inside the restore transaction.

    ``setval`` alone ignores ROLLBACK. ``ALTER SEQUENCE ... RESTART`` first gives the sequence new storage that
    belongs to this transaction (as TRUNCATE ... RESTART IDENTITY does), so the setval written into it rolls
    back with the data, and a restore killed at any point leaves every sequence as it was.
    """
    raw = raw_connection(conn)
    for entry in sequences:
        name = dialect.qualified(TableRef(entry["schema"], entry["name"]))
        found = raw.execute("SELECT to_regclass(%s)::oid", (name,)).fetchone()[0]
        if found is None:  # dropped from the target since (only reachable with --allow-drift)
            continue
        raw.execute(f"ALTER SEQUENCE {name} RESTART")
        raw.execute("SELECT setval(%s::oid, %s, %s)", (found, entry["last_value"], entry["is_called"]))


class RowCounter:
    """Passes batches through and counts their rows (the batches are consumed in the pipeline's thread)."""

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self.batches = batches
        self.rows = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self.batches:
            self.rows += batch.num_rows
            yield batch


def raise_memory(raw: Any, setting: str, megabytes: int) -> None:
    """Raise a memory setting for this transaction to ``megabytes``, never lower it below the server's value."""
    current = raw.execute("SELECT pg_size_bytes(current_setting(%s))", (setting,)).fetchone()[0]
    if current < megabytes * 1024 * 1024:
        raw.execute("SELECT set_config(%s, %s, true)", (setting, f"{megabytes}MB"))


@contextmanager
def transaction_setting(raw: Any, setting: str, value: str) -> Iterator[None]:
    """``setting`` at ``value`` for the statements inside, then back to what it was (both local to the transaction;
    after an error the transaction is rolled back, and the setting with it)."""
    previous = raw.execute("SELECT current_setting(%s)", (setting,)).fetchone()[0]
    raw.execute("SELECT set_config(%s, %s, true)", (setting, value))
    yield
    raw.execute("SELECT set_config(%s, %s, true)", (setting, previous))
