"""Near-instant reset on PostgreSQL: a restore keeps a template database, the next restore of the same data clones it.

Each test restores into its own database; the ready copies it makes are scoped to that database and removed after.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

import psycopg
import pytest

import seedkit
from seedkit import api
from backends import Backend, connect_raw
from dbstate import assert_same_state, database_state
from helpers import config_for, decision_for, execute, restore_in_new_process
from schemas import load_case_schema
from seedkit.config import Config
from test_cli import run_main


@pytest.fixture
def new_pg(postgresql_backend: Backend, database_factory: Callable[[Backend], str],
           snapshot_dirs) -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def create() -> str:
        made.append(database_factory(postgresql_backend))
        return made[-1]

    yield create
    for url in made:  # the template databases kept for these targets
        api.cache_clear(url, config=config_for(snapshot_dirs))


@pytest.fixture
def seeded(new_pg: Callable[[], str], snapshot_dirs) -> tuple[str, Config, object]:
    url = new_pg()
    load_case_schema(url, "postgresql")
    config = config_for(snapshot_dirs)
    seedkit.snapshot(url, "cases", config=config)
    return url, config, database_state(url)


def ready_databases(target: str, config: Config) -> list[str]:
    return [copy.location for copy in api.cache_list(target, config=config)]


@pytest.mark.parametrize("file_copy", [False, True], ids=["wal_log", "file_copy"])
def test_auto_loads_first_then_clones_with_identical_state(seeded, new_pg, file_copy, monkeypatch) -> None:
    # Large ready copies are cloned with STRATEGY FILE_COPY (PostgreSQL 15+): both ways give the same state.
    from seedkit.dialects.postgresql import ready as ready_postgresql
    monkeypatch.setattr(ready_postgresql, "FILE_COPY_BYTES", 0 if file_copy else 1 << 62)
    _, config, expected = seeded
    target = new_pg()
    first = seedkit.restore(target, "cases", config=config)
    assert first.strategy == "load" and first.ready_copy and first.ready_copy.startswith("seedkit_ready_")
    assert ready_databases(target, config) == [first.ready_copy]
    execute(target, "DELETE FROM line_notes", "UPDATE products SET price = 1", "SELECT setval('fresh_seq', 42)")
    second = seedkit.restore(target, "cases", config=config)
    assert second.strategy == "clone" and second.ready_copy == first.ready_copy
    assert_same_state(expected, database_state(target))
    # The ready copy is a template nobody connects to, labelled by its comment.
    conn = connect_raw(target)
    try:
        flags = conn.execute("SELECT datistemplate, datallowconn, shobj_description(oid, 'pg_database') "
                             "FROM pg_database WHERE datname = %s", (first.ready_copy,)).fetchone()
    finally:
        conn.close()
    assert flags[:2] == (True, False)
    assert json.loads(flags[2])["snapshot"] == "cases"


def test_a_reset_of_an_unchanged_schema_clones_without_loading_the_engine(seeded, new_pg) -> None:
    _, config, expected = seeded
    target = new_pg()
    seedkit.restore(target, "cases", config=config)
    execute(target, "DELETE FROM line_notes", "SELECT setval('fresh_seq', 42)")
    report, imported = restore_in_new_process(target, "cases", config)
    assert report["strategy"] == "clone" and report["ready_copy"].startswith("seedkit_ready_")
    assert imported == []
    assert_same_state(expected, database_state(target))


@pytest.mark.parametrize("change,reason", [
    ("CREATE INDEX products_price ON products (price)", "target has index public.products_price that the ready copy lacks"),
    ("ALTER TABLE products ALTER COLUMN price SET DEFAULT 0", "column public.products.price differs"),
    ("CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'", "target has function public.answer()"),
    ("ALTER TABLE products DISABLE TRIGGER USER", "trigger"),
    ("COMMENT ON COLUMN products.price IS 'in cents'", "target has comment column price of table products"),
    ("GRANT SELECT ON products TO PUBLIC", "table public.products differs"),
])
def test_a_migrated_target_is_loaded_and_keeps_its_migration(seeded, new_pg, change, reason) -> None:
    # A migration that changes no column (an index, a default, a trigger's state, a comment, a grant) used to be
    # reverted by the clone. Now the restore loads, says why, and leaves what a load leaves.
    _, config, _ = seeded
    target, reference = new_pg(), new_pg()
    for url in (target, reference):
        seedkit.restore(url, "cases", config=config)
        execute(url, change, "DELETE FROM line_notes")
    decision = decision_for(target, "cases", config)
    assert decision.strategy == "load" and reason in decision.reason
    report = seedkit.restore(target, "cases", config=config)
    assert report.strategy == "load" and reason in report.reason
    seedkit.restore(reference, "cases", config=config, strategy="load")
    assert_same_state(database_state(reference), database_state(target))
    # The load kept a ready copy for the migrated schema: the next reset clones it.
    execute(target, "DELETE FROM line_notes")
    assert seedkit.restore(target, "cases", config=config).strategy == "clone"
    assert_same_state(database_state(reference), database_state(target))


def test_ready_copy_is_not_used_after_the_snapshot_changes(seeded, new_pg) -> None:
    url, config, _ = seeded
    target = new_pg()
    old = seedkit.restore(target, "cases", config=config).ready_copy
    execute(url, "UPDATE categories SET name = 'changed' WHERE id = 5")
    seedkit.snapshot(url, "cases", config=config, force=True)
    report = seedkit.restore(target, "cases", config=config)
    assert report.strategy == "load"
    assert_same_state(database_state(url), database_state(target))
    # The stale copy of the old data was replaced by one of the new data.
    assert ready_databases(target, config) == [report.ready_copy] and report.ready_copy != old


def test_ready_copies_belong_to_their_target_database(seeded, new_pg) -> None:
    _, config, _ = seeded
    first, second = new_pg(), new_pg()
    seedkit.restore(first, "cases", config=config)
    assert api.cache_list(second, config=config) == []
    assert seedkit.restore(second, "cases", config=config).strategy == "load"


def test_cache_list_and_clear_through_the_cli(seeded, new_pg, monkeypatch: pytest.MonkeyPatch) -> None:
    _, config, _ = seeded
    target = new_pg()
    monkeypatch.chdir(config.root)
    dirs = ["--db", target, "--snapshots-dir", str(config.snapshots_dir), "--metadata-dir", str(config.metadata_dir)]
    code, out, _ = run_main("cache", "list", "--json", *dirs)
    assert code == 0 and json.loads(out) == []
    run_main("restore", "cases", *dirs)
    code, out, _ = run_main("cache", "list", "--json", *dirs)
    assert [c["snapshot"] for c in json.loads(out)] == ["cases"]
    code, out, _ = run_main("restore", "cases", "--json", *dirs)
    assert json.loads(out)["strategy"] == "clone"
    code, out, _ = run_main("cache", "clear", *dirs)
    assert out.startswith("removed 1 ready copy")
    code, _, err = run_main("restore", "cases", "--strategy", "clone", *dirs)
    assert code == 1 and "no ready copy" in err


def test_clone_with_another_session_connected_fails_clearly_and_leaves_the_target(seeded, new_pg) -> None:
    _, config, expected = seeded
    target = new_pg()
    seedkit.restore(target, "cases", config=config)
    execute(target, "DELETE FROM line_notes")
    before = database_state(target)
    other = connect_raw(target)
    try:
        with pytest.raises(seedkit.SeedkitError, match="other session connected.*--terminate-sessions"):
            seedkit.restore(target, "cases", config=config)
        assert other.execute("SELECT count(*) FROM line_notes").fetchone() == (0,)  # still connected, same database
    finally:
        other.close()
    assert_same_state(before, database_state(target))


def test_terminate_sessions_ends_them_and_clones(seeded, new_pg) -> None:
    _, config, expected = seeded
    target = new_pg()
    seedkit.restore(target, "cases", config=config)
    execute(target, "DELETE FROM line_notes")
    other = connect_raw(target)
    try:
        report = seedkit.restore(target, "cases", config=config, terminate_sessions=True)
        assert report.strategy == "clone"
        with pytest.raises(psycopg.OperationalError):
            other.execute("SELECT 1")
    finally:
        other.close()
    assert_same_state(expected, database_state(target))


def test_ready_copy_is_not_kept_while_others_are_connected(seeded, new_pg) -> None:
    _, config, expected = seeded
    target = new_pg()
    other = connect_raw(target)
    try:
        report = seedkit.restore(target, "cases", config=config)
    finally:
        other.close()
    assert report.strategy == "load" and report.ready_copy.startswith("not kept")
    assert api.cache_list(target, config=config) == []
    assert_same_state(expected, database_state(target))


def test_ready_copies_of_a_dropped_database_are_removed(seeded, new_pg) -> None:
    from seedkit.dialects import dialect_for
    from seedkit.dialects.connect import open_engine

    _, config, _ = seeded
    target = new_pg()
    kept = seedkit.restore(target, "cases", config=config).ready_copy
    dialect_for(open_engine(target)).drop_database()
    conn = connect_raw(seeded[0])
    try:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (kept,)).fetchone() == (0,)
    finally:
        conn.close()
