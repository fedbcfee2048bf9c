"""Same seed, same database; a larger profile reproduces the rows of a smaller one."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine

from seedkit.demo.schema import metadata
from seedkit.seeding import seed

from .demo_db import SeedDb, config_for, table_rows


def _all_tables(seeded: SeedDb, profile: str, seed: int) -> dict[str, list[dict[str, Any]]]:
    return {name: table_rows(seeded(profile, seed), name) for name in metadata.tables}


def test_same_seed_gives_identical_rows_in_every_table(seeded: SeedDb,
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("again") / "demo.db"
    seed(f"sqlite:///{path}", config=config_for(path.parent), profile="standard", seed=0, environ={})
    again = create_engine(f"sqlite:///{path}")
    try:
        assert {name: table_rows(again, name) for name in metadata.tables} == _all_tables(seeded, "standard", 0)
    finally:
        again.dispose()


def test_different_seed_gives_different_rows(seeded: SeedDb) -> None:
    first, second = _all_tables(seeded, "standard", 0), _all_tables(seeded, "standard", 1)
    for name in ("organizations", "users", "patients", "availability_templates", "appointments"):
        assert first[name] != second[name], name


def _by_key(seeded: SeedDb, profile: str) -> dict[str, dict[Any, dict[str, Any]]]:
    """Rows by natural key, with database ids replaced by the natural keys they point at."""
    engine = seeded(profile)
    orgs = {o["id"]: o["slug"] for o in table_rows(engine, "organizations")}
    users = {u["id"]: u["email"] for u in table_rows(engine, "users")}
    patients = {p["id"]: p["code"] for p in table_rows(engine, "patients")}
    return {
        "organizations": {o["slug"]: _without(o, "id") for o in table_rows(engine, "organizations")},
        "users": {u["email"]: _without(u, "id") for u in table_rows(engine, "users")},
        "memberships": {(users[m["user_id"]], orgs[m["organization_id"]]): m["role"]
                        for m in table_rows(engine, "memberships")},
        # The therapist is drawn from the clinic's therapists, so it depends on how many there are.
        "patients": {p["code"]: _without(p, "id", "organization_id", "therapist_id")
                     for p in table_rows(engine, "patients")},
        "availability_templates": {(users[a["user_id"]], a["weekday"], a["start_minute"], a["end_minute"]): 1
                                   for a in table_rows(engine, "availability_templates")},
        "treatment_plans": {(patients[t["patient_id"]], t["template_code"], t["status"], t["started_on"]): 1
                            for t in table_rows(engine, "treatment_plans")},
    }


def _without(row: dict[str, Any], *columns: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in columns}


def test_full_profile_contains_every_row_of_standard_by_natural_key(seeded: SeedDb) -> None:
    smaller, larger = _by_key(seeded, "standard"), _by_key(seeded, "full")
    for table, rows in smaller.items():
        assert rows, table
        assert {key: larger[table].get(key) for key in rows} == rows, table


def test_minimal_and_standard_share_clinic_1s_first_users_and_patients(seeded: SeedDb) -> None:
    minimal, standard = _by_key(seeded, "minimal"), _by_key(seeded, "standard")
    slug = next(iter(minimal["organizations"]))
    assert minimal["organizations"][slug] == standard["organizations"][slug]
    shared_users = [email for email in standard["users"] if email.endswith(f"@{slug}.example")]
    assert len(shared_users) == 4
    assert all(minimal["users"][email] == standard["users"][email] for email in shared_users)
    shared_patients = [code for code in standard["patients"] if code.startswith("P01-")]
    assert len(shared_patients) == 8
    assert all(minimal["patients"][code] == standard["patients"][code] for code in shared_patients)
