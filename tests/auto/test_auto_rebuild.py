"""A snapshot of a ``seed --auto`` run is rebuilt from its recipe when its files are missing, on the schema it was
taken from; a database whose schema changed since cannot rebuild it, and says so."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

import seedkit
from backends import run_statements
from helpers import config_for
from seedkit import api
from seedkit.errors import RebuildMismatchError, SnapshotNotFoundError

from .hard_schemas import SCHEMAS
from .test_auto_seed import row_counts


@pytest.fixture
def hard_database(backend, new_database) -> str:
    url = new_database()
    run_statements(url, *SCHEMAS[backend.name]())
    return url


def test_missing_files_of_an_auto_snapshot_are_rebuilt_from_its_recipe(backend, hard_database, snapshot_dirs):
    config = config_for(snapshot_dirs, hard_database)
    seedkit.seed_auto(hard_database, config=config, rows=25, table_rows={"orders": 60}, seed=11)
    taken = seedkit.snapshot(hard_database, "auto-25", config=config)
    assert api.show("auto-25", config=config).generator["auto"] == {"rows": 25, "table_rows": {"orders": 60},
                                                                    "only": []}
    shutil.rmtree(snapshot_dirs.snapshots_dir / "auto-25")

    report = api.rebuild("auto-25", config=config, db=hard_database)
    assert report.content_hash == taken.content_hash and report.kept
    assert api.verify("auto-25", config=config).content_hash == taken.content_hash  # raises on a bad file
    # The configured database is the schema's source only: its rows are untouched.
    assert row_counts(hard_database)["orders"] == 60

    shutil.rmtree(snapshot_dirs.snapshots_dir / "auto-25")
    seedkit.seed_auto(hard_database, config=config, rows=3)
    restored = seedkit.restore(hard_database, "auto-25", config=config)
    assert restored.files_from == "rebuild" and row_counts(hard_database)["orders"] == 60


def test_a_changed_generator_configuration_is_a_named_mismatch(sqlite_backend, database_factory, snapshot_dirs):
    url = database_factory(sqlite_backend)
    run_statements(url, *SCHEMAS["sqlite"]())
    config = config_for(snapshot_dirs, url)
    seedkit.seed_auto(url, config=config, rows=10, seed=2)
    seedkit.snapshot(url, "auto-10", config=config)
    shutil.rmtree(snapshot_dirs.snapshots_dir / "auto-10")
    changed = dataclasses.replace(config, auto={"columns": {"orders.currency": {"constant": "EUR"}}})
    with pytest.raises(RebuildMismatchError) as mismatch:
        api.rebuild("auto-10", config=changed, db=url)
    assert mismatch.value.tables == ["orders"]
    assert "seedkit seed --auto --rows 10 --seed 2" in str(mismatch.value)


def test_a_schema_changed_since_the_snapshot_cannot_rebuild_it(sqlite_backend, database_factory, snapshot_dirs):
    url = database_factory(sqlite_backend)
    run_statements(url, *SCHEMAS["sqlite"]())
    config = config_for(snapshot_dirs, url)
    seedkit.seed_auto(url, config=config, rows=5)
    seedkit.snapshot(url, "auto-5", config=config)
    shutil.rmtree(snapshot_dirs.snapshots_dir / "auto-5")
    run_statements(url, "ALTER TABLE orders ADD COLUMN note TEXT")
    with pytest.raises(SnapshotNotFoundError, match="is not the one it was taken from"):
        api.rebuild("auto-5", config=config, db=url)
    assert not (snapshot_dirs.snapshots_dir / "auto-5").exists()
