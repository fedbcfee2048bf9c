"""The PostgreSQL fast paths keep everything exact: keys and indexes dropped for the load come back as they were,
and the Arrow <-> COPY CSV conversions lose nothing. Speed itself is measured by ``bench/restore.py``, not here."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import pyarrow as pa
import pytest

from backends import run_statements as execute
from dbstate import assert_same_state, database_state
from seedkit import api
from seedkit.config import Config
from seedkit.dialects import dialect_for
from seedkit.engine.connect import open_engine
from seedkit.engine.reflect import TableRef
from seedkit.dialects.postgresql_copy import csv_bytes, csv_rows_to_batches, hex_bytea, unhex_bytea
from seedkit.errors import RestoreFailedError
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
    with dialect.restore_session([]) as conn:
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
