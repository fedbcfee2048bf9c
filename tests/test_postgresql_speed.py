"""The PostgreSQL fast paths keep everything exact: keys and indexes dropped for the load come back as they were,
and the Arrow <-> COPY CSV conversions lose nothing. Speed itself is measured by ``bench/restore.py``, not here."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Callable

import pyarrow as pa
import pytest

from backends import run_statements as execute
from dbstate import assert_same_state, database_state
from seedkit import api
from seedkit.config import Config
from seedkit.dialects import dialect_for
from seedkit.dialects.connect import open_engine
from seedkit.model.tables import ColumnInfo, TableRef
from seedkit.dialects.postgresql.binary import binary_encoder
from seedkit.dialects.postgresql.csv_copy import csv_bytes, csv_rows_to_batches, hex_bytea, unhex_bytea
from seedkit.errors import IntegrityError, RestoreFailedError
# The PostgreSQL tests' fixtures: a Config in tmp_path, and new_pg() for a fresh database.
from test_postgresql_dialect import config, corrupt_table, new_pg, source  # noqa: F401

INDEX_CASES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """CREATE TABLE rooms (id integer, code text NOT NULL, label text, during tsrange,
                           CONSTRAINT rooms_pk PRIMARY KEY (id) WITH (fillfactor = 80),
                           CONSTRAINT rooms_code_key UNIQUE NULLS NOT DISTINCT (code, label) DEFERRABLE INITIALLY DEFERRED,
                           CONSTRAINT rooms_no_overlap EXCLUDE USING gist (code WITH =, during WITH &&))""",
    "CREATE INDEX rooms_lower_label ON rooms (lower(label)) INCLUDE (code) WHERE label IS NOT NULL",
    "CREATE INDEX rooms_by_code ON rooms USING hash (code)",
    "CREATE INDEX rooms_commented ON rooms (label DESC NULLS LAST)",
    "COMMENT ON INDEX rooms_commented IS 'kept in place: a comment would be lost'",
    "CREATE INDEX rooms_clustered ON rooms (code, id)",
    "ALTER TABLE rooms CLUSTER ON rooms_clustered",
    "CREATE TABLE bookings (id integer PRIMARY KEY, room_id integer NOT NULL REFERENCES rooms, note text)",
    "CREATE VIEW rooms_per_code AS SELECT r.id, r.code, count(b.id) FROM rooms r LEFT JOIN bookings b ON b.room_id = r.id GROUP BY r.id",
    """INSERT INTO rooms SELECT g, 'c' || (g % 50), CASE WHEN g <= 50 AND g % 3 = 0 THEN NULL ELSE 'label ' || g END,
                              tsrange(timestamp '2024-01-01' + g * interval '1 day', timestamp '2024-01-01' + (g + 1) * interval '1 day')
       FROM generate_series(1, 500) g""",
    "INSERT INTO bookings SELECT g, 1 + g % 500, CASE WHEN g % 2 = 0 THEN '' END FROM generate_series(1, 2000) g",
]


def test_keys_and_indexes_dropped_for_the_load_come_back_exactly(new_pg: Callable[[], str], config: Config) -> None:
    """Names, expressions, predicates, INCLUDE, storage parameters, NULLS NOT DISTINCT, DEFERRABLE, exclusion
    constraints, hash indexes, the CLUSTER ON mark, and objects left in place (commented, depended on by a view)."""
    source = new_pg()
    execute(source, *INDEX_CASES)
    api.snapshot(source, "rooms", config=config)
    expected = database_state(source)
    fresh, prefilled = new_pg(), new_pg()
    execute(prefilled, *INDEX_CASES, "DELETE FROM bookings WHERE id > 10", "UPDATE rooms SET label = 'x' WHERE id = 3")
    for target in (fresh, prefilled):
        api.restore(target, "rooms", config=config, strategy="load")
        assert_same_state(expected, database_state(target))
    api.restore(source, "rooms", config=config, strategy="load")  # into itself: everything in place already
    assert_same_state(expected, database_state(source))


def test_duplicate_keys_in_the_files_fail_naming_the_table_and_change_nothing(new_pg: Callable[[], str],
                                                                             config: Config) -> None:
    source = new_pg()
    execute(source, *INDEX_CASES)
    api.snapshot(source, "rooms", config=config)
    execute(source, "DROP VIEW rooms_per_code", "ALTER TABLE bookings DROP CONSTRAINT bookings_pkey",
            "INSERT INTO bookings VALUES (1, 1, 'again')")
    api.snapshot(source, "duplicates", config=config)
    target = new_pg()
    execute(target, "CREATE TABLE bookings (id integer PRIMARY KEY, room_id integer, note text)")
    before = database_state(target)
    # Same columns, but this target has the primary key the source dropped: the rebuild finds the duplicate.
    with pytest.raises(RestoreFailedError, match=r"loading table bookings failed: .*bookings_pkey.*\(id\)=\(1\)"):
        api.restore(target, "duplicates", config=config, strategy="load", allow_drift=True)
    assert_same_state(before, database_state(target))


def test_foreign_keys_rechecked_with_merge_joins_still_refuse_orphans(source: str, config: Config) -> None:
    """line_notes' two-column key (MATCH SIMPLE) pointing at order lines that do not exist: the restore fails."""
    api.snapshot(source, "case", config=config)
    corrupt_table(config, "case", "line_notes", "line_no", 9)
    before = database_state(source)
    with pytest.raises(RestoreFailedError, match="line_notes"):
        api.restore(source, "case", config=config, strategy="load")
    assert_same_state(before, database_state(source))


def test_the_planner_setting_for_foreign_key_checks_does_not_outlive_them(new_pg: Callable[[], str]) -> None:
    url = new_pg()
    execute(url, "CREATE TABLE parents (id integer PRIMARY KEY)",
            "CREATE TABLE children (id integer PRIMARY KEY, parent_id integer REFERENCES parents)")
    dialect = dialect_for(open_engine(url))
    with dialect.restore_transaction() as conn:
        tables = dialect.reflect(conn, [TableRef(None, "parents"), TableRef(None, "children")], for_dump=False)
        state = dialect.before_load(conn, tables)
        assert state.foreign_keys
        dialect.after_load(conn, tables, state)
        assert conn.exec_driver_sql("SELECT current_setting('enable_hashjoin')").scalar() == "on"
        conn.rollback()


@pytest.mark.parametrize("values", [
    [b"", None, b"\x00\xff\n\"", b"abc"],
    [None, None],
    [],
    [bytes(range(256)) * 3],
], ids=["mixed", "all-null", "empty", "every-byte"])
def test_bytea_hex_both_ways_without_python_values(values: list[bytes | None]) -> None:
    array = pa.array(values, pa.binary())
    for part in (array, array.slice(1)):
        encoded = hex_bytea(part)
        assert encoded.to_pylist() == [None if v is None else "\\x" + v.hex() for v in part.to_pylist()]
        assert unhex_bytea(encoded).to_pylist() == part.to_pylist()


def test_csv_keeps_null_and_empty_string_apart_both_ways() -> None:
    schema = pa.schema([("id", pa.int64()), ("t", pa.string()), ("b", pa.binary()), ("ok", pa.bool_()),
                        ("at", pa.timestamp("us", tz="UTC")), ("f", pa.float32())])
    batch = pa.RecordBatch.from_pylist([
        {"id": 1, "t": "", "b": b"", "ok": True, "at": None, "f": float("nan")},
        {"id": 2, "t": None, "b": None, "ok": None, "at": None, "f": -0.0},
        {"id": 3, "t": 'a,"b"\nc', "b": b"\x01", "ok": False, "at": None, "f": 3.4028235e38},
    ], schema=schema)
    # What COPY TO prints for these rows: NULL unquoted and empty, bytea in hex, booleans as t/f, timestamptz +00.
    printed = [b'1,"",\\x,t,,NaN\n', b"2,,,,,-0\n", b'3,"a,""b""\nc",\\x01,f,,3.4028235e+38\n']
    parsed = pa.Table.from_batches(list(csv_rows_to_batches(iter(printed), schema, batch_rows=2)))
    assert parsed.to_pylist()[1:] == pa.Table.from_batches([batch]).to_pylist()[1:]
    assert parsed.column("f")[0].as_py() != parsed.column("f")[0].as_py()  # NaN
    written = csv_bytes(batch).decode()
    assert written.splitlines()[0].startswith('1,"","\\x",')  # "" is the empty string, an empty field NULL
    assert written.splitlines()[1].startswith("2,,,,")


def test_csv_prints_utc_timestamps_as_utc_wall_time_and_other_zones_with_their_offset() -> None:
    at = dt.datetime(2024, 3, 31, 1, 30, 0, 5, tzinfo=dt.timezone.utc)
    batch = pa.RecordBatch.from_arrays(
        [pa.array([at, None], pa.timestamp("us", tz=zone)) for zone in ("UTC", "+00:00", "Europe/Paris")]
        + [pa.array([at.replace(tzinfo=None), None], pa.timestamp("us"))], names=["utc", "offset", "paris", "naive"])
    # The restore session runs in UTC: a timestamptz column reads all four as the same instant.
    assert csv_bytes(batch).decode().splitlines() == [
        "2024-03-31 01:30:00.000005,2024-03-31 01:30:00.000005,2024-03-31 03:30:00.000005+0200,2024-03-31 01:30:00.000005",
        ",,,",
    ]


BINARY_COLUMNS = [  # (name, declared type, Arrow type of the snapshot's column)
    ("i2", "smallint", pa.int16()), ("i4", "integer", pa.int32()), ("i8", "bigint", pa.int64()),
    ("f4", "real", pa.float32()), ("f8", "double precision", pa.float64()), ("ok", "boolean", pa.bool_()),
    ("d", "date", pa.date32()), ("t", "time", pa.time64("us")), ("t3", "time(3)", pa.time64("us")),
    ("ts", "timestamp", pa.timestamp("us")), ("tstz", "timestamptz", pa.timestamp("us", tz="UTC")),
    ("n", "numeric(12, 2)", pa.decimal128(12, 2)), ("n18", "numeric(18, 0)", pa.decimal128(18, 0)),
    ("n5", "numeric(5, 5)", pa.decimal128(5, 5)), ("n7", "numeric(15, 7)", pa.decimal128(15, 7)),
    ("s", "text", pa.string()), ("vc", "varchar(10)", pa.string()), ("ch", "char(3)", pa.string()),
    ("j", "json", pa.string()), ("jb", "jsonb", pa.string()), ("by", "bytea", pa.binary()),
]
BINARY_ROWS = [
    dict(i2=-32768, i4=2**31 - 1, i8=-2**63, f4=float("nan"), f8=-0.0, ok=True, d=dt.date(1, 1, 1),
         t=dt.time(23, 59, 59, 999999), t3=dt.time(1, 2, 3, 456789), ts=dt.datetime(1, 1, 1),
         tstz=dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc),
         n=decimal.Decimal("-9999999999.99"), n18=decimal.Decimal("999999999999999999"), n5=decimal.Decimal("0.00001"),
         n7=decimal.Decimal("-12345678.1234567"), s="", vc="héllo ✓", ch="a", j='{"a": 1,  "a": 2}',
         jb='{"b": [1, 2.50]}', by=b""),
    {name: None for name, _, _ in BINARY_COLUMNS},
    dict(i2=7, i4=0, i8=2**63 - 1, f4=float("inf"), f8=1e-300, ok=False, d=dt.date(2000, 1, 1), t=dt.time(0),
         t3=dt.time(23, 59, 59, 999999), ts=dt.datetime(1999, 12, 31, 23, 59, 59, 1),
         tstz=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc), n=decimal.Decimal("0"), n18=decimal.Decimal("-1"),
         n5=decimal.Decimal("-0.99999"), n7=decimal.Decimal("0.0000001"), s='a,"b"\n\\c\t', vc="", ch="abc",
         j="[]", jb="null", by=bytes(range(256))),
]


def test_binary_copy_stores_every_value_as_the_csv_copy_does(new_pg: Callable[[], str]) -> None:
    """Extremes, NULLs, -0.0/NaN/inf, numerics of every scale padding, typmod rounding (time(3)), text that CSV
    must quote; batches sliced at an offset as Parquet hands them out."""
    url = new_pg()
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type, _ in BINARY_COLUMNS)
    execute(url, f"CREATE TABLE by_binary ({columns})", f"CREATE TABLE by_csv ({columns})")
    schema = pa.schema([(name, arrow) for name, _, arrow in BINARY_COLUMNS])
    # Ordinary values after the edges: every row's bytes land in their own place.
    ordinary = [{name: value for (name, _, _), value in zip(BINARY_COLUMNS, (
        n % 7 - 3, n * 1_000_003, -n * 10**15, n / 3, -n * 1.25, n % 2 == 0, dt.date(2023, 1, 1) + dt.timedelta(days=37 * n),
        dt.time(n % 24, n, n % 60, n * 999), dt.time(n % 24, 59 - n, 1, n), dt.datetime(1969, 12, 31) + dt.timedelta(hours=n * 13, microseconds=n),
        dt.datetime(2038, 1, 19, tzinfo=dt.timezone.utc) - dt.timedelta(days=n * 400, seconds=n), decimal.Decimal(n * 12345 - 99999) / 100,
        decimal.Decimal(-7 ** n), decimal.Decimal(n * 999) / 100000, decimal.Decimal(n * 10**9 + n) / 10**7, f"row {n}" * n,
        str(n)[:10], "xy"[: n % 3], f"[{n}]", f'{{"n": {n}}}', bytes([n]) * n))} for n in range(1, 21)]
    batch = pa.RecordBatch.from_pylist(BINARY_ROWS + ordinary, schema=schema)
    dialect = dialect_for(open_engine(url))
    with dialect.restore_transaction() as conn:
        table, = dialect.reflect(conn, [TableRef(None, "by_binary")], for_dump=False)
        assert binary_encoder(table.columns, schema) is not None
        dialect.empty_tables(conn, [table])  # as a restore does before COPY ... FREEZE
        assert dialect.load_table(conn, table, iter([batch, batch.slice(1)])) == 2 * len(batch) - 1
        with conn.connection.driver_connection.cursor().copy("COPY by_csv FROM STDIN (FORMAT csv)") as copy:
            copy.write(csv_bytes(batch))
            copy.write(csv_bytes(batch.slice(1)))
        rows = [conn.exec_driver_sql(f"SELECT r::text FROM {name} r").scalars().all() for name in ("by_binary", "by_csv")]
    assert rows[0] == rows[1]
    assert rows[0][0].startswith("(-32768,2147483647,-9223372036854775808,NaN,-0,t,0001-01-01,23:59:59.999999,01:02:03.457,")


@pytest.mark.parametrize("sql_type, arrow", [
    ("uuid", pa.string()), ("integer[]", pa.string()), ("numeric", pa.string()), ("mood", pa.string()),
    ("numeric(38, 10)", pa.decimal128(38, 10)), ("numeric(17, 1)", pa.decimal128(17, 1)),
    ("integer", pa.int64()), ("timestamp with time zone", pa.timestamp("ms", tz="UTC")),
    ("timestamp with time zone", pa.timestamp("us", tz="Europe/Paris")), ("text", pa.binary()),
], ids=lambda value: str(value))
def test_columns_without_an_exact_binary_form_send_their_table_as_csv(sql_type: str, arrow: pa.DataType) -> None:
    schema = pa.schema([("id", pa.int64()), ("value", arrow)])
    columns = [ColumnInfo("id", "bigint", False, pa.int64()), ColumnInfo("value", sql_type, True, arrow)]
    assert binary_encoder(columns[:1], schema) is not None
    assert binary_encoder(columns, schema) is None


def test_a_decimal_wider_than_its_declared_precision_is_refused_not_cut() -> None:
    wide = pa.array([decimal.Decimal("1.00"), decimal.Decimal("12345.67")], pa.decimal128(9, 2))
    narrow = pa.Array.from_buffers(pa.decimal128(4, 2), len(wide), wide.buffers())  # 12345.67 has 7 digits
    batch = pa.RecordBatch.from_arrays([narrow], names=["price"])
    encode = binary_encoder([ColumnInfo("price", "numeric(4,2)", True, narrow.type)], batch.schema)
    assert encode is not None
    assert len(encode(batch.slice(0, 1))) == 2 + 4 + 8 + 2 * 2
    with pytest.raises(IntegrityError, match="price"):
        encode(batch)
