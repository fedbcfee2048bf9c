"""The runner on the demo: re-runs, enrichers, audit, production guard, configuration, listing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, select

from seedkit.demo.clinical import RULE as PLANS_RULE
from seedkit.demo.scheduling import RULE as SLOTS_RULE
from seedkit.demo.schema import metadata
from seedkit.errors import ConfigError, ProductionGuardError, SeedError
from seedkit.seeding import describe, seed, verify_password

from .demo_db import config_for, fresh_url, table_rows


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                  for name, table in metadata.tables.items()}
    engine.dispose()
    return counts


def test_second_run_keeping_data_creates_nothing(tmp_path: Path) -> None:
    url, config = fresh_url(tmp_path), config_for(tmp_path)
    seed(url, config=config, profile="minimal", environ={})
    before = _counts(url)
    again = seed(url, config=config, profile="minimal", clear=False, environ={})
    assert again.ok and again.created and set(again.created.values()) == {0}
    assert _counts(url) == before
    assert any(note.startswith("core: factories not re-run") for note in again.skipped)


def test_clearing_run_replaces_data_instead_of_adding_to_it(tmp_path: Path) -> None:
    url, config = fresh_url(tmp_path), config_for(tmp_path)
    seed(url, config=config, profile="minimal", environ={})
    before = _counts(url)
    seed(url, config=config, profile="minimal", environ={})
    assert _counts(url) == before


def test_enrichers_top_up_deleted_rows_and_audit_lists_exactly_the_gaps(tmp_path: Path) -> None:
    url, config = fresh_url(tmp_path), config_for(tmp_path)
    seed(url, config=config, profile="minimal", environ={})
    engine = create_engine(url)
    slots, plans = metadata.tables["availability_templates"], metadata.tables["treatment_plans"]
    with engine.begin() as connection:
        therapist = connection.execute(select(slots.c.user_id).limit(1)).scalar_one()
        connection.execute(delete(slots).where(slots.c.user_id == therapist))
        patient = connection.execute(select(plans.c.patient_id).limit(1)).scalar_one()
        connection.execute(delete(plans).where(plans.c.patient_id == patient, plans.c.status == "ongoing"))
        plans_left = connection.execute(select(func.count()).where(plans.c.patient_id == patient)).scalar_one()
    engine.dispose()
    before = _counts(url)

    audit = seed(url, config=config, profile="minimal", audit=True, environ={})
    assert {(g.rule, g.parent_id, g.have, g.missing) for g in audit.gaps} == {
        (SLOTS_RULE, therapist, 0, 3), (PLANS_RULE, patient, plans_left, max(1, 3 - plans_left))}
    assert _counts(url) == before

    topped = seed(url, config=config, profile="minimal", clear=False, environ={})
    assert topped.created["availability_templates"] == 3
    assert topped.created["treatment_plans"] == max(1, 3 - plans_left)
    assert seed(url, config=config, profile="minimal", audit=True, environ={}).gaps == []
    assert seed(url, config=config, profile="minimal", clear=False, environ={}).created["treatment_plans"] == 0


def test_phase_limits_the_run_and_reports_later_areas_as_skipped(tmp_path: Path) -> None:
    url = fresh_url(tmp_path)
    report = seed(url, config=config_for(tmp_path), profile="minimal", phase=2, environ={})
    assert report.created["availability_templates"] > 0 and "patients" not in report.created
    assert report.skipped == ["clinical: phase 3 is after phase 2"]


def test_selecting_an_area_also_runs_the_areas_it_requires(tmp_path: Path) -> None:
    report = seed(fresh_url(tmp_path), config=config_for(tmp_path), profile="minimal", areas=["scheduling"],
                  environ={})
    assert report.created["users"] == 5 and report.created["availability_templates"] > 0
    assert "appointments" not in report.created


def test_production_target_is_refused_with_the_override_named(tmp_path: Path) -> None:
    url = fresh_url(tmp_path)
    with pytest.raises(ProductionGuardError, match="pass --allow-production"):
        seed(url, config=config_for(tmp_path), profile="minimal", environ={"SEEDKIT_ENV": "production"})
    assert not (tmp_path / "demo.db").exists()


def test_protected_url_pattern_is_refused_but_allow_production_overrides(tmp_path: Path) -> None:
    config = config_for(tmp_path, protected=("*demo.db",))
    with pytest.raises(ProductionGuardError):
        seed(fresh_url(tmp_path), config=config, profile="minimal", environ={})
    report = seed(fresh_url(tmp_path), config=config, profile="minimal", allow_production=True, environ={})
    assert report.ok and report.created["users"] == 5


def test_seed_password_comes_from_the_environment_and_is_stored_hashed(tmp_path: Path) -> None:
    url = fresh_url(tmp_path)
    environ = {"SEEDKIT_SEED_PASSWORD": "s3cret-seed", "SEEDKIT_ADMIN_EMAIL": "boss@example.org",
               "SEEDKIT_ADMIN_PASSWORD": "boss-pass"}
    seed(url, config=config_for(tmp_path), profile="minimal", environ=environ)
    users = {u["email"]: u for u in table_rows(create_engine(url), "users")}
    admin = users.pop("boss@example.org")
    assert verify_password("boss-pass", admin["password_hash"]) and not verify_password("s3cret-seed",
                                                                                          admin["password_hash"])
    assert all(verify_password("s3cret-seed", u["password_hash"]) for u in users.values())
    assert not any(secret in u["password_hash"] for u in [admin, *users.values()]
                   for secret in ("s3cret-seed", "boss-pass"))


def test_configured_count_overrides_the_profile(tmp_path: Path) -> None:
    config = config_for(tmp_path, profiles={"minimal": {"patients": 12}})
    report = seed(fresh_url(tmp_path), config=config, profile="minimal", environ={})
    assert report.created["patients"] == 12
    assert describe(config).profiles["minimal"]["patients"] == 12


def test_unknown_count_in_configuration_is_refused_with_known_counts(tmp_path: Path) -> None:
    config = config_for(tmp_path, profiles={"minimal": {"patient": 12}})
    with pytest.raises(ConfigError, match="patient") as raised:
        seed(fresh_url(tmp_path), config=config, profile="minimal", environ={})
    assert "patients" in (raised.value.hint or "")


def test_unknown_profile_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="huge") as raised:
        seed(fresh_url(tmp_path), config=config_for(tmp_path), profile="huge", environ={})
    assert "standard" in (raised.value.hint or "")


def test_missing_seeds_module_is_named_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="no_such_app.seeds") as raised:
        seed(fresh_url(tmp_path), config=config_for(tmp_path, seeds="no_such_app.seeds"), environ={})
    assert "tool.seedkit" in (raised.value.hint or "")


def test_module_without_seeds_object_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="has no SEEDS"):
        describe(config_for(tmp_path, seeds="seedkit.demo.schema"))


def test_describe_lists_areas_in_run_order_with_phases_and_profiles(tmp_path: Path) -> None:
    plan = describe(config_for(tmp_path)).to_dict()
    assert [(a["name"], a["phase"], a["requires"]) for a in plan["areas"]] == [
        ("core", 1, []), ("scheduling", 2, ["core"]), ("clinical", 3, ["core", "scheduling"])]
    assert list(plan["profiles"]) == ["minimal", "standard", "full", "load"]
    assert plan["default_profile"] == "standard" and plan["seeds"] == "seedkit.demo"


def test_report_serialises_to_plain_data_with_progress_events(tmp_path: Path) -> None:
    events = []
    report = seed(fresh_url(tmp_path), config=config_for(tmp_path), profile="minimal", progress=events.append,
                  environ={})
    data = report.to_dict()
    assert set(data) >= {"created", "skipped", "errors", "seconds", "gaps"} and report.ok
    assert [(e.area, e.stage) for e in events] == [("core", "start"), ("core", "done"), ("scheduling", "start"),
                                                  ("scheduling", "done"), ("clinical", "start"), ("clinical", "done")]
