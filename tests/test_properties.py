"""Property tests: random values of each supported column type survive snapshot -> restore unchanged (SQLite).

PostgreSQL and MariaDB have their own property tests beside their dialect tests.
"""

from __future__ import annotations

import math
import sqlite3
import struct
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, given, settings, strategies as st

import seedkit
from seedkit.engine.digest import ColumnDigest
from helpers import config_for

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
BLOBS = st.binary(max_size=40)
ANY_VALUE = st.one_of(st.none(), INT64, FLOATS, TEXT, BLOBS)

ROWS = st.lists(st.tuples(st.none() | INT64, st.none() | FLOATS, st.none() | TEXT, st.none() | BLOBS, ANY_VALUE),
                max_size=25)


class Dirs:
    def __init__(self, base: Path) -> None:
        self.snapshots_dir = base / "snapshots"
        self.metadata_dir = base / "metadata"


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_sqlite_values_of_every_storage_class_survive_a_round_trip(tmp_path_factory, rows):
    base = tmp_path_factory.mktemp("prop")
    source, target = base / "source.db", base / "target.db"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, anything)")
        conn.executemany("INSERT INTO t (i, r, s, b, anything) VALUES (?, ?, ?, ?, ?)", rows)
        expected = conn.execute("SELECT id, i, r, s, b, anything, typeof(anything) FROM t ORDER BY id").fetchall()
    config = config_for(Dirs(base))
    seedkit.snapshot(f"sqlite:///{source}", "p", config=config)
    seedkit.restore(f"sqlite:///{target}", "p", config=config)
    with sqlite3.connect(target) as conn:
        actual = conn.execute("SELECT id, i, r, s, b, anything, typeof(anything) FROM t ORDER BY id").fetchall()
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual):
        assert all(_same(a, b) for a, b in zip(want, got)), (want, got)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.none() | TEXT, max_size=30), cuts=st.lists(st.integers(0, 30), max_size=4))
def test_content_digest_does_not_depend_on_batch_boundaries(values, cuts):
    array = pa.array(values, type=pa.string())
    whole = ColumnDigest()
    whole.update(array)
    pieces = ColumnDigest()
    points = sorted({min(c, len(values)) for c in cuts} | {0, len(values)})
    for start, end in zip(points, points[1:]):
        pieces.update(array.slice(start, end - start))
    assert whole.hexdigest() == pieces.hexdigest()


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.none() | INT64, min_size=1, max_size=30), index=st.integers(0, 29), new=INT64)
def test_content_digest_changes_when_any_value_changes(values, index, new):
    index %= len(values)
    if values[index] == new:
        return
    changed = list(values)
    changed[index] = new
    a, b = ColumnDigest(), ColumnDigest()
    a.update(pa.array(values, type=pa.int64()))
    b.update(pa.array(changed, type=pa.int64()))
    assert a.hexdigest() != b.hexdigest()
