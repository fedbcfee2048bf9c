"""SQLite: storage classes kept exactly, transactional DDL, triggers set aside inside the restore transaction.

SQLite stores a type per value, not per column: a column may hold integer 1 next to text '1'. The dump looks at the
storage classes actually present and stores a column holding several of them as a tagged struct, so every value
comes back with its own storage class.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Iterator, Sequence

import pyarrow as pa
import sqlalchemy as sa

from seedkit.dialects.base import BaseDialect
from seedkit.model.arrow import rows_to_batch
from seedkit.model.tables import ColumnInfo, TableInfo, TableRef

STORAGE_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "real": pa.float64(),
    "text": pa.string(),
    "blob": pa.binary(),
}
# Page cache for the restore connection (KiB). SQLite's sorter for the index builds after the load takes as much
# again, so this counts about twice against the restore's peak memory. Measured on bench/restore.py's 2.0 M rows
# (peak RSS / load time): 256 MB 353 MB / 5.8-6.8 s, 64 MB 285 MB / 4.8-5.9 s, 32 MB 245 MB / 4.7-5.4 s,
# 2 MB (SQLite's default) 180 MB / 5.1-5.3 s: the bigger caches bought no measurable speed.
LOAD_CACHE_KIB = 32 * 1024
MIXED_TYPE = pa.struct([(kind, arrow) for kind, arrow in STORAGE_TYPES.items()])


class SQLiteDialect(BaseDialect):
    name = "sqlite"
    # SQLite's DDL is transactional: schema creation and trigger removal roll back with the data.
    transactional_ddl = True
    batch_rows = 20_000
    # Every loaded value becomes a Python object for executemany: smaller batches keep fewer of them alive.
    load_batch_rows = 16_384

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            raw = _raw(conn)
            previous = raw.isolation_level
            # pysqlite opens transactions lazily and never around DDL; we manage BEGIN/COMMIT ourselves instead.
            raw.isolation_level = None
            try:
                raw.execute(begin)
                try:
                    yield conn
                except BaseException:
                    raw.execute("ROLLBACK")
                    raise
                raw.execute("COMMIT")
            finally:
                raw.isolation_level = previous

    @contextmanager
    def read_transaction(self) -> Iterator[sa.Connection]:
        with self._transaction("BEGIN") as conn:
            # The snapshot a deferred transaction reads from starts at its first read.
            _raw(conn).execute("SELECT count(*) FROM sqlite_master").fetchall()
            yield conn

    @contextmanager
    def restore_transaction(self) -> Iterator[sa.Connection]:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    def describe_source(self, conn: sa.Connection) -> dict[str, Any]:
        info = super().describe_source(conn)
        info["server_version"] = sqlite3.sqlite_version
        return info

    def schemas(self, conn: sa.Connection, requested: Sequence[str]) -> list[str | None]:
        return [None if s == "main" else s for s in requested] or [None]

    def list_tables(self, conn: sa.Connection, schemas: Sequence[str | None]) -> tuple[list[TableRef], list[dict[str, str]]]:
        tables, skipped = [], []
        for schema in schemas:
            master = f"{self.quote(schema)}.sqlite_master" if schema else "sqlite_master"
            rows = _raw(conn).execute(
                f"SELECT type, name FROM {master} WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                "ORDER BY name"
            ).fetchall()
            for kind, name in rows:
                ref = TableRef(schema, name)
                if kind == "table":
                    tables.append(ref)
                else:
                    skipped.append({"name": ref.key, "kind": "view", "reason": "views hold no data"})
        return tables, skipped

    def columns(self, conn: sa.Connection, ref: TableRef, inspector: sa.Inspector, *, for_dump: bool) -> list[ColumnInfo]:
        raw = _raw(conn)
        pragma = f"{self.quote(ref.schema)}.table_xinfo" if ref.schema else "table_xinfo"
        info = raw.execute(f"PRAGMA {pragma}({self.quote(ref.name)})").fetchall()
        # hidden: 0 normal, 1 hidden (virtual tables), 2/3 generated columns, which cannot be inserted into.
        declared = [(row[1], row[2], not row[3] and not row[5]) for row in info if row[6] == 0]
        storage: dict[str, set[str]] = {name: set() for name, _, _ in declared}
        if for_dump and declared:
            probes = ", ".join(f"typeof({self.quote(name)})" for name, _, _ in declared)
            for kinds in raw.execute(f"SELECT DISTINCT {probes} FROM {self.qualified(ref)}"):
                for (name, _, _), kind in zip(declared, kinds):
                    if kind != "null":
                        storage[name].add(kind)
        columns = []
        for name, sql_type, nullable in declared:
            kinds = storage[name]
            arrow: pa.DataType
            extra: tuple[tuple[str, Any], ...]
            if len(kinds) > 1:
                arrow, extra = MIXED_TYPE, (("mixed", True),)
            else:
                arrow, extra = STORAGE_TYPES.get(next(iter(kinds), ""), _affinity_type(sql_type)), ()
            columns.append(ColumnInfo(name, sql_type.upper(), nullable, arrow, extra=extra))
        return columns

    def order_by(self, table: TableInfo) -> list[str]:
        # A table without a primary key always has a rowid (WITHOUT ROWID tables require a key): insertion order.
        return super().order_by(table) if table.primary_key else ["rowid"]

    def read_batches(self, conn: sa.Connection, table: TableInfo) -> Iterator[pa.RecordBatch]:
        schema = self.arrow_schema(table)
        mixed = [i for i, c in enumerate(table.columns) if c.note("mixed")]
        cursor = _raw(conn).execute(self.select_sql(table))
        while rows := cursor.fetchmany(self.batch_rows):
            if mixed:
                rows = [_tag_mixed(row, mixed) for row in rows]
            yield rows_to_batch(rows, schema)

    def sequence_state(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        raw = _raw(conn)
        if not _has_sqlite_sequence(raw):
            return {}, []
        seq = dict(raw.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        return {t.key: {"sqlite_sequence": seq[t.ref.name]} for t in tables if t.ref.name in seq}, []

    def schema_ddl(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> list[str] | None:
        # Indexes by name, not creation order: tools create them in set order (SQLAlchemy's create_all does), and
        # the same schema must give the same schema.sql bytes, or a rebuild could not match the tracked sha256.
        # Tables, views and triggers keep creation order, which respects their dependencies.
        rows = _raw(conn).execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, "
            "CASE type WHEN 'index' THEN name END, rowid"
        ).fetchall()
        return [row[0] for row in rows]

    def target_is_empty(self, conn: sa.Connection, schemas: Sequence[str | None]) -> bool:
        row = _raw(conn).execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchone()
        return row[0] == 0

    def create_schema(self, conn: sa.Connection, statements: Sequence[str]) -> None:
        raw = _raw(conn)
        for statement in statements:
            raw.execute(statement)

    def before_load(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> Any:
        raw = _raw(conn)
        # Checked at COMMIT instead of per row, so cycles and self-references load in any order.
        raw.execute("PRAGMA defer_foreign_keys = ON")
        names = [t.ref.name for t in tables]
        marks = ", ".join("?" for _ in names)
        triggers = raw.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks}) ORDER BY rowid", names
        ).fetchall() if names else []
        # SQLite cannot disable a trigger; it can drop one inside the transaction and recreate it before COMMIT.
        for name, _ in triggers:
            raw.execute(f"DROP TRIGGER {self.quote(name)}")
        # Secondary indexes are rebuilt once after the load instead of row by row (about 1.5x faster loads);
        # indexes behind PRIMARY KEY/UNIQUE constraints have no SQL of their own and stay.
        indexes = raw.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) "
            "ORDER BY rowid", names
        ).fetchall() if names else []
        for name, _ in indexes:
            raw.execute(f"DROP INDEX {self.quote(name)}")
        raw.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
        return indexes + triggers

    def empty_tables(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> None:
        raw = _raw(conn)
        for table in reversed(tables):
            raw.execute(f"DELETE FROM {self.qualified(table.ref)}")

    def load_table(self, conn: sa.Connection, table: TableInfo, batches: Iterator[pa.RecordBatch]) -> int:
        raw = _raw(conn)
        rows = 0
        insert = None
        for batch in batches:
            if insert is None:
                names = ", ".join(self.quote(n) for n in batch.schema.names)
                marks = ", ".join("?" for _ in batch.schema.names)
                insert = f"INSERT INTO {self.qualified(table.ref)} ({names}) VALUES ({marks})"
            raw.executemany(insert, self.batch_rows_for_insert(table, batch))
            rows += batch.num_rows
        return rows

    def batch_rows_for_insert(self, table: TableInfo, batch: pa.RecordBatch) -> Iterator[tuple[Any, ...]]:
        columns = []
        for field, column in zip(batch.schema, batch.columns):
            values = column.to_pylist()
            if pa.types.is_struct(field.type):
                values = [_untag(v) for v in values]
            columns.append(values)
        return zip(*columns)

    def after_load(self, conn: sa.Connection, tables: Sequence[TableInfo], state: Any) -> None:
        raw = _raw(conn)
        # Indexes first, then triggers, in their original creation order.
        for _, sql in state or []:
            raw.execute(sql)
        raw.execute("PRAGMA cache_size = -2000")

    def set_sequences(self, conn: sa.Connection, tables: Sequence[TableInfo], per_table: dict[str, dict[str, Any]],
                      sequences: Sequence[dict[str, Any]]) -> None:
        raw = _raw(conn)
        if not _has_sqlite_sequence(raw):
            return
        for table in tables:
            raw.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table.ref.name,))
            state = per_table.get(table.key)
            if state and state.get("sqlite_sequence") is not None:
                raw.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table.ref.name, state["sqlite_sequence"]))

    def expression_unique_indexes(self, conn: sa.Connection, ref: TableRef) -> list[str]:
        # index_xinfo gives cid -2 for a key part that is an expression.
        found = []
        for index in conn.exec_driver_sql(f"PRAGMA index_list({self.quote(ref.name)})").mappings():
            if not index["unique"]:
                continue
            parts = conn.exec_driver_sql(f"PRAGMA index_xinfo({self.quote(index['name'])})").mappings()
            if any(part["cid"] == -2 for part in parts):
                sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n"),
                                   {"n": index["name"]}).scalar()
                found.append(str(sql or ""))
        return found

    def enforce_constraints(self, conn: sa.Connection) -> None:
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")  # a no-op inside a transaction: called before it begins

    defers_every_key = True

    def defer_constraints(self, conn: sa.Connection) -> None:
        # Until the transaction ends: SQLite switches it off at COMMIT or ROLLBACK, so the transaction must have
        # begun (pysqlite begins one only before the first write).
        raw = _raw(conn)
        if not raw.in_transaction:
            raw.execute("BEGIN")
        raw.execute("PRAGMA defer_foreign_keys = ON")

    def restart_identities(self, refs: Sequence[TableRef], conn: sa.Connection | None = None) -> None:
        # Rowid tables restart by themselves once empty; AUTOINCREMENT tables remember their counter here.
        with self.engine.begin() if conn is None else nullcontext(conn) as conn:
            raw = _raw(conn)
            if _has_sqlite_sequence(raw):
                raw.executemany("DELETE FROM sqlite_sequence WHERE name = ?", [(ref.name,) for ref in refs])

    # ------------------------------------------------------------------ test databases
    supports_test_databases = True
    test_database_requirements = "SQLite test databases are files: use a file URL such as sqlite:///app.db"
    clone_failure_hint = "check that the folder of the test databases is writable and the disk has room"

    @classmethod
    def local_scratch_url(cls, folder: Path) -> str | None:
        return f"sqlite:///{folder / 'scratch.db'}"

    def _database_file(self) -> Path:
        database = self.engine.url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            raise NotImplementedError(self.test_database_requirements)
        return Path(database)

    def database_label(self) -> str:
        return self._database_file().stem

    def test_database_url(self, name: str, scratch_dir: Path) -> sa.URL:
        return self.engine.url.set(database=str(scratch_dir / f"{name}.db"))

    def database_exists(self) -> bool:
        return self._database_file().is_file()

    def create_database(self) -> None:
        path = self._database_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()

    def drop_database(self) -> None:
        path = self._database_file()
        self.engine.dispose()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def clone_database(self, name: str) -> sa.URL:
        source = self._database_file()
        target = source.with_name(f"{name}.db")
        if Path(f"{source}-wal").exists():
            # Committed pages may still sit in the write-ahead log; the backup API copies what a reader sees.
            with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
        else:
            # Nobody writes the source while it is cloned, so a file copy is a consistent image, and the cheapest.
            shutil.copyfile(source, target)
        return self.engine.url.set(database=str(target))


def _has_sqlite_sequence(raw: sqlite3.Connection) -> bool:
    """Whether the database has ``sqlite_sequence`` (SQLite creates it with the first AUTOINCREMENT table)."""
    return raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone() is not None


def _raw(conn: sa.Connection) -> sqlite3.Connection:
    raw = conn.connection.driver_connection
    # None only for a pooled connection already invalidated or detached, which an open sa.Connection never holds.
    assert raw is not None, "the connection's driver connection is gone"
    return raw


def _affinity_type(declared: str) -> pa.DataType:
    # Only used for columns that hold nothing but NULL: the type follows SQLite's affinity rules.
    upper = declared.upper()
    if "INT" in upper:
        return pa.int64()
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return pa.string()
    if "BLOB" in upper or not upper:
        return pa.binary()
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    return pa.string()


def _tag_mixed(row: Sequence[Any], positions: Sequence[int]) -> tuple[Any, ...]:
    values = list(row)
    for index in positions:
        values[index] = _tag(values[index])
    return tuple(values)


def _tag(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    kind = {int: "integer", float: "real", str: "text", bytes: "blob"}[type(value)]
    return {kind: value}


def _untag(value: dict[str, Any] | None) -> Any:
    if value is None:
        return None
    for kind in STORAGE_TYPES:
        if value.get(kind) is not None:
            return value[kind]
    raise ValueError(f"empty mixed-type value {value!r}")
