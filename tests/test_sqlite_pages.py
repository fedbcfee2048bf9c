"""The in-place SQLite copy behind a SQLite reset: the target becomes the copy, as one transaction of the target.

Pinned for any pair of databases (hypothesis draws their sizes and contents, an empty target file included):
- afterwards the target holds the copy's rows and passes SQLite's integrity check;
- a connection held open across the copy sees the new rows and can write, and what it writes stays;
- a process killed half way leaves a hot journal that SQLite plays back on the next open: the target is then the
  same file, byte for byte, as before the copy.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from seedkit.dialects.sqlite.pages import copy_pages, is_wal

ROOT = Path(__file__).resolve().parent.parent


def make_database(path: Path, rows: int, seed: int, *, index: bool = True) -> None:
    path.unlink(missing_ok=True)
    generator = random.Random(seed)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT, body BLOB)")
        if index:
            conn.execute("CREATE INDEX t_label ON t (label)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                         ((n, f"row {generator.random()}", generator.randbytes(generator.randint(0, 400)))
                          for n in range(rows)))
        conn.commit()


def content(path: Path) -> tuple[list[tuple[object, ...]], str]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT * FROM t ORDER BY id").fetchall(), conn.execute("PRAGMA integrity_check").fetchone()[0]


def copy_in_a_process_killed_half_way(source: Path, target: Path) -> int:
    script = "import sys; from pathlib import Path; from seedkit.dialects.sqlite.pages import copy_pages; " \
             "copy_pages(Path(sys.argv[1]), Path(sys.argv[2]), 5)"
    return subprocess.run([sys.executable, "-c", script, str(source), str(target)], cwd=ROOT,
                          env={**os.environ, "SEEDKIT_FAIL_AT": "clone-copying"}).returncode


SIZES = st.sampled_from([0, 1, 40, 3000, 12000])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old_rows=SIZES, new_rows=SIZES.filter(bool), seed=st.integers(0, 1000))
def test_the_target_becomes_the_copy_and_a_connection_held_open_sees_it(tmp_path, old_rows, new_rows, seed):
    source, target = tmp_path / "copy.db", tmp_path / "target.db"
    make_database(source, new_rows, seed)
    make_database(target, old_rows, seed + 1, index=seed % 2 == 0)
    held = sqlite3.connect(target)
    try:
        assert held.execute("SELECT count(*) FROM t").fetchone() == (old_rows,)
        assert copy_pages(source, target, 5)
        assert content(target) == content(source)
        assert content(target)[1] == "ok"
        # The open connection noticed the change (file change counter and schema cookie moved on) and writes.
        assert held.execute("SELECT count(*) FROM t").fetchone() == (new_rows,)
        held.execute("INSERT INTO t (label) VALUES ('written after the reset')")
        held.commit()
    finally:
        held.close()
    assert content(target)[0][-1][1] == "written after the reset"
    assert not Path(f"{target}-journal").exists()


def test_a_target_that_is_an_empty_file_becomes_the_copy(tmp_path):
    source, target = tmp_path / "copy.db", tmp_path / "target.db"
    make_database(source, 500, 1)
    target.write_bytes(b"")
    assert copy_pages(source, target, 5)
    assert content(target) == content(source)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old_rows=SIZES, new_rows=SIZES.filter(bool), seed=st.integers(0, 1000))
def test_a_copy_killed_half_way_is_rolled_back_byte_for_byte(tmp_path, old_rows, new_rows, seed):
    source, target = tmp_path / "copy.db", tmp_path / "target.db"
    make_database(source, new_rows, seed)
    make_database(target, old_rows, seed + 1)
    before = target.read_bytes()
    assert copy_in_a_process_killed_half_way(source, target) == -9
    assert Path(f"{target}-journal").exists(), "the kill left the journal hot"
    with closing(sqlite3.connect(target)) as conn:  # any connection plays a hot journal back
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    assert not Path(f"{target}-journal").exists()
    assert target.read_bytes() == before


def test_a_transaction_held_open_makes_the_copy_wait_then_fail_without_changing_anything(tmp_path):
    source, target = tmp_path / "copy.db", tmp_path / "target.db"
    make_database(source, 100, 1)
    make_database(target, 50, 2)
    before = target.read_bytes()
    reader = sqlite3.connect(target, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchone()  # holds the read lock until the transaction ends
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            copy_pages(source, target, 0.2)
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (50,)
    finally:
        reader.close()
    assert target.read_bytes() == before


def test_databases_in_wal_mode_are_left_to_the_backup_api(tmp_path):
    source, target = tmp_path / "copy.db", tmp_path / "target.db"
    make_database(source, 10, 1)
    make_database(target, 10, 2)
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    assert is_wal(target.read_bytes()[:100])
    before = content(target)
    assert copy_pages(source, target, 5) is False
    assert content(target) == before
