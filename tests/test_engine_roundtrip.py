"""Round trips over every backend's case schema: dump, restore into an empty and into a pre-filled database."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

import seedkit
from dbstate import assert_same_state, database_state, foreign_key_violations
from helpers import config_for, execute, metadata_document
from schemas import load_case_schema


def test_round_trip_into_empty_database_recreates_schema_rows_sequences_and_triggers(
    backend, case_database, new_database, snapshot_dirs
):
    config = config_for(snapshot_dirs)
    before = database_state(case_database)
    seedkit.snapshot(case_database, "cases", config=config)
    target = new_database()

    report = seedkit.restore(target, "cases", config=config)

    assert report.created_schema
    assert_same_state(before, database_state(target))
    assert foreign_key_violations(target) == []


def test_round_trip_into_prefilled_database_replaces_its_data_without_firing_triggers(
    backend, case_database, new_database, snapshot_dirs
):
    config = config_for(snapshot_dirs)
    before = database_state(case_database)
    seedkit.snapshot(case_database, "cases", config=config)
    target = new_database()
    load_case_schema(target, backend.name)
    # Other data in the target: rows removed and added (its triggers fire now, and must not during the restore).
    execute(target, "DELETE FROM categories WHERE id = 7",
            "INSERT INTO categories (id, parent_id, name) VALUES (99, NULL, 'only in the target')")
    assert database_state(target) != before

    report = seedkit.restore(target, "cases", config=config)

    assert not report.created_schema
    assert_same_state(before, database_state(target))
    assert foreign_key_violations(target) == []


def test_snapshot_records_load_order_parents_first_and_skips_views(backend, case_database, snapshot_dirs):
    config = config_for(snapshot_dirs)
    report = seedkit.snapshot(case_database, "cases", config=config)
    meta = metadata_document(snapshot_dirs, "cases")
    order = [t["name"] for t in meta["tables"]]
    position = {name: index for index, name in enumerate(order)}
    cycle = {"departments", "employees"}
    for table in meta["tables"]:
        for parent in table["depends_on"]:
            if not {table["name"], parent} <= cycle:
                assert position[parent] < position[table["name"]], (parent, table["name"])
    assert "v_products" in {s["name"] for s in report.skipped}
    assert "v_products" not in position


def test_snapshot_files_are_zstd_parquet_in_primary_key_order(backend, case_database, snapshot_dirs):
    config = config_for(snapshot_dirs)
    seedkit.snapshot(case_database, "cases", config=config)
    meta = metadata_document(snapshot_dirs, "cases")
    entry = next(t for t in meta["tables"] if t["name"] == "categories")
    parquet = pq.ParquetFile(Path(snapshot_dirs.snapshots_dir) / "cases" / entry["file"])
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"
    ids = parquet.read(columns=["id"]).column("id").to_pylist()
    assert ids == sorted(ids) and len(ids) == entry["rows"] > 0


def test_same_data_gives_the_same_content_hash_and_identical_files(backend, case_database, snapshot_dirs):
    config = config_for(snapshot_dirs)
    first = seedkit.snapshot(case_database, "one", config=config)
    second = seedkit.snapshot(case_database, "two", config=config)
    assert first.content_hash == second.content_hash
    one, two = metadata_document(snapshot_dirs, "one"), metadata_document(snapshot_dirs, "two")
    assert [t["sha256"] for t in one["tables"]] == [t["sha256"] for t in two["tables"]]


def test_changed_data_gives_a_different_content_hash(backend, case_database, snapshot_dirs):
    config = config_for(snapshot_dirs)
    first = seedkit.snapshot(case_database, "one", config=config)
    execute(case_database, "UPDATE categories SET name = 'renamed' WHERE id = 5")
    second = seedkit.snapshot(case_database, "two", config=config)
    assert first.content_hash != second.content_hash
    one, two = metadata_document(snapshot_dirs, "one"), metadata_document(snapshot_dirs, "two")
    changed = [a["name"] for a, b in zip(one["tables"], two["tables"]) if a["content_digest"] != b["content_digest"]]
    assert changed == ["categories"]


def test_restore_twice_is_idempotent(backend, case_database, new_database, snapshot_dirs):
    config = config_for(snapshot_dirs)
    before = database_state(case_database)
    seedkit.snapshot(case_database, "cases", config=config)
    target = new_database()
    seedkit.restore(target, "cases", config=config)
    seedkit.restore(target, "cases", config=config)
    assert_same_state(before, database_state(target))


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "", "x y", "a\\b"])
def test_invalid_names_are_refused_before_any_file_is_written(name, tmp_path, snapshot_dirs):
    config = config_for(snapshot_dirs)
    with pytest.raises(seedkit.SeedkitError, match="invalid snapshot name"):
        seedkit.snapshot(f"sqlite:///{tmp_path / 'none.db'}", name, config=config)
    assert list(Path(snapshot_dirs.snapshots_dir).iterdir()) == []
    assert not (tmp_path / "none.db").exists()
