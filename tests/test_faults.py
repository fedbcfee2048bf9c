"""Bad input gives one clear error line, a non-zero exit, no traceback, and leaves the target exactly as it was."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import seedkit
from seedkit.cli import main
from dbstate import assert_same_state, database_state
from helpers import config_for, execute, metadata_document, replace_table_file, rewrite_metadata
from schemas import load_case_schema


def run_cli(args: list[str]) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(_main_command, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _main_command_impl(args: tuple[str, ...]) -> None:
    main(list(args))


import click  # noqa: E402

_main_command = click.Command("seedkit", callback=_main_command_impl,
                              params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
                              context_settings={"ignore_unknown_options": True, "help_option_names": []})


@pytest.fixture
def prepared(backend, case_database, new_database, snapshot_dirs):
    """A snapshot of the case database, and a pre-filled target holding different data."""
    config = config_for(snapshot_dirs)
    seedkit.snapshot(case_database, "cases", config=config)
    target = new_database()
    load_case_schema(target, backend.name)
    execute(target, "DELETE FROM categories WHERE id = 7",
            "INSERT INTO categories (id, parent_id, name) VALUES (42, NULL, 'target only')")
    return target, snapshot_dirs, database_state(target)


def restore_args(target: str, dirs, name: str = "cases", *extra: str) -> list[str]:
    return ["--snapshots-dir", str(dirs.snapshots_dir), "--metadata-dir", str(dirs.metadata_dir),
            "restore", name, "--db", target, *extra]


def assert_one_line_error(code: int, stderr: str, *fragments: str) -> None:
    assert code != 0
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("seedkit: error:"), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def table_file(dirs, table: str, name: str = "cases") -> Path:
    entry = next(t for t in metadata_document(dirs, name)["tables"] if t["name"] == table)
    return Path(dirs.snapshots_dir) / name / entry["file"]


def test_truncated_parquet_file_is_refused_before_the_database_is_touched(prepared):
    target, dirs, before = prepared
    path = table_file(dirs, "categories")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    code, _, err = run_cli(restore_args(target, dirs))
    assert_one_line_error(code, err, "categories", "bytes")
    assert_same_state(before, database_state(target))


def test_garbage_parquet_with_matching_checksums_is_refused(prepared):
    target, dirs, before = prepared
    path = table_file(dirs, "categories")
    path.write_bytes(b"not a parquet file at all" * 10)
    data = metadata_document(dirs, "cases")
    from seedkit.engine.parquet import file_digest
    entry = next(t for t in data["tables"] if t["name"] == "categories")
    entry["bytes"], entry["sha256"] = path.stat().st_size, file_digest(path)
    rewrite_metadata(dirs, "cases", data)
    code, _, err = run_cli(restore_args(target, dirs))
    assert_one_line_error(code, err, "cannot read")
    assert_same_state(before, database_state(target))


def test_missing_file_is_refused(prepared):
    target, dirs, before = prepared
    table_file(dirs, "categories").unlink()
    code, _, err = run_cli(restore_args(target, dirs))
    assert_one_line_error(code, err, "missing")
    assert_same_state(before, database_state(target))


@pytest.mark.parametrize("edit", ["rows", "content_hash", "schema", "format", "not-json"])
def test_edited_metadata_is_refused(prepared, edit):
    target, dirs, before = prepared
    data = metadata_document(dirs, "cases")
    if edit == "rows":
        data["tables"][0]["rows"] += 1
    elif edit == "content_hash":
        data["content_hash"] = "sha256:" + "0" * 64
    elif edit == "schema":
        first = next(iter(data["schema"].values()))
        next(iter(first["columns"].values()))["nullable"] ^= True
    elif edit == "format":
        data["format"] = "seedkit-snapshot/99"
    if edit == "not-json":
        (Path(dirs.metadata_dir) / "cases.json").write_text("{ truncated", encoding="utf-8")
    else:
        rewrite_metadata(dirs, "cases", data)
    code, _, err = run_cli(restore_args(target, dirs))
    assert_one_line_error(code, err, "cases")
    assert_same_state(before, database_state(target))


def test_schema_changed_after_the_dump_is_refused_with_the_difference(prepared):
    target, dirs, _ = prepared
    execute(target, "ALTER TABLE categories ADD COLUMN extra_note VARCHAR(20)")
    before = database_state(target)
    code, _, err = run_cli(restore_args(target, dirs))
    assert_one_line_error(code, err, "categories", "extra_note", "--allow-drift")
    assert_same_state(before, database_state(target))


def test_allow_drift_restores_the_common_columns_and_says_what_it_skipped(prepared, case_database):
    target, dirs, _ = prepared
    execute(target, "ALTER TABLE categories ADD COLUMN extra_note VARCHAR(20)")
    code, out, err = run_cli(restore_args(target, dirs, "cases", "--allow-drift", "--json"))
    assert code == 0, err
    report = json.loads(out)
    assert report["skipped"] == []  # the snapshot's columns all exist; the new column is simply left NULL
    restored = database_state(target).rows("categories")
    assert restored and all(row[-1] is None for row in restored if len(row) == 4)
    assert len(restored) == len(database_state(case_database).rows("categories"))


def test_failure_in_the_middle_of_the_load_leaves_the_database_exactly_as_it_was(prepared):
    target, dirs, before = prepared
    # A later table whose file passes every checksum but holds a duplicate primary key: the load itself fails.
    path = table_file(dirs, "categories")
    original = pq.read_table(path)
    replace_table_file(dirs, "cases", "categories", pa.concat_tables([original, original.slice(0, 1)]))
    code, _, err = run_cli(restore_args(target, dirs))
    assert_one_line_error(code, err, "loading table categories")
    assert_same_state(before, database_state(target))


def test_failed_restore_into_an_empty_database_leaves_it_empty(backend, case_database, new_database, snapshot_dirs):
    config = config_for(snapshot_dirs)
    seedkit.snapshot(case_database, "cases", config=config)
    path = table_file(snapshot_dirs, "categories")
    original = pq.read_table(path)
    replace_table_file(snapshot_dirs, "cases", "categories", pa.concat_tables([original, original.slice(0, 1)]))
    target = new_database()
    before = database_state(target)
    with pytest.raises(seedkit.SeedkitError):
        seedkit.restore(target, "cases", config=config)
    assert_same_state(before, database_state(target))


@pytest.mark.parametrize("name", ["../x", "a/b"])
def test_path_like_names_are_refused_with_a_usage_error(prepared, name):
    target, dirs, before = prepared
    code, _, err = run_cli(restore_args(target, dirs, name))
    assert code == 2
    assert_one_line_error(1, err, "invalid snapshot name")
    assert_same_state(before, database_state(target))


@pytest.mark.parametrize("url", [
    "postgresql://postgres@127.0.0.1:1/seedkit_nowhere",
    "mysql://root@127.0.0.1:1/seedkit_nowhere",
])
def test_unreachable_database_gives_one_line(snapshot_dirs, tmp_path, url):
    source = tmp_path / "src.db"
    execute(f"sqlite:///{source}", "CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)")
    seedkit.snapshot(f"sqlite:///{source}", "s", config=config_for(snapshot_dirs))
    code, _, err = run_cli(restore_args(url, snapshot_dirs, "s"))
    assert_one_line_error(code, err, "cannot connect", "127.0.0.1")
    code, _, err = run_cli(["--snapshots-dir", str(snapshot_dirs.snapshots_dir), "--metadata-dir",
                            str(snapshot_dirs.metadata_dir), "snapshot", "x", "--db", url])
    assert_one_line_error(code, err, "cannot connect")


def test_snapshot_of_a_missing_sqlite_file_is_refused_and_creates_nothing(snapshot_dirs, tmp_path):
    missing = tmp_path / "typo.db"
    code, _, err = run_cli(["--snapshots-dir", str(snapshot_dirs.snapshots_dir), "--metadata-dir",
                            str(snapshot_dirs.metadata_dir), "snapshot", "x", "--db", f"sqlite:///{missing}"])
    assert_one_line_error(code, err, "does not exist")
    assert not missing.exists()
    assert os.listdir(snapshot_dirs.snapshots_dir) == []


def test_interrupted_dump_leaves_no_half_snapshot(sqlite_backend, database_factory, snapshot_dirs, monkeypatch):
    url = database_factory(sqlite_backend)
    load_case_schema(url, "sqlite")
    from seedkit.engine import dump

    calls = {"n": 0}
    real = dump._dump_table

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(dump, "_dump_table", failing)
    with pytest.raises(KeyboardInterrupt):
        seedkit.snapshot(url, "half", config=config_for(snapshot_dirs))
    assert os.listdir(snapshot_dirs.snapshots_dir) == []
    assert os.listdir(snapshot_dirs.metadata_dir) == []


def test_failure_in_a_parallel_reader_leaves_no_half_snapshot(postgresql_backend, database_factory, snapshot_dirs,
                                                              monkeypatch):
    """PostgreSQL reads tables on two connections at once: a failure in either thread stops both, and nothing is
    left behind."""
    url = database_factory(postgresql_backend)
    execute(url, *[f"CREATE TABLE t{i} (id int PRIMARY KEY, v text)" for i in range(4)],
            *[f"INSERT INTO t{i} SELECT g, 'v' || g FROM generate_series(1, 5000) g" for i in range(4)])
    from seedkit.engine import dump

    real = dump._dump_table

    def failing(dialect, conn, job, *args, **kwargs):
        if job.table.key == "t2":
            raise RuntimeError("disk full")
        return real(dialect, conn, job, *args, **kwargs)

    monkeypatch.setattr(dump, "_dump_table", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        seedkit.snapshot(url, "half", config=config_for(snapshot_dirs))
    assert os.listdir(snapshot_dirs.snapshots_dir) == []
    assert os.listdir(snapshot_dirs.metadata_dir) == []


def test_parallel_readers_see_one_snapshot(postgresql_backend, database_factory, snapshot_dirs, monkeypatch):
    """Rows committed while the dump runs are in none of its tables, whichever connection reads them."""
    url = database_factory(postgresql_backend)
    execute(url, *[f"CREATE TABLE t{i} (id int PRIMARY KEY)" for i in range(4)],
            *[f"INSERT INTO t{i} SELECT generate_series(1, 100)" for i in range(4)])
    from seedkit.engine import dump

    real = dump._dump_table

    def writing_meanwhile(dialect, conn, job, *args, **kwargs):
        execute(url, f"INSERT INTO {job.table.key} SELECT generate_series(101, 200)")
        return real(dialect, conn, job, *args, **kwargs)

    monkeypatch.setattr(dump, "_dump_table", writing_meanwhile)
    report = seedkit.snapshot(url, "consistent", config=config_for(snapshot_dirs))
    assert {t.name: t.rows for t in report.tables} == {f"t{i}": 100 for i in range(4)}
    assert [t["name"] for t in metadata_document(snapshot_dirs, "consistent")["tables"]] == ["t0", "t1", "t2", "t3"]
