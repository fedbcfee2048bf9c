"""Near-instant reset: a restore keeps a ready copy, the next restore of the same data clones it."""

from __future__ import annotations

import json
import sqlite3

import pytest

import seedkit
from seedkit import api
from dbstate import assert_same_state, database_state
from helpers import config_for, decision_for, execute, restore_in_new_process
from test_cli import run_main


@pytest.fixture
def seeded(sqlite_backend, database_factory, snapshot_dirs):
    from schemas import load_case_schema

    url = database_factory(sqlite_backend)
    load_case_schema(url, "sqlite")
    config = config_for(snapshot_dirs)
    seedkit.snapshot(url, "cases", config=config)
    return url, config, database_state(url)


def test_auto_loads_first_then_clones_with_identical_result(seeded, database_factory, sqlite_backend):
    url, config, expected = seeded
    target = database_factory(sqlite_backend)
    first = seedkit.restore(target, "cases", config=config)
    assert first.strategy == "load" and first.ready_copy and first.ready_copy.endswith(".sqlite")
    execute(target, "DELETE FROM categories WHERE id = 7")
    second = seedkit.restore(target, "cases", config=config)
    assert second.strategy == "clone"
    assert_same_state(expected, database_state(target))


def test_clone_without_ready_copy_is_a_clear_error(seeded, database_factory, sqlite_backend):
    _, config, _ = seeded
    with pytest.raises(seedkit.SeedkitError, match="no ready copy"):
        seedkit.restore(database_factory(sqlite_backend), "cases", config=config, strategy="clone")


def test_ready_copy_is_not_used_after_the_snapshot_changes(seeded, database_factory, sqlite_backend):
    url, config, _ = seeded
    target = database_factory(sqlite_backend)
    seedkit.restore(target, "cases", config=config)
    execute(url, "UPDATE categories SET name = 'changed' WHERE id = 5")
    seedkit.snapshot(url, "cases", config=config, force=True)
    report = seedkit.restore(target, "cases", config=config)
    assert report.strategy == "load"
    assert_same_state(database_state(url), database_state(target))
    # The stale copy of the old data was replaced by one of the new data.
    assert len(api.cache_list(target, config=config)) == 1


def test_clone_refuses_a_target_whose_schema_changed(seeded, database_factory, sqlite_backend):
    _, config, _ = seeded
    target = database_factory(sqlite_backend)
    seedkit.restore(target, "cases", config=config)
    execute(target, "ALTER TABLE categories ADD COLUMN extra TEXT")
    before = database_state(target)
    with pytest.raises(seedkit.SeedkitError, match="cannot clone snapshot 'cases': target's table categories differs from the ready copy's"):
        seedkit.restore(target, "cases", config=config, strategy="clone")
    assert_same_state(before, database_state(target))


def test_a_reset_of_an_unchanged_schema_clones_without_loading_the_engine(seeded, database_factory, sqlite_backend):
    # The ready copy is keyed by the target's catalog; a target with the same one is cloned before SQLAlchemy or
    # pyarrow is imported.
    _, config, expected = seeded
    target = database_factory(sqlite_backend)
    seedkit.restore(target, "cases", config=config)
    execute(target, "DELETE FROM categories WHERE id = 7")
    report, imported = restore_in_new_process(target, "cases", config)
    assert report["strategy"] == "clone" and report["rows"] == sum(t["rows"] for t in report["tables"]) > 0
    assert imported == []
    assert_same_state(expected, database_state(target))


def test_a_migrated_target_is_loaded_and_keeps_its_migration(seeded, database_factory, sqlite_backend):
    _, config, _ = seeded
    target, reference = database_factory(sqlite_backend), database_factory(sqlite_backend)
    for url in (target, reference):
        seedkit.restore(url, "cases", config=config)
        execute(url, "CREATE INDEX categories_name ON categories (name)", "DELETE FROM categories WHERE id = 7")
    decision = decision_for(target, "cases", config)
    assert decision.strategy == "load"
    assert decision.reason == "target has index categories_name that the ready copy lacks"
    assert seedkit.restore(target, "cases", config=config).strategy == "load"
    seedkit.restore(reference, "cases", config=config, strategy="load")
    assert_same_state(database_state(reference), database_state(target))


def test_a_ready_copy_is_not_kept_for_a_restore_that_allowed_drift(seeded, database_factory, sqlite_backend):
    _, config, expected = seeded
    target = database_factory(sqlite_backend)
    from schemas import load_case_schema

    load_case_schema(target, "sqlite")
    execute(target, "ALTER TABLE categories ADD COLUMN extra TEXT")
    report = seedkit.restore(target, "cases", config=config, allow_drift=True)
    assert report.ready_copy.startswith("not kept") and "drift" in report.ready_copy
    assert seedkit.restore(target, "cases", config=config, allow_drift=True).strategy == "load"


def test_load_strategy_never_clones(seeded, database_factory, sqlite_backend):
    _, config, expected = seeded
    target = database_factory(sqlite_backend)
    seedkit.restore(target, "cases", config=config)
    report = seedkit.restore(target, "cases", config=config, strategy="load")
    assert report.strategy == "load"
    assert_same_state(expected, database_state(target))


def test_cache_list_and_clear_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect(tmp_path / "dev.db") as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.execute("INSERT INTO t VALUES (1, 'a')")
    run_main("snapshot", "s")
    code, out, _ = run_main("cache", "list", "--json")
    assert json.loads(out) == []
    run_main("restore", "s")
    code, out, _ = run_main("cache", "list", "--json")
    copies = json.loads(out)
    assert [c["snapshot"] for c in copies] == ["s"]
    code, out, _ = run_main("restore", "s", "--json")
    assert json.loads(out)["strategy"] == "clone"
    code, out, _ = run_main("cache", "clear")
    assert out.startswith("removed 1 ready copy")
    code, _, err = run_main("restore", "s", "--strategy", "clone")
    assert code == 1 and "no ready copy" in err
