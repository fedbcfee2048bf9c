"""seedkit diff: per-table rows added, removed and changed by primary key, schema differences, multisets for tables
without a key, text keys in a collation order Python does not share, and bounded memory on 1M-row tables."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

import seedkit.travel.row_merge as diff_module
from seedkit import api
from seedkit.travel.diff import TableSource, diff_table

from .conftest import Project

BEFORE = """
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, note TEXT);
INSERT INTO items VALUES (1, 'one', 1, 'n1'), (2, 'two', 2, NULL), (3, 'three', 3, NULL), (4, 'four', 4, NULL),
                         (5, 'five', 5, 'n5');
CREATE TABLE tags (label TEXT, n INTEGER);
INSERT INTO tags VALUES ('x', 1), ('x', 1), ('y', 2), ('z', 3);
CREATE TABLE codes (code TEXT COLLATE NOCASE PRIMARY KEY, v INTEGER);
INSERT INTO codes VALUES ('a', 1), ('B', 2), ('c', 3);
CREATE TABLE gone (id INTEGER PRIMARY KEY);
INSERT INTO gone VALUES (1), (2);
"""

CHANGES = """
INSERT INTO items VALUES (6, 'six', 6, NULL);
DELETE FROM items WHERE id = 2;
UPDATE items SET name = 'THREE' WHERE id = 3;
UPDATE items SET note = 'now set' WHERE id = 4;
INSERT INTO tags VALUES ('x', 1);
DELETE FROM tags WHERE label = 'z';
UPDATE codes SET v = 20 WHERE code = 'B';
INSERT INTO codes VALUES ('D', 4);
DROP TABLE gone;
CREATE TABLE fresh (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO fresh VALUES (1, 'a'), (2, 'b'), (3, 'c');
"""

EXPECTED = {  # table: (status, added, removed, changed)
    "items": ("differs", 1, 1, 2),
    "tags": ("differs", 1, 1, 0),
    "codes": ("differs", 1, 0, 1),
    "gone": ("removed", 0, 2, 0),
    "fresh": ("added", 3, 0, 0),
}


@pytest.fixture
def changed(project: Project) -> Project:
    """Snapshot ``before``, then the crafted changes applied to the database and snapshotted as ``after``."""
    sqlite3.connect(project.db).executescript(BEFORE)
    project.ok("snapshot", "before", "-q")
    sqlite3.connect(project.db).executescript(CHANGES)
    project.ok("snapshot", "after", "-q")
    return project


def _counts(report: dict) -> dict:
    return {t["name"]: (t["status"], t["added"], t["removed"], t["changed"]) for t in report["tables"]}


def test_two_snapshots_give_exact_counts_per_table(changed: Project):
    report = json.loads(changed.ok("diff", "before", "after", "--json"))
    assert report["a"] == "before" and report["b"] == "after" and not report["identical"]
    assert _counts(report) == EXPECTED
    methods = {t["name"]: t["method"] for t in report["tables"]}
    assert methods["items"] == "merge" and methods["tags"] == "multiset"
    assert methods["codes"] == "buckets", "NOCASE order is not Python's: the merge must notice and fall back"


def test_a_snapshot_against_the_live_database_gives_the_same_counts(changed: Project):
    report = json.loads(changed.ok("diff", "before", "--db", changed.url, "--json"))
    assert report["b"] == changed.url
    assert _counts(report) == EXPECTED
    assert json.loads(changed.ok("diff", "after", "--json"))["identical"]


def test_samples_show_inserted_deleted_updated_and_null_to_value_rows(changed: Project):
    report = json.loads(changed.ok("diff", "before", "after", "--table", "items", "--limit", "5", "--json"))
    [items] = report["tables"]
    assert items["samples"] == {
        "added": [{"id": 6, "name": "six", "qty": 6, "note": None}],
        "removed": [{"id": 2, "name": "two", "qty": 2, "note": None}],
        "changed": [{"key": {"id": 3}, "changes": {"name": ["three", "THREE"]}},
                    {"key": {"id": 4}, "changes": {"note": [None, "now set"]}}],
    }
    text = changed.ok("diff", "before", "after", "--table", "items", "--limit", "1")
    assert "changed in items (1 of 2):\n  id=3: name: \"three\" -> \"THREE\"" in text
    assert "added in items (1 of 1):\n  id=6, name=\"six\", qty=6, note=null" in text


def test_human_summary_lists_only_what_differs_and_fits_on_a_screen(changed: Project):
    text = changed.ok("diff", "before", "after")
    lines = text.splitlines()
    assert lines[0] == "before -> after: 5 of 5 table(s) differ"
    assert lines[1].split() == ["TABLE", "ROWS", "A", "ROWS", "B", "ADDED", "REMOVED", "CHANGED", "SCHEMA"]
    assert any(line.split()[:2] == ["gone", "(removed)"] for line in lines)
    assert len(lines) < 40 and max(len(line) for line in lines) <= 120
    assert changed.ok("diff", "after", "after") == "after -> after: no differences in 4 table(s)\n"
    unknown = changed.run("diff", "before", "after", "--table", "nope")
    assert unknown.code == 2 and "table 'nope' is in neither before nor after" in unknown.err


def test_a_type_change_is_a_schema_difference_and_only_changed_values_count(project: Project):
    sqlite3.connect(project.db).executescript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 10), (2, 20), (3, NULL);")
    project.ok("snapshot", "ints", "-q")
    sqlite3.connect(project.db).executescript(
        "DROP TABLE t; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
        "INSERT INTO t VALUES (1, '10'), (2, 'twenty'), (3, NULL);")
    report = json.loads(project.ok("diff", "ints", "--table", "t", "--json"))
    [table] = report["tables"]
    assert table["schema"] == [f"column v type INTEGER in ints, TEXT in {project.url}"]
    assert (table["changed"], table["added"], table["removed"]) == (1, 0, 0)
    assert table["samples"]["changed"] == [{"key": {"id": 2}, "changes": {"v": ["20", "twenty"]}}]
    text = project.ok("diff", "ints")
    assert f"schema:\n  t: column v type INTEGER in ints, TEXT in {project.url}" in text


def test_diff_of_a_fresh_checkout_rebuilds_the_snapshot_first(demo_phase_2: Project, fresh_clone):
    clone = fresh_clone(demo_phase_2)
    clone.ok("seed", "--phase", "2", "-q")
    with sqlite3.connect(clone.db) as conn:
        conn.execute("UPDATE users SET full_name = 'Renamed' WHERE id = 1")
    report = json.loads(clone.ok("diff", "phase-2", "--json"))
    assert {t["name"]: t["changed"] for t in report["tables"] if t["status"] != "same"} == {"users": 1}


def _source(name: str, rows: dict[int, tuple], batch_rows: int) -> TableSource:
    keys = sorted(rows)
    table = pa.table({"id": keys, "a": [rows[k][0] for k in keys], "b": [rows[k][1] for k in keys]},
                     schema=pa.schema([("id", pa.int64()), ("a", pa.int64()), ("b", pa.string())]))
    return TableSource(name, ["id", "a", "b"], ["int64", "int64", "string"], ["id"],
                       lambda: iter(table.to_batches(max_chunksize=batch_rows)))


@pytest.mark.parametrize("seed", range(12))
def test_streaming_merge_agrees_with_a_dictionary_comparison(seed: int, monkeypatch: pytest.MonkeyPatch):
    # Small windows and odd batch sizes, so that differences fall on window, chunk and batch boundaries.
    monkeypatch.setattr(diff_module, "WINDOW_ROWS", random.Random(seed).choice([4, 16, 64]))
    monkeypatch.setattr(diff_module, "STEP_ROWS", 2)
    monkeypatch.setattr(diff_module, "CHUNK_ROWS", 8)
    rng = random.Random(seed)
    before = {k: (rng.randrange(5), rng.choice(["p", "q", None])) for k in rng.sample(range(3000), 1500)}
    after = dict(before)
    for key in rng.sample(sorted(before), 60):
        del after[key]
    for key in rng.sample(sorted(set(range(3000)) - set(before)), 40):
        after[key] = (1, "new")
    for key in rng.sample(sorted(after), 200):
        after[key] = (after[key][0], rng.choice(["p", "q", None]))
    result = diff_table(_source("t", before, rng.randrange(1, 300)), _source("t", after, rng.randrange(1, 300)), [])
    assert result.method == "merge"
    assert (result.added, result.removed) == (len(set(after) - set(before)), len(set(before) - set(after)))
    assert result.changed == sum(1 for k in set(before) & set(after) if before[k] != after[k])
    assert (result.rows_a, result.rows_b) == (len(before), len(after))


MEMORY_SCRIPT = textwrap.dedent('''
    import resource, time
    from pathlib import Path
    from seedkit import api
    from seedkit.config import load_config

    def peak_mb():
        # VmHWM is this process's own high-water mark; ru_maxrss on Linux keeps the parent's across fork and exec.
        status = Path("/proc/self/status")
        if status.exists():
            line = next(l for l in status.read_text().splitlines() if l.startswith("VmHWM:"))
            return int(line.split()[1]) // 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

    config = load_config()
    started = time.perf_counter()
    snapshots = api.diff("a", "b", config=config).tables[0]
    middle = time.perf_counter()
    live = api.diff("a", config=config).tables[0]
    print(snapshots.changed, snapshots.removed, snapshots.added, live.changed, live.removed, live.added,
          round(middle - started, 2), round(time.perf_counter() - middle, 2), peak_mb())
''')


def test_diffing_two_million_row_tables_stays_under_256_mb(project: Project):
    sqlite3.connect(project.db).executescript(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, account TEXT NOT NULL, amount REAL, kind INTEGER, note TEXT);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) "
        "INSERT INTO events SELECT i, 'acct-' || (i % 5000), i * 0.25, i % 7, NULL FROM n;")
    project.ok("snapshot", "a", "-q")
    sqlite3.connect(project.db).executescript(
        "UPDATE events SET amount = -1 WHERE id % 1000 = 0;"             # 1000 changed
        "UPDATE events SET note = 'set' WHERE id % 4999 = 1;"            # 201 NULL -> value, 5000 already counted
        "DELETE FROM events WHERE id % 100003 = 7;"                      # 10 removed
        "INSERT INTO events VALUES (2000001, 'new', 1, 1, NULL), (2000002, 'new', 2, 2, NULL);")
    project.ok("snapshot", "b", "-q")
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], cwd=project.root, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    changed, removed, added, live_changed, live_removed, live_added, seconds, live_seconds, peak_mb = \
        result.stdout.split()
    assert (int(changed), int(removed), int(added)) == (1200, 10, 2)
    assert (int(live_changed), int(live_removed), int(live_added)) == (1200, 10, 2)
    print(f"1M rows: two snapshots {seconds} s, snapshot vs SQLite {live_seconds} s, peak RSS {peak_mb} MB")
    assert int(peak_mb) <= 256
