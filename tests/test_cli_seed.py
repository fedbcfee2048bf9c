"""`seedkit seed` and `seedkit reset` through the CLI, and the recipe a snapshot of seeded data records."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from test_cli import run_main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.seedkit]\ndatabase_url = "sqlite:///dev.db"\n', encoding="utf-8")
    return tmp_path


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def test_seed_json_summary_has_created_skipped_errors_seconds(project):
    code, out, err = run_main("seed", "--profile", "minimal", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert set(summary) >= {"created", "skipped", "errors", "seconds"}
    assert summary["created"]["organizations"] == 1 and summary["errors"] == []
    assert count(project / "dev.db", "patients") == summary["created"]["patients"] == 10


def test_seed_twice_with_no_clear_adds_nothing_the_second_time(project):
    run_main("seed", "--profile", "minimal")
    before = {t: count(project / "dev.db", t) for t in ("users", "patients", "appointments", "specialisations")}
    code, out, _ = run_main("seed", "--profile", "minimal", "--no-clear", "--json")
    assert code == 0
    assert sum(json.loads(out)["created"].values()) == 0
    assert {t: count(project / "dev.db", t) for t in before} == before


def test_same_seed_gives_the_same_snapshot_content_hash(project):
    run_main("seed", "--seed", "7")
    _, first, _ = run_main("snapshot", "a", "--json")
    run_main("seed", "--seed", "7")
    _, second, _ = run_main("snapshot", "b", "--json")
    run_main("seed", "--seed", "8")
    _, third, _ = run_main("snapshot", "c", "--json")
    assert json.loads(first)["content_hash"] == json.loads(second)["content_hash"]
    assert json.loads(first)["content_hash"] != json.loads(third)["content_hash"]


def test_snapshot_of_seeded_data_records_the_generator_recipe(project):
    run_main("seed", "--profile", "minimal", "--phase", "2", "--seed", "3")
    run_main("snapshot", "p2")
    _, out, _ = run_main("show", "p2", "--json")
    meta = json.loads(out)
    assert meta["generator"]["profile"] == "minimal" and meta["generator"]["seed"] == 3
    assert meta["generator"]["phase"] == 2 and meta["phase"] == 2
    assert meta["generator"]["seeds"] == "seedkit.demo"


def test_audit_on_a_partly_deleted_database_lists_exactly_the_gaps(project):
    run_main("seed", "--profile", "minimal")
    with sqlite3.connect(project / "dev.db") as conn:
        therapist = conn.execute("SELECT user_id FROM availability_templates GROUP BY user_id ORDER BY user_id LIMIT 1").fetchone()[0]
        conn.execute("DELETE FROM availability_templates WHERE user_id = ?", (therapist,))
    before = count(project / "dev.db", "availability_templates")
    code, out, _ = run_main("seed", "--audit", "--json")
    gaps = json.loads(out)["gaps"]
    assert len(gaps) == 1 and str(therapist) in json.dumps(gaps[0])
    assert count(project / "dev.db", "availability_templates") == before
    code, out, _ = run_main("seed", "--no-clear", "--json")
    assert json.loads(out)["created"]["availability_templates"] >= 3
    _, out, _ = run_main("seed", "--audit", "--json")
    assert json.loads(out)["gaps"] == []


def test_seed_list_shows_areas_phases_and_profiles(project):
    code, out, _ = run_main("seed", "--list", "--json")
    plan = json.loads(out)
    assert [a["name"] for a in plan["areas"]] == ["core", "scheduling", "clinical"]
    assert {"minimal", "standard", "full", "load"} <= set(plan["profiles"])
    code, out, _ = run_main("seed", "--list")
    assert "PHASE" in out and "scheduling" in out


def test_reset_restores_a_snapshot_or_reseeds(project):
    run_main("seed", "--profile", "minimal")
    run_main("snapshot", "base")
    with sqlite3.connect(project / "dev.db") as conn:
        conn.execute("DELETE FROM appointments")
    code, _, err = run_main("reset", "--snapshot", "base")
    assert code == 0, err
    assert count(project / "dev.db", "appointments") > 0
    code, out, _ = run_main("reset", "--profile", "minimal", "--json")
    assert code == 0 and json.loads(out)["created"]["patients"] == 10


def test_seed_refuses_production_and_says_how_to_override(project, monkeypatch):
    monkeypatch.setenv("SEEDKIT_ENV", "prod")
    code, _, err = run_main("seed", "--profile", "minimal")
    assert code == 1 and "--allow-production" in err and len(err.strip().splitlines()) == 1
    assert not (project / "dev.db").exists() or count(project / "dev.db", "users") == 0
    code, _, err = run_main("reset", "--profile", "minimal")
    assert code == 1 and "--allow-production" in err


def test_unknown_profile_is_one_clear_line(project):
    code, _, err = run_main("seed", "--profile", "huge")
    assert code == 1 and "huge" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("url", ["mysql://root@127.0.0.1:1/seedkit_nowhere", "postgresql://postgres@127.0.0.1:1/x"])
def test_seed_into_an_unreachable_database_is_one_clear_line(project, url):
    code, _, err = run_main("seed", "--db", url)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith("seedkit: error: cannot connect to") and "Traceback" not in err
