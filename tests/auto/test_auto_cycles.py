"""A foreign-key cycle whose every key is NOT NULL: seeded through a key whose check waits for the commit (PostgreSQL:
DEFERRABLE; SQLite: any key), else refused with the keys named (MariaDB/MySQL cannot defer a check)."""

from __future__ import annotations

import sys
import uuid

import pytest
import sqlalchemy as sa

import seedkit
from backends import run_statements
from helpers import config_for
from seedkit.errors import ConfigError

from .test_auto_seed import foreign_key_violations, row_counts


def cycle_schema(backend: str, deferrable: bool = True) -> list[str]:
    """store.manager_id -> staff, staff.store_id -> store, both NOT NULL; rental under both."""
    serial = {"sqlite": "INTEGER PRIMARY KEY", "postgresql": "integer PRIMARY KEY",
              "mysql": "INTEGER PRIMARY KEY"}[backend]
    later = " DEFERRABLE" if deferrable and backend == "postgresql" else ""
    if backend == "sqlite":
        return ["CREATE TABLE store (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, "
                "manager_id INTEGER NOT NULL REFERENCES staff (id))",
                "CREATE TABLE staff (id INTEGER PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE, "
                "store_id INTEGER NOT NULL REFERENCES store (id))",
                "CREATE TABLE rental (id INTEGER PRIMARY KEY, staff_id INTEGER NOT NULL REFERENCES staff (id), "
                "store_id INTEGER NOT NULL REFERENCES store (id))"]
    return [f"CREATE TABLE store (id {serial}, name VARCHAR(40) NOT NULL, manager_id INTEGER NOT NULL)",
            f"CREATE TABLE staff (id {serial}, email VARCHAR(80) NOT NULL UNIQUE, store_id INTEGER NOT NULL)",
            f"CREATE TABLE rental (id {serial}, staff_id INTEGER NOT NULL, store_id INTEGER NOT NULL)",
            "ALTER TABLE store ADD CONSTRAINT store_manager FOREIGN KEY (manager_id) REFERENCES staff (id)",
            f"ALTER TABLE staff ADD CONSTRAINT staff_store FOREIGN KEY (store_id) REFERENCES store (id){later}",
            "ALTER TABLE rental ADD CONSTRAINT rental_staff FOREIGN KEY (staff_id) REFERENCES staff (id)",
            "ALTER TABLE rental ADD CONSTRAINT rental_store FOREIGN KEY (store_id) REFERENCES store (id)"]


def dangling(url: str) -> int:
    """Rows whose key names no parent row, counted by the database (whatever it enforces)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sum(conn.exec_driver_sql(sql).scalar_one() for sql in (
                "SELECT count(*) FROM store s LEFT JOIN staff t ON t.id = s.manager_id WHERE t.id IS NULL",
                "SELECT count(*) FROM staff t LEFT JOIN store s ON s.id = t.store_id WHERE s.id IS NULL",
                "SELECT count(*) FROM rental r LEFT JOIN store s ON s.id = r.store_id WHERE s.id IS NULL"))
    finally:
        engine.dispose()


@pytest.fixture
def cycle(backend, new_database) -> str:
    url = new_database()
    run_statements(url, *cycle_schema(backend.name))
    return url


def test_a_not_null_cycle_is_seeded_where_a_key_can_wait_for_the_commit(backend, cycle, new_database,
                                                                          snapshot_dirs):
    config = config_for(snapshot_dirs, cycle)
    if backend.name == "mysql":
        with pytest.raises(ConfigError, match=r"every key in it is NOT NULL .* none is deferrable"):
            seedkit.seed_auto(cycle, config=config, rows=20)
        assert row_counts(cycle) == {"store": 0, "staff": 0, "rental": 0}
        return
    plan = {(line.table, line.column): line.reason for line in seedkit.plan_auto(cycle, config=config).lines()}
    assert "checked at commit" in plan[("staff", "store_id")]
    seedkit.seed_auto(cycle, config=config, rows=30, seed=4)
    assert row_counts(cycle) == {"store": 30, "staff": 30, "rental": 30}
    assert dangling(cycle) == 0 and foreign_key_violations(cycle) == []
    first = seedkit.snapshot(cycle, "first", config=config)
    seedkit.seed_auto(cycle, config=config, rows=30, seed=4)  # emptied first: the cycle's rows go in any order
    assert seedkit.snapshot(cycle, "again", config=config).content_hash == first.content_hash
    with pytest.raises(seedkit.SeedkitError, match="without --no-clear"):
        seedkit.seed_auto(cycle, config=config, rows=40, clear=False)
    assert row_counts(cycle) == {"store": 30, "staff": 30, "rental": 30}

    copy = new_database()
    seedkit.restore(copy, "first", config=config)
    assert row_counts(copy) == {"store": 30, "staff": 30, "rental": 30} and dangling(copy) == 0


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])  # MariaDB/MySQL refuse such a cycle (above)
def test_the_ejected_module_seeds_the_cycle_as_auto_does(kind, request, database_factory, snapshot_dirs, tmp_path,
                                                         monkeypatch):
    backend = request.getfixturevalue(f"{kind}_backend")
    cycle, other = database_factory(backend), database_factory(backend)
    run_statements(cycle, *cycle_schema(kind))
    run_statements(other, *cycle_schema(kind))
    config = config_for(snapshot_dirs, cycle)
    module = f"ejected_cycle_{uuid.uuid4().hex[:8]}"
    monkeypatch.syspath_prepend(str(tmp_path))
    seedkit.seeds_init(tmp_path / f"{module}.py", db=cycle, config=config, rows=12)
    try:
        with_module = config.with_overrides(seeds=module)
        for _ in range(2):  # the second run empties the cycle first
            report = seedkit.seed(cycle, config=with_module, seed=9)
            assert report.ok, report.errors
        ejected = seedkit.snapshot(cycle, "ejected", config=config).content_hash
    finally:
        sys.modules.pop(module, None)
    seedkit.seed_auto(other, config=config, rows=12, seed=9)
    assert seedkit.snapshot(other, "auto", config=config).content_hash == ejected


def test_a_cycle_with_no_deferrable_key_is_refused_naming_its_keys(postgresql_backend, database_factory,
                                                                    snapshot_dirs):
    url = database_factory(postgresql_backend)
    run_statements(url, *cycle_schema("postgresql", deferrable=False))
    with pytest.raises(ConfigError) as refused:
        seedkit.seed_auto(url, config=config_for(snapshot_dirs, url), rows=5)
    message = str(refused.value)
    assert "store(manager_id) -> staff" in message and "staff(store_id) -> store" in message
    assert "DEFERRABLE" in message
