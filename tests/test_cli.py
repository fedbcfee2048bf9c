"""Every CLI command through click's runner, in human and --json form, with options before and after the command."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from seedkit.cli import cli, main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with a pyproject naming its database, and a small database in it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.seedkit]\ndatabase_url = "sqlite:///app.db"\n', encoding="utf-8")
    with sqlite3.connect(tmp_path / "app.db") as conn:
        conn.executescript(
            "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE TABLE pets (id INTEGER PRIMARY KEY AUTOINCREMENT, owner_id INTEGER NOT NULL REFERENCES owners(id), name TEXT);"
            "INSERT INTO owners VALUES (1, 'Ann'), (2, 'Bo');"
            "INSERT INTO pets (owner_id, name) VALUES (1, 'Rex'), (2, 'Tom'), (2, NULL);"
        )
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def run_main(*args: str) -> tuple[int, str, str]:
    """Through ``main``, which turns errors into one line and an exit code."""
    runner = CliRunner()

    import click

    @click.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
    @click.argument("argv", nargs=-1, type=click.UNPROCESSED)
    def entry(argv: tuple[str, ...]) -> None:
        main(list(argv))

    result = runner.invoke(entry, list(args))
    return result.exit_code, result.stdout, result.stderr


def pets(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, owner_id, name FROM pets ORDER BY id").fetchall()


def test_snapshot_then_list_show_verify_json(project):
    code, out, _ = run_main("snapshot", "base", "--note", "first one", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["name"] == "base" and report["rows"] == 5
    assert (project / "metadata" / "base.json").is_file()
    assert (project / "snapshots" / "base" / "pets.parquet").is_file()

    code, out, _ = run_main("list", "--json")
    listed = json.loads(out)
    assert [s["name"] for s in listed] == ["base"] and listed[0]["note"] == "first one" and listed[0]["files_present"]

    code, out, _ = run_main("--json", "show", "base")
    shown = json.loads(out)
    assert shown["format"] == "seedkit-snapshot/1" and [t["name"] for t in shown["tables"]] == ["owners", "pets"]
    assert shown["tables"][1]["sequence"] == {"sqlite_sequence": 3}

    code, out, _ = run_main("verify", "base", "--json")
    assert code == 0 and json.loads(out)["rows"] == 5


def test_human_output_of_each_command(project):
    code, out, _ = run_main("snapshot", "base")
    assert code == 0 and out.startswith("snapshot base: 2 tables, 5 rows")
    code, out, _ = run_main("list")
    assert out.splitlines()[0].split() == ["NAME", "CREATED", "TABLES", "ROWS", "SIZE", "FILES", "NOTE"]
    assert out.splitlines()[1].startswith("base")
    code, out, _ = run_main("show", "base")
    assert "content      sha256:" in out and "pets" in out
    code, out, _ = run_main("verify", "base")
    assert out.startswith("snapshot base is intact")
    code, out, _ = run_main("restore", "base")
    assert code == 0 and out.startswith("restored base into sqlite:///")


def test_restore_without_name_uses_the_latest_snapshot(project):
    run_main("snapshot", "older")
    with sqlite3.connect(project / "app.db") as conn:
        conn.execute("INSERT INTO pets (owner_id, name) VALUES (1, 'Newer')")
    import time

    time.sleep(1.1)  # created_at has one-second resolution
    run_main("snapshot", "newer")
    expected = pets(project / "app.db")
    with sqlite3.connect(project / "app.db") as conn:
        conn.execute("DELETE FROM pets")
    code, out, err = run_main("restore", "--json")
    assert code == 0, err
    assert json.loads(out)["name"] == "newer"
    assert pets(project / "app.db") == expected
    code, out, _ = run_main("restore", "--latest", "--json")
    assert json.loads(out)["name"] == "newer"


def test_db_option_works_before_and_after_the_command(project):
    run_main("snapshot", "base")
    other = project / "other.db"
    code, _, err = run_main("restore", "base", "--db", f"sqlite:///{other}")
    assert code == 0, err
    assert pets(other) == pets(project / "app.db")
    other.unlink()
    code, _, err = run_main("--db", f"sqlite:///{other}", "restore", "base")
    assert code == 0, err
    assert pets(other) == pets(project / "app.db")


def test_database_url_resolution_order(project, monkeypatch):
    run_main("snapshot", "base")
    env_db, seedkit_db = project / "env.db", project / "seedkit.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{env_db}")
    run_main("restore", "base")
    assert env_db.exists()
    monkeypatch.setenv("SEEDKIT_DATABASE_URL", f"sqlite:///{seedkit_db}")
    run_main("restore", "base")
    assert seedkit_db.exists()


def test_delete_removes_files_and_metadata(project):
    run_main("snapshot", "base")
    code, out, _ = run_main("delete", "base", "--json")
    assert code == 0 and len(json.loads(out)["removed"]) == 2
    assert not (project / "metadata" / "base.json").exists() and not (project / "snapshots" / "base").exists()
    code, _, err = run_main("delete", "base")
    assert code == 1 and err.startswith("seedkit: error: snapshot 'base' not found")


def test_snapshot_refuses_to_overwrite_without_force(project):
    run_main("snapshot", "base")
    code, _, err = run_main("snapshot", "base")
    assert code == 1 and "--force" in err
    code, _, _ = run_main("snapshot", "base", "--force")
    assert code == 0


def test_quiet_prints_nothing_on_success(project):
    code, out, err = run_main("--quiet", "snapshot", "base")
    assert code == 0 and out == "" and err == ""
    code, out, err = run_main("restore", "base", "-q")
    assert code == 0 and out == "" and err == ""


def test_json_errors_are_machine_readable(project):
    code, _, err = run_main("restore", "nope", "--json")
    assert code == 1
    payload = json.loads(err)
    assert payload["type"] == "SnapshotNotFoundError" and "nope" in payload["error"] and payload["hint"]


def test_traceback_flag_shows_the_stack(project):
    code, _, _ = run_main("restore", "nope", "--traceback")
    assert code != 0
    with pytest.raises(Exception, match="nope"):
        main(["restore", "nope", "--traceback"])


def test_production_guard_refuses_restore_unless_overridden(project, monkeypatch):
    run_main("snapshot", "base")
    monkeypatch.setenv("APP_ENV", "production")
    before = pets(project / "app.db")
    code, _, err = run_main("restore", "base")
    assert code == 1 and "production" in err and "--allow-production" in err
    assert pets(project / "app.db") == before
    code, _, err = run_main("restore", "base", "--allow-production")
    assert code == 0, err


def test_restore_with_both_name_and_latest_is_a_usage_error(project):
    code, _, err = run_main("restore", "a", "--latest")
    assert code == 2 and "not both" in err


def test_list_with_no_snapshots_says_how_to_take_one(project):
    code, out, _ = run_main("list")
    assert code == 0 and "seedkit snapshot NAME" in out


def test_progress_is_silent_when_not_a_terminal(project):
    code, out, err = run_main("snapshot", "base")
    assert err == ""


def test_snapshot_files_get_the_usual_permissions_not_private_ones(project):
    import os
    import stat

    run_main("snapshot", "base")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((project / "metadata" / "base.json").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((project / "snapshots" / "base").stat().st_mode) == 0o777 & ~umask
