"""Rebuild on a miss: a fresh checkout with only the tracked metadata gets the identical snapshot back from the
generator recipe; a recipe that no longer gives the tracked content hash is refused, naming the tables."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import seedkit.engine.parquet as parquet
from seedkit import api
from seedkit.errors import IntegrityError, RebuildMismatchError

from .conftest import Project


def _content(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}


def _edit_recipe(project: Project, name: str, **changes: object) -> None:
    path = project.root / "metadata" / f"{name}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["generator"].update(changes)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def test_fresh_checkout_restore_rebuilds_the_identical_snapshot(demo_phase_2: Project, fresh_clone):
    tracked = (demo_phase_2.root / "metadata" / "phase-2.json").read_bytes()
    clone = fresh_clone(demo_phase_2)
    report = json.loads(clone.ok("restore", "phase-2", "--json"))
    assert report["files_from"] == "rebuild"
    assert report["content_hash"] == api.show("phase-2", config=demo_phase_2.config()).content_hash
    assert _content(clone.db) == _content(demo_phase_2.db)
    for path in demo_phase_2.files("phase-2").iterdir():
        assert (clone.files("phase-2") / path.name).read_bytes() == path.read_bytes(), path.name
    assert (clone.root / "metadata" / "phase-2.json").read_bytes() == tracked
    assert [p.name for p in (clone.root / "snapshots").iterdir()] == ["phase-2"], "scratch folder left behind"
    second = json.loads(clone.ok("restore", "phase-2", "--json"))
    assert second["files_from"] is None


def test_rebuild_command_recreates_the_files_alone(demo_phase_2: Project, fresh_clone):
    clone = fresh_clone(demo_phase_2)
    out = clone.ok("rebuild", "phase-2")
    assert "matches the metadata" in out and "in a temporary file" in out
    assert not clone.db.exists(), "rebuild must not touch the configured database"
    assert clone.ok("verify", "phase-2").startswith("snapshot phase-2 is intact")


def test_a_recipe_that_no_longer_reproduces_the_hash_is_refused(demo_phase_2: Project, fresh_clone):
    clone = fresh_clone(demo_phase_2, '[tool.seedkit.profiles.standard]\nusers = 4\n')
    sqlite3.connect(clone.db).executescript("CREATE TABLE keep (x INTEGER); INSERT INTO keep VALUES (1);")
    result = clone.run("restore", "phase-2")
    assert result.code == 1
    assert result.err.count("\n") == 1, "one line"
    recipe = "seedkit seed --profile standard --phase 2 --seed 0"
    assert f"rebuilding snapshot 'phase-2' with its recipe ({recipe}" in result.err
    assert "tables with other data: " in result.err and "users" in result.err.split("tables with other data:")[1]
    assert "seedkit snapshot phase-2 --force" in result.err
    assert _content(clone.db) == {"keep": [(1,)]}
    assert not (clone.root / "snapshots").exists() or list((clone.root / "snapshots").iterdir()) == []


def test_mismatch_names_exactly_the_tables_that_differ(demo_phase_2: Project, fresh_clone):
    clone = fresh_clone(demo_phase_2)
    _edit_recipe(clone, "phase-2", seed=7)
    with pytest.raises(RebuildMismatchError) as caught:
        api.rebuild("phase-2", config=clone.config())
    tracked = {t.name: t.content_digest for t in api.show("phase-2", config=demo_phase_2.config()).tables}
    demo_phase_2.ok("seed", "--phase", "2", "--seed", "7", "-q")
    demo_phase_2.ok("snapshot", "seed-7", "-q")
    other = {t.name: t.content_digest for t in api.show("seed-7", config=demo_phase_2.config()).tables}
    assert caught.value.tables == sorted(name for name in tracked if tracked[name] != other[name])
    assert caught.value.tables and len(caught.value.tables) < len(tracked)


def test_same_rows_in_other_bytes_restore_but_are_not_kept(demo_phase_2: Project, fresh_clone,
                                                           monkeypatch: pytest.MonkeyPatch):
    # Stands in for another pyarrow version: same values, same content digests, other Parquet bytes.
    monkeypatch.setattr(parquet, "COMPRESSION_LEVEL", 9)
    clone = fresh_clone(demo_phase_2)
    with pytest.raises(IntegrityError, match="differ in bytes from the tracked sha256s"):
        api.rebuild("phase-2", config=clone.config())
    report = api.restore(None, "phase-2", config=clone.config(), strategy="load")
    assert report.files_from == "rebuild"
    assert _content(clone.db) == _content(demo_phase_2.db)
    assert not clone.files("phase-2").exists()


def test_a_snapshot_without_recipe_says_how_to_get_its_files(project: Project, fresh_clone):
    sqlite3.connect(project.db).executescript("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);")
    project.ok("snapshot", "plain", "-q")
    clone = fresh_clone(project)
    result = clone.run("restore", "plain")
    assert result.code == 1
    assert "no generator recipe" in result.err
    assert "seedkit push plain" in result.err and "seedkit pull plain" in result.err


def _seeded_server_snapshot(project: Project, source: str, name: str) -> None:
    """The demo's phase 1 seeded into ``source`` (a server database) and snapshotted as ``name``."""
    project.ok("seed", "--phase", "1", "--db", source, "-q")
    project.ok("snapshot", name, "--db", source, "-q")


def test_a_postgresql_snapshot_is_rebuilt_in_a_scratch_database_on_the_target_server(
        postgresql_backend, database_factory, project: Project, fresh_clone):
    import sqlalchemy as sa

    _seeded_server_snapshot(project, database_factory(postgresql_backend), "pg-phase-1")
    clone = fresh_clone(project)
    target = database_factory(postgresql_backend)
    report = json.loads(clone.ok("restore", "pg-phase-1", "--db", target, "--json"))
    assert report["files_from"] == "rebuild" and report["rows"] > 0
    assert clone.ok("verify", "pg-phase-1").startswith("snapshot pg-phase-1 is intact")
    engine = sa.create_engine(sa.make_url(target).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        query = "SELECT datname FROM pg_database WHERE starts_with(datname, 'seedkit_rebuild_')"
        left = conn.execute(sa.text(query)).all()
    engine.dispose()
    assert left == [], "the scratch database was not dropped"
    other = fresh_clone(project)
    refused = other.run("restore", "pg-phase-1", "--db", f"sqlite:///{other.root / 'x.db'}")
    assert refused.code == 1 and "needs a postgresql server" in refused.err and "another schema" in refused.err


def test_a_ready_copy_does_not_stand_in_for_missing_files(project: Project):
    # A clone refuses what a load refuses: the same exit code and message, whatever the strategy.
    sqlite3.connect(project.db).executescript("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);")
    project.ok("snapshot", "plain", "-q")
    project.ok("restore", "plain", "-q")  # keeps a ready copy
    shutil.rmtree(project.files("plain"))
    sqlite3.connect(project.db).executescript("DELETE FROM t;")
    results = [project.run("restore", "plain", "--strategy", strategy) for strategy in ("auto", "clone", "load")]
    assert {(r.code, r.err) for r in results} == {(1, results[0].err)}
    assert "no generator recipe" in results[0].err
    assert sqlite3.connect(project.db).execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_second_fetch_keeps_the_intact_files_already_in_place(demo_phase_2: Project, fresh_clone):
    # What concurrent pytest-xdist workers on a fresh checkout do: the first copy stays, nobody swaps folders.
    clone = fresh_clone(demo_phase_2)
    clone.ok("rebuild", "phase-2")
    before = (clone.files("phase-2") / "users.parquet").stat().st_ino
    clone.ok("rebuild", "phase-2")
    assert (clone.files("phase-2") / "users.parquet").stat().st_ino == before


def test_a_mysql_snapshot_is_rebuilt_in_a_scratch_database_on_the_target_server(
        mysql_backend, database_factory, project: Project, fresh_clone):
    source = database_factory(mysql_backend)
    _seeded_server_snapshot(project, source, "my-phase-1")
    clone = fresh_clone(project)
    result = clone.run("restore", "my-phase-1", "--db", database_factory(mysql_backend), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["files_from"] == "rebuild"