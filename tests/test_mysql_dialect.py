"""The MySQL/MariaDB dialect through the public API: exact round trips, triggers set aside, all-or-nothing restores.

Every test needs the server: it is skipped with the reason when MariaDB/MySQL is unreachable, and fails instead when
``SEEDKIT_REQUIRE_BACKENDS`` names ``mysql``. The shared case schema (``tests/schemas/mysql.sql``) holds the common
cases; ``EXTRA_SCHEMA`` below adds what only this dialect has to get right.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

import seedkit
from backends import connect_raw, run_statements
from dbstate import DatabaseState, assert_same_state, database_state, foreign_key_violations
from helpers import config_for, metadata_document, replace_table_file
from schemas import load_case_schema
from seedkit.dialects.mysql.dialect import MySQLDialect, strip_definer
from seedkit.dialects.mysql.values import column_mapping, load_data_file
from seedkit.dialects import connect

pytestmark = pytest.mark.mysql

# Cases beyond the shared schema: wide decimals and bits, mediumint, geometry, id 0 under AUTO_INCREMENT, triggers with their own sql_mode and a PRECEDES order, a view over a view whose name sorts first.
EXTRA_SCHEMA = [
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO'",
    "SET SESSION time_zone = '+00:00'",
    """CREATE TABLE `odd name` (
        `id` INT AUTO_INCREMENT PRIMARY KEY,
        `fifty off` DECIMAL(65, 30),
        `wide bits` BIT(64),
        `medium` MEDIUMINT,
        `medium_u` MEDIUMINT UNSIGNED,
        `shape` GEOMETRY,
        `real_col` REAL
    ) ENGINE = InnoDB""",
    """INSERT INTO `odd name` VALUES
        (0, 12345678901234567890123456789012345.123456789012345678901234567890, b'1111111111111111111111111111111111111111111111111111111111111111',
         -8388608, 16777215, ST_GeomFromText('POINT(1.5 -2.25)', 4326), 1e308),
        (1, -0.000000000000000000000000000001, 0, 8388607, 0, NULL, NULL)""",
    "CREATE TABLE labels (id INT PRIMARY KEY, label VARCHAR(80))",
    "SET SESSION sql_mode = 'PIPES_AS_CONCAT'",
    "CREATE TRIGGER labels_first BEFORE INSERT ON labels FOR EACH ROW SET NEW.label = NEW.label || '-first'",
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES'",
    """CREATE TRIGGER labels_second BEFORE INSERT ON labels FOR EACH ROW PRECEDES labels_first
       SET NEW.label = CONCAT(NEW.label, '-second')""",
    "INSERT INTO labels VALUES (1, 'x')",
    "CREATE VIEW z_inner AS SELECT id, label FROM labels",
    "CREATE VIEW a_outer AS SELECT id FROM z_inner WHERE id > 0",
]


# --- helpers -------------------------------------------------------------------------------------------------------


def comparable_state(url: str) -> DatabaseState:
    """The exact state, with the database's own name taken out of view definitions (MariaDB writes it into them)."""
    state = database_state(url)
    prefix = f"`{make_url(url).database}`."
    objects = {key: value.replace(prefix, "") for key, value in state.schema_objects.items()}
    return dataclasses.replace(state, schema_objects=objects, row_counts={})


def assert_same(expected: DatabaseState, actual: DatabaseState) -> None:
    if expected != actual:
        raise AssertionError("database state differs:\n  " + "\n  ".join(expected.diff(actual)))


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = connect_raw(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params or None)
            return list(cur.fetchall())
    finally:
        conn.close()


def load_cases(url: str) -> str:
    load_case_schema(url, "mysql")
    run_statements(url, *EXTRA_SCHEMA)
    return url


def parquet_of(dirs: Any, table: str, name: str = "cases") -> pa.Table:
    entry = next(t for t in metadata_document(dirs, name)["tables"] if t["name"] == table)
    return pq.read_table(Path(dirs.snapshots_dir) / name / entry["file"])


@pytest.fixture
def new_mysql(mysql_backend, database_factory) -> Callable[[], str]:
    return lambda: database_factory(mysql_backend)


@pytest.fixture
def source(new_mysql) -> str:
    return load_cases(new_mysql())


@pytest.fixture
def snapshot(source, snapshot_dirs):
    """The case database, its state, and a snapshot of it named ``cases``."""
    config = config_for(snapshot_dirs)
    before = comparable_state(source)
    report = seedkit.snapshot(source, "cases", config=config)
    return config, before, report


@pytest.fixture
def prefilled(new_mysql) -> str:
    """A target with the same schema and other data: rows changed and added (its triggers fired), counters moved."""
    url = load_cases(new_mysql())
    run_statements(
        url,
        "DELETE FROM categories WHERE id = 7",
        "INSERT INTO categories (id, parent_id, name) VALUES (99, NULL, 'only in the target')",
        "INSERT INTO products (id, name, price, last_update) VALUES (3, 'Target only', 1.00, '2020-01-01')",
        "UPDATE type_matrix SET body = 'changed in the target' WHERE id = 1",
        "INSERT INTO auto_items (label) VALUES ('takes 1000')",
        "ALTER TABLE fresh_items AUTO_INCREMENT = 77",
    )
    return url


# --- round trips ---------------------------------------------------------------------------------------------------


def test_round_trip_into_empty_database_recreates_tables_rows_counters_triggers_and_views(snapshot, new_mysql):
    config, before, _ = snapshot
    target = new_mysql()

    report = seedkit.restore(target, "cases", config=config)

    assert report.created_schema
    assert_same(before, comparable_state(target))
    assert foreign_key_violations(target) == []


def test_round_trip_into_prefilled_database_replaces_its_data_without_firing_triggers(snapshot, prefilled):
    config, before, _ = snapshot
    assert comparable_state(prefilled) != before

    report = seedkit.restore(prefilled, "cases", config=config)

    assert not report.created_schema
    assert_same(before, comparable_state(prefilled))
    assert foreign_key_violations(prefilled) == []
    # The audit trigger did not add rows and the stamping trigger did not touch last_update.
    assert query(prefilled, "SELECT COUNT(*) FROM product_audit") == [(1,)]
    assert query(prefilled, "SELECT CAST(last_update AS CHAR) FROM products ORDER BY id") == [
        ("2001-02-03 04:05:06.000000",), ("2001-02-03 04:05:07.000000",)]


def test_refused_local_infile_falls_back_to_inserts_for_the_whole_restore(snapshot, prefilled, monkeypatch):
    config, before, _ = snapshot
    # A client without the LOCAL INFILE capability: the server refuses LOAD DATA LOCAL as it does with local_infile off.
    monkeypatch.setattr(connect, "_engine_options", lambda url: {"connect_args": {"connect_timeout": 5}})
    calls: dict[str, list[bool]] = {"load": [], "insert": []}
    load_data, insert = MySQLDialect._load_data, MySQLDialect._insert

    def spy_load(self, *args):
        calls["load"].append(load_data(self, *args))
        return calls["load"][-1]

    def spy_insert(self, *args):
        calls["insert"].append(True)
        return insert(self, *args)

    monkeypatch.setattr(MySQLDialect, "_load_data", spy_load)
    monkeypatch.setattr(MySQLDialect, "_insert", spy_insert)

    seedkit.restore(prefilled, "cases", config=config)

    assert calls["load"] == [False]  # refused once, then never tried again
    assert len(calls["insert"]) > 1
    assert_same(before, comparable_state(prefilled))
    assert foreign_key_violations(prefilled) == []


def test_views_are_skipped_with_a_reason_and_recreated_in_dependency_order(snapshot, new_mysql):
    config, _, report = snapshot
    skipped = {s["name"]: s for s in report.skipped}
    assert set(skipped) == {"v_products", "z_inner", "a_outer"}
    assert skipped["a_outer"]["kind"] == "view" and skipped["a_outer"]["reason"]
    target = new_mysql()
    seedkit.restore(target, "cases", config=config)
    assert query(target, "SELECT id FROM a_outer") == [(1,)]


def test_column_types_are_stored_as_exact_arrow_types(snapshot, snapshot_dirs):
    matrix = parquet_of(snapshot_dirs, "type_matrix").schema
    expected = {
        "size": pa.string(), "colours": pa.string(), "vintage": pa.int16(), "bits8": pa.uint64(), "bit1": pa.uint64(),
        "huge": pa.uint64(), "signed_big": pa.int64(), "amount": pa.decimal128(20, 6), "at_micro": pa.timestamp("us"),
        "changed_at": pa.timestamp("us"), "doc": pa.string(), "payload": pa.binary(), "tag": pa.binary(),
        "flag": pa.int8(), "small_float": pa.float32(), "wide_double": pa.float64(), "body": pa.string(),
        "clock": pa.duration("us"), "day": pa.date32(), "tiny_signed": pa.int8(), "tiny_unsigned": pa.uint8(),
    }
    assert {name: matrix.field(name).type for name in expected} == expected
    odd = parquet_of(snapshot_dirs, "odd name")
    assert odd.schema.field("fifty off").type == pa.decimal256(65, 30)
    assert odd.schema.field("medium_u").type == pa.uint32()
    values = parquet_of(snapshot_dirs, "type_matrix").to_pylist()
    by_id = {row["id"]: row for row in values}
    assert by_id[2]["huge"] == 18446744073709551615
    assert by_id[1]["bits8"] == 0b10100101
    assert by_id[1]["colours"] == "red,blue"
    assert by_id[2]["clock"] == -dt.timedelta(hours=838, minutes=59, seconds=59)
    assert by_id[3]["clock"] == dt.timedelta(hours=838, minutes=59, seconds=59)
    assert by_id[2]["payload"] == b"\x00\xff\x00\x00"
    assert by_id[2]["body"] == "emoji 🍣 and NUL-free ünïcödé"
    assert by_id[4] == {**{key: None for key in by_id[4]}, "id": 4}
    assert odd.to_pylist()[0]["wide bits"] == 2**64 - 1


def test_generated_columns_are_neither_dumped_nor_written(snapshot, snapshot_dirs, new_mysql):
    config, before, _ = snapshot
    assert parquet_of(snapshot_dirs, "boxes").schema.names == ["id", "width", "height"]
    target = new_mysql()
    seedkit.restore(target, "cases", config=config)
    assert query(target, "SELECT id, volume FROM boxes ORDER BY id") == [(1, 6), (2, 0)]


def test_auto_increment_counter_ahead_of_max_id_continues_where_the_source_was(snapshot, prefilled):
    config, _, _ = snapshot
    seedkit.restore(prefilled, "cases", config=config)
    run_statements(prefilled, "INSERT INTO auto_items (label) VALUES ('next')", "INSERT INTO fresh_items (label) VALUES ('first')")
    assert query(prefilled, "SELECT MAX(id) FROM auto_items") == [(1000,)]
    assert query(prefilled, "SELECT id FROM fresh_items") == [(1,)]
    # Row 0 kept id 0 under AUTO_INCREMENT (NO_AUTO_VALUE_ON_ZERO during the load).
    assert query(prefilled, "SELECT id FROM `odd name` ORDER BY id") == [(0,), (1,)]


def test_on_update_timestamp_columns_keep_the_snapshot_values(snapshot, prefilled):
    config, _, _ = snapshot
    seedkit.restore(prefilled, "cases", config=config)
    assert query(prefilled, "SELECT id, CAST(changed_at AS CHAR) FROM type_matrix ORDER BY id") == [
        (1, "2024-02-29 12:34:56.123456"), (2, "1970-01-01 00:00:01.000000"), (3, "2038-01-19 03:14:07.999999"),
        (4, None)]


def test_triggers_come_back_with_their_definition_order_and_sql_mode(snapshot, prefilled):
    config, before, _ = snapshot
    seedkit.restore(prefilled, "cases", config=config)
    assert comparable_state(prefilled).triggers == before.triggers
    # labels_second fires first (PRECEDES), labels_first concatenates with || under its own PIPES_AS_CONCAT.
    run_statements(prefilled, "INSERT INTO labels VALUES (2, 'y')")
    assert query(prefilled, "SELECT label FROM labels WHERE id = 2") == [("y-second-first",)]


def test_percent_signs_and_backticks_in_identifiers_round_trip(new_mysql, snapshot_dirs):
    # Read with HEX/CAST here: the shared state reader cannot query names holding '%'.
    source, target = new_mysql(), new_mysql()
    run_statements(source, "CREATE TABLE `50% off` (`id %` INT AUTO_INCREMENT PRIMARY KEY, `we``ird` VARCHAR(10), "
                           "`ref %` INT, FOREIGN KEY (`ref %`) REFERENCES `50% off` (`id %`))",
                   "INSERT INTO `50% off` VALUES (1, '%s', NULL), (2, NULL, 1)",
                   "CREATE TRIGGER `t %` BEFORE INSERT ON `50% off` FOR EACH ROW SET NEW.`we``ird` = 'fired'")
    config = config_for(snapshot_dirs)
    seedkit.snapshot(source, "odd", config=config)
    seedkit.restore(target, "odd", config=config)
    seedkit.restore(target, "odd", config=config)
    rows = "SELECT `id %`, HEX(`we``ird`), `ref %` FROM `50% off` ORDER BY 1"
    assert query(target, rows) == query(source, rows) == [(1, "2573", None), (2, None, 1)]
    assert query(target, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()") == [
        ("t %",)]


def test_schema_ddl_carries_no_definer():
    assert strip_definer("CREATE DEFINER=`root`@`127.0.0.1` TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 1") \
        == "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 1"
    assert strip_definer("CREATE ALGORITHM=UNDEFINED DEFINER=`a``b`@`%` SQL SECURITY DEFINER VIEW `v` AS select 1") \
        == "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1"


@pytest.mark.parametrize("data_type, column_type, precision, scale, expected", [
    ("tinyint", "tinyint(1)", 3, 0, pa.int8()),
    ("bigint", "bigint(20) unsigned", 20, 0, pa.uint64()),
    ("mediumint", "mediumint(8) unsigned", 7, 0, pa.uint32()),
    ("decimal", "decimal(38,10)", 38, 10, pa.decimal128(38, 10)),
    ("decimal", "decimal(39,0)", 39, 0, pa.decimal256(39, 0)),
    ("set", "set('a','b')", None, None, pa.string()),
    ("longtext", "longtext", None, None, pa.string()),
    ("year", "year(4)", None, None, pa.int16()),
    ("point", "point", None, None, pa.binary()),
])
def test_column_mapping_is_exact(data_type, column_type, precision, scale, expected):
    assert column_mapping(data_type, column_type, precision, scale)[0] == expected


def test_load_data_file_escapes_text_writes_nulls_hex_and_plain_decimals():
    batch = pa.record_batch({
        "i": pa.array([1, None, 3], pa.int64()),
        "s": pa.array(["a\tb\nc\\d\0e", "\\N", None]),
        "b": pa.array([b"zz", b"\x00\xff", b"", None], pa.binary()).slice(1),
        "d": pa.array([decimal.Decimal("-1E-30"), decimal.Decimal(0), None], pa.decimal256(65, 30)),
    })
    assert bytes(load_data_file(batch)).split(b"\n") == [
        b"1\ta\\tb\\nc\\\\d\\0e\t00ff\t-0.000000000000000000000000000001",
        b"\\N\t\\\\N\t\t0.000000000000000000000000000000",
        b"3\t\\N\t\\N\t\\N",
        b"",
    ]


# --- refusals and failures -----------------------------------------------------------------------------------------


def test_zero_date_is_refused_naming_table_and_column(new_mysql, snapshot_dirs):
    url = new_mysql()
    run_statements(url, "SET SESSION sql_mode = ''", "CREATE TABLE events (id INT PRIMARY KEY, happened DATE)",
                   "INSERT INTO events VALUES (1, '2024-01-01'), (2, '0000-00-00')")
    with pytest.raises(seedkit.SeedkitError, match=r"table events: column happened holds '0000-00-00'"):
        seedkit.snapshot(url, "zero", config=config_for(snapshot_dirs))
    assert list(Path(snapshot_dirs.snapshots_dir).iterdir()) == []


def assert_restore_fails_and_changes_nothing(target: str, config: Any, match: str) -> None:
    before = comparable_state(target)
    with pytest.raises(seedkit.SeedkitError, match=match):
        seedkit.restore(target, "cases", config=config)
    assert_same(before, comparable_state(target))


def replace_first_value(dirs: Any, table: str, column: str, value: Any) -> None:
    """Put ``value`` in the first row of ``table``'s file and re-sign the metadata: only the load can notice."""
    original = parquet_of(dirs, table)
    index = original.schema.get_field_index(column)
    values = original.column(index).to_pylist()
    changed = original.set_column(index, column, pa.array([value, *values[1:]], original.schema.field(column).type))
    replace_table_file(dirs, "cases", table, changed)


def test_changed_schema_is_refused_with_the_difference_and_changes_nothing(snapshot, prefilled):
    config, _, _ = snapshot
    run_statements(prefilled, "ALTER TABLE labels MODIFY label VARCHAR(90)")
    assert_restore_fails_and_changes_nothing(
        prefilled, config, r"table labels: column label type varchar\(80\) in the snapshot, varchar\(90\) in the database")


def test_duplicate_key_in_the_middle_of_the_load_leaves_rows_counters_and_triggers_as_before(snapshot, prefilled,
                                                                                              snapshot_dirs):
    config, _, _ = snapshot
    original = parquet_of(snapshot_dirs, "categories")
    replace_table_file(snapshot_dirs, "cases", "categories", pa.concat_tables([original, original.slice(0, 1)]))
    assert_restore_fails_and_changes_nothing(prefilled, config, "Duplicate entry")


def test_value_the_column_refuses_fails_the_restore_and_changes_nothing(snapshot, prefilled, snapshot_dirs):
    config, _, _ = snapshot
    # NULL in a NOT NULL column: strict mode refuses it instead of storing '' with a warning.
    replace_first_value(snapshot_dirs, "products", "name", None)
    assert_restore_fails_and_changes_nothing(prefilled, config, "name")


def test_orphan_foreign_key_in_the_files_fails_the_restore_and_changes_nothing(snapshot, prefilled, snapshot_dirs):
    config, _, _ = snapshot
    # Foreign-key checks are off during the load, so the dialect checks every constraint itself before COMMIT.
    replace_first_value(snapshot_dirs, "categories", "parent_id", 12345)
    assert_restore_fails_and_changes_nothing(
        prefilled, config, r"table categories: row with \(parent_id\) = \(12345,\) has no categories row")


def test_failed_restore_into_empty_database_drops_the_tables_and_views_it_created(snapshot, snapshot_dirs, new_mysql):
    config, _, _ = snapshot
    original = parquet_of(snapshot_dirs, "labels")
    replace_table_file(snapshot_dirs, "cases", "labels", pa.concat_tables([original, original]))
    target = new_mysql()
    with pytest.raises(seedkit.SeedkitError, match="Duplicate entry"):
        seedkit.restore(target, "cases", config=config)
    assert query(target, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()") == []
    assert query(target, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()") == []


def test_allow_drift_restores_the_common_columns(snapshot, prefilled, source):
    config, _, _ = snapshot
    run_statements(prefilled, "ALTER TABLE labels ADD COLUMN note VARCHAR(20) DEFAULT 'new'")
    with pytest.raises(seedkit.SeedkitError, match="--allow-drift"):
        seedkit.restore(prefilled, "cases", config=config)

    report = seedkit.restore(prefilled, "cases", config=config, allow_drift=True)

    assert report.rows == seedkit.show("cases", config=config).total_rows
    assert query(prefilled, "SELECT id, label, note FROM labels") == [(1, "x-second-first", "new")]
    source_rows = comparable_state(source).tables
    restored = comparable_state(prefilled).tables
    assert {k: v for k, v in restored.items() if k != "labels"} == {k: v for k, v in source_rows.items() if k != "labels"}


def test_pooled_connections_keep_their_session_settings(source, snapshot_dirs, new_mysql):
    import sqlalchemy as sa

    engine = sa.create_engine(source, pool_size=1, max_overflow=0)
    try:
        seedkit.snapshot(engine, "cases", config=config_for(snapshot_dirs))
        target = sa.create_engine(new_mysql(), pool_size=1, max_overflow=0)
        try:
            seedkit.restore(target, "cases", config=config_for(snapshot_dirs))
            with target.connect() as conn:
                settings_now = conn.exec_driver_sql("SELECT @@foreign_key_checks, @@time_zone").one()
            assert tuple(settings_now) == (1, "SYSTEM")
        finally:
            target.dispose()
    finally:
        engine.dispose()


# --- property: random values of every supported type ----------------------------------------------------------------

PROPERTY_TABLE = """CREATE TABLE prop (
    id INT PRIMARY KEY,
    ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
    i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, flag TINYINT(1),
    f FLOAT, d DOUBLE, dec_small DECIMAL(20, 6), dec_wide DECIMAL(65, 30),
    b1 BIT(1), b8 BIT(8), b64 BIT(64), y YEAR,
    day DATE, at DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, clock TIME(6),
    e ENUM('a', 'b', 'é'), s SET('x', 'y', 'z'),
    c CHAR(5), vc VARCHAR(40), tx TEXT, j JSON, vb VARBINARY(16), bl BLOB
) ENGINE = InnoDB"""

TIME_LIMIT_US = (838 * 3600 + 59 * 60 + 59) * 1_000_000
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                           max_leaves=6)


def _nullable(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


COLUMN_VALUES: dict[str, st.SearchStrategy] = {
    "ti": st.integers(-128, 127), "tiu": st.integers(0, 255), "si": st.integers(-(2**15), 2**15 - 1),
    "siu": st.integers(0, 2**16 - 1), "mi": st.integers(-(2**23), 2**23 - 1), "miu": st.integers(0, 2**24 - 1),
    "i": st.integers(-(2**31), 2**31 - 1), "iu": st.integers(0, 2**32 - 1), "bi": st.integers(-(2**63), 2**63 - 1),
    "biu": st.integers(0, 2**64 - 1), "flag": st.integers(-128, 127),
    "f": st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=False),
    "d": st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False),
    "dec_small": st.decimals(-(10**14) + 1, 10**14 - 1, places=6),
    "dec_wide": st.decimals(-(10**35) + 1, 10**35 - 1, places=30),
    "b1": st.integers(0, 1), "b8": st.integers(0, 255), "b64": st.integers(0, 2**64 - 1),
    "y": st.sampled_from([0]) | st.integers(1901, 2155),
    "day": st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)),
    "at": st.datetimes(dt.datetime(1000, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)),
    "ts": st.datetimes(dt.datetime(1970, 1, 1, 0, 0, 1), dt.datetime(2038, 1, 19, 3, 14, 7, 999999)),
    "clock": st.integers(-TIME_LIMIT_US, TIME_LIMIT_US).map(lambda us: dt.timedelta(microseconds=us)),
    "e": st.sampled_from(["a", "b", "é"]),
    "s": st.sets(st.sampled_from(["x", "y", "z"])).map(lambda chosen: ",".join(v for v in "xyz" if v in chosen)),
    "c": st.text(st.characters(blacklist_categories=("Cs",)), max_size=5).map(lambda v: v.rstrip(" ")),
    "vc": st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), "tx": TEXT,
    "j": JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)),
    "vb": st.binary(max_size=16), "bl": st.binary(max_size=64),
}
ROWS = st.lists(st.fixed_dictionaries({name: _nullable(values) for name, values in COLUMN_VALUES.items()}), max_size=5)


def test_random_values_of_every_supported_type_survive_a_round_trip(new_mysql, snapshot_dirs):
    source, target = new_mysql(), new_mysql()
    for url in (source, target):
        run_statements(url, PROPERTY_TABLE)
    config = config_for(snapshot_dirs)
    names = ["id", *COLUMN_VALUES]
    insert = f"INSERT INTO prop ({', '.join(names)}) VALUES ({', '.join('%s' for _ in names)})"

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=ROWS)
    def round_trip(rows: list[dict[str, Any]]) -> None:
        records = [(index, *(row[name] for name in COLUMN_VALUES)) for index, row in enumerate(rows)]
        conn = connect_raw(source)
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION time_zone = '+00:00'")
                cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
                cur.execute("DELETE FROM prop")
                if records:
                    cur.executemany(insert, records)
            conn.commit()
        finally:
            conn.close()

        first = seedkit.snapshot(source, "prop", config=config, force=True)
        dumped = parquet_of(snapshot_dirs, "prop", "prop").to_pylist()
        assert [tuple(row[n] for n in names) for row in dumped] == [_as_read(record) for record in records]
        seedkit.restore(target, "prop", config=config)

        assert_same(comparable_state(source), comparable_state(target))
        assert seedkit.snapshot(target, "again", config=config, force=True).content_hash == first.content_hash

    round_trip()


def _as_read(record: tuple[Any, ...]) -> tuple[Any, ...]:
    """A generated row as the dump must read it back: the same values, decimals at their column's scale."""
    values = list(record)
    for index, name in enumerate(COLUMN_VALUES, start=1):
        value = values[index]
        if isinstance(value, decimal.Decimal):
            places = 6 if name == "dec_small" else 30
            values[index] = value.quantize(decimal.Decimal(1).scaleb(-places), context=decimal.Context(prec=80))
    return tuple(values)


def test_clone_database_copies_rows_counters_triggers_and_views_without_firing_triggers(mysql_backend, database_factory):
    from seedkit.dialects import dialect_for
    from seedkit.dialects.connect import open_engine

    source = database_factory(mysql_backend)
    load_case_schema(source, "mysql")
    dialect = dialect_for(open_engine(source))
    clone_url = dialect.clone_database(f"{make_url(source).database}_clone")
    clone = dialect_for(open_engine(clone_url.render_as_string(hide_password=False)))
    try:
        assert_same_state(database_state(source), database_state(clone_url.render_as_string(hide_password=False)))
    finally:
        clone.drop_database()
    assert not clone.database_exists()
