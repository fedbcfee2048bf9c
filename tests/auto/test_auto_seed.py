"""``seed --auto`` on each backend's hard schema: every row inserted with every constraint on, the result restores,
the same seed gives the same content hash, and ``--plan`` names every column."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

import seedkit
from backends import run_statements
from helpers import cli_args, config_for
from test_cli import run_main

from .hard_schemas import SCHEMAS


@pytest.fixture
def hard_database(backend, new_database) -> str:
    url = new_database()
    run_statements(url, *SCHEMAS[backend.name]())
    return url


def foreign_key_violations(url: str) -> list[str]:
    """What the database itself finds wrong; servers refuse such rows, SQLite is asked."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name != "sqlite":
                return []
            return [str(row) for row in conn.exec_driver_sql("PRAGMA foreign_key_check")]
    finally:
        engine.dispose()


def every_column(url: str) -> set[tuple[str, str]]:
    """(table, column) of every column the database reports."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {(table, column["name"]) for table in inspector.get_table_names()
                for column in inspector.get_columns(table)}
    finally:
        engine.dispose()


def row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                    for name in names}
    finally:
        engine.dispose()


@pytest.mark.parametrize("rows", [1, 40, 300])
def test_auto_fills_every_table_with_every_constraint_on(hard_database, snapshot_dirs, rows):
    config = config_for(snapshot_dirs, hard_database)
    report = seedkit.seed_auto(hard_database, config=config, rows=rows)
    counts = row_counts(hard_database)
    assert counts == {name: rows for name in counts}
    assert report.created == {key: rows for key in report.created} and len(report.created) == len(counts)
    assert foreign_key_violations(hard_database) == []


def test_the_same_seed_gives_the_same_content_hash_and_the_result_restores(backend, hard_database, new_database,
                                                                           snapshot_dirs):
    config = config_for(snapshot_dirs, hard_database)
    seedkit.seed_auto(hard_database, config=config, rows=60, seed=7)
    first = seedkit.snapshot(hard_database, "first", config=config)
    seedkit.seed_auto(hard_database, config=config, rows=60, seed=7)
    second = seedkit.snapshot(hard_database, "second", config=config)
    assert first.content_hash == second.content_hash
    seedkit.seed_auto(hard_database, config=config, rows=60, seed=8)
    other = seedkit.snapshot(hard_database, "other", config=config)
    assert other.content_hash != first.content_hash

    copy = new_database()
    restored = seedkit.restore(copy, "first", config=config)
    assert restored.rows == first.rows
    assert foreign_key_violations(copy) == []


def test_plan_names_every_column_and_changes_nothing(hard_database, snapshot_dirs):
    config = config_for(snapshot_dirs, hard_database)
    code, out, err = run_main(*cli_args(hard_database, config, "seed", "--auto", "--plan", "--json"))
    assert code == 0, err
    lines = json.loads(out)
    assert {(line["table"], line["column"]) for line in lines if line["column"] != "(check)"} == \
        every_column(hard_database)
    assert all(line["generator"] and line["reason"] for line in lines)
    assert set(row_counts(hard_database).values()) == {0}


def test_cli_seed_auto_with_per_table_rows_and_only(hard_database, snapshot_dirs):
    config = config_for(snapshot_dirs, hard_database)
    code, out, err = run_main(*cli_args(hard_database, config, "seed", "--auto", "--rows", "5",
                                        "--rows", "categories=12", "--only", "products", "--json"))
    assert code == 0, err
    created = json.loads(out)["created"]
    assert created == {"categories": 12, "products": 5}
    counts = row_counts(hard_database)
    assert counts["categories"] == 12 and counts["products"] == 5 and counts["orders"] == 0


def test_bad_requests_are_one_line(hard_database, snapshot_dirs):
    config = config_for(snapshot_dirs, hard_database)
    for args, words in [(("--rows", "nope=x"), "--rows"), (("--rows", "missing=3"), "missing"),
                        (("--only", "missing"), "missing"), (("--profile", "full"), "--auto")]:
        code, out, err = run_main(*cli_args(hard_database, config, "seed", "--auto", *args))
        # One line names the problem: the last (click prints a usage error under the command's usage line).
        assert code != 0 and words in err.strip().splitlines()[-1] and "Traceback" not in err, err


def table_rows(url: str, table: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            target = sa.Table(table, sa.MetaData(), autoload_with=conn)
            return [tuple(row) for row in conn.execute(sa.select(target).order_by(*target.primary_key.columns))]
    finally:
        engine.dispose()


def test_no_clear_tops_every_table_up_and_keeps_what_was_there(hard_database, snapshot_dirs):
    config = config_for(snapshot_dirs, hard_database)
    seedkit.seed_auto(hard_database, config=config, rows=20)
    before = {name: table_rows(hard_database, name) for name in ("customers", "orders", "order_lines")}
    code, out, err = run_main(*cli_args(hard_database, config, "seed", "--auto", "--no-clear", "--rows", "35",
                                        "--rows", "orders=10", "--json"))
    assert code == 0, err
    created = json.loads(out)["created"]
    assert created["customers"] == 15 and created["orders"] == 0  # orders already had 20, more than 10
    counts = row_counts(hard_database)
    assert counts["customers"] == 35 and counts["orders"] == 20 and counts["order_lines"] == 35
    for name, rows in before.items():
        assert set(rows) <= set(table_rows(hard_database, name))  # the rows that were there are untouched
    assert foreign_key_violations(hard_database) == []
    # The new keys continue after the old ones, and the database's own counter after them.
    assert [row[0] for row in table_rows(hard_database, "customers")] == list(range(1, 36))
    run_statements(hard_database, "INSERT INTO customers (store_id, email, full_name) VALUES (1, 'new@shop.test', 'N')")
    assert table_rows(hard_database, "customers")[-1][0] == 36


TRIGGERS = {
    "sqlite": ["CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
               "CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL "
               "REFERENCES users (id), action VARCHAR(20) NOT NULL)",
               "CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN "
               "INSERT INTO audit_log (user_id, action) VALUES (NEW.id, 'created'); END"],
    "postgresql": ["CREATE TABLE users (id serial PRIMARY KEY, name varchar(40) NOT NULL)",
                   "CREATE TABLE audit_log (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id), "
                   "action varchar(20) NOT NULL)",
                   "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "INSERT INTO audit_log (user_id, action) VALUES (NEW.id, 'created'); RETURN NEW; END $$",
                   "CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION audit()"],
    "mysql": ["CREATE TABLE users (id INTEGER AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL)",
              "CREATE TABLE audit_log (id INTEGER AUTO_INCREMENT PRIMARY KEY, user_id INTEGER NOT NULL, "
              "action VARCHAR(20) NOT NULL, FOREIGN KEY (user_id) REFERENCES users (id))",
              "CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW "
              "INSERT INTO audit_log (user_id, action) VALUES (NEW.id, 'created')"],
}


@pytest.mark.parametrize("audit_rows, expected", [(30, 30), (50, 50), (10, 30)])
def test_triggers_fire_and_a_table_they_fill_is_topped_up_not_duplicated(backend, new_database, snapshot_dirs,
                                                                         audit_rows, expected):
    url = new_database()
    run_statements(url, *TRIGGERS[backend.name])
    config = config_for(snapshot_dirs, url)
    hashes = []
    for run in range(2):  # the second run empties both tables first, triggers and all
        report = seedkit.seed_auto(url, config=config, rows=30, table_rows={"audit_log": audit_rows})
        assert report.created["users"] == 30
        assert report.created["audit_log"] == max(0, audit_rows - 30)
        assert row_counts(url) == {"users": 30, "audit_log": expected}
        hashes.append(seedkit.snapshot(url, f"run{run}", config=config).content_hash)
    assert foreign_key_violations(url) == []
    # The counters restart with the tables, in the same transaction, so the triggers' rows get the same keys again;
    # MariaDB/MySQL cannot restart a counter inside a transaction, so there the second run's keys go on counting.
    assert (hashes[0] == hashes[1]) is (backend.name != "mysql")


TENANTS = [
    "CREATE TABLE stores (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, store_id INTEGER NOT NULL REFERENCES stores (id), "
    "email VARCHAR(80) NOT NULL)",
    "CREATE TABLE staff (id INTEGER PRIMARY KEY, store_id INTEGER NOT NULL REFERENCES stores (id), "
    "first_name VARCHAR(30) NOT NULL)",
    "CREATE TABLE rentals (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), "
    "staff_id INTEGER NOT NULL REFERENCES staff (id), store_id INTEGER NOT NULL REFERENCES stores (id))",
    "CREATE TABLE payments (id INTEGER PRIMARY KEY, rental_id INTEGER NOT NULL REFERENCES rentals (id), "
    "staff_id INTEGER REFERENCES staff (id), amount NUMERIC(6,2) NOT NULL)",
]


@pytest.mark.parametrize("rows", [3, 200])
def test_two_parents_under_one_ancestor_are_picked_in_the_same_tenant(backend, new_database, snapshot_dirs, rows):
    url = new_database()
    run_statements(url, *TENANTS)
    config = config_for(snapshot_dirs, url)
    seedkit.seed_auto(url, config=config, rows=rows, table_rows={"stores": 4})
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            # Mixed only where the tenant has nobody to pick (a store without staff falls back to any: see below).
            mixed = conn.exec_driver_sql(
                "SELECT count(*) FROM rentals r JOIN customers c ON c.id = r.customer_id "
                "JOIN staff s ON s.id = r.staff_id WHERE (c.store_id <> s.store_id OR r.store_id <> c.store_id) "
                "AND EXISTS (SELECT 1 FROM staff t WHERE t.store_id = c.store_id)"
            ).scalar_one()
            paid_elsewhere = conn.exec_driver_sql(
                "SELECT count(*) FROM payments p JOIN rentals r ON r.id = p.rental_id "
                "JOIN staff s ON s.id = p.staff_id WHERE s.store_id <> r.store_id "
                "AND EXISTS (SELECT 1 FROM staff t WHERE t.store_id = r.store_id)").scalar_one()
            stores = conn.exec_driver_sql("SELECT count(DISTINCT store_id) FROM rentals").scalar_one()
    finally:
        engine.dispose()
    assert mixed == 0 and paid_elsewhere == 0
    assert stores == 4 if rows >= 100 else stores >= 1  # scoped, yet spread over every store
    plan = {(line.table, line.column): line.reason for line in seedkit.plan_auto(url, config=config).lines()}
    scoped = [column for column in ("customer_id", "staff_id", "store_id")
              if "under the same" in plan[("rentals", column)]]
    assert len(scoped) == 2  # the first key picked leads, the other two follow it
    assert "under the same stores as its rentals" in plan[("payments", "staff_id")]


def test_a_tenant_without_the_other_parent_falls_back_to_any_parent(backend, new_database, snapshot_dirs):
    # One staff member for four stores: most customers' stores have nobody to serve them, and the rows still go in.
    url = new_database()
    run_statements(url, *TENANTS)
    report = seedkit.seed_auto(url, config=config_for(snapshot_dirs, url), rows=40,
                               table_rows={"stores": 4, "staff": 1})
    assert report.created["rentals"] == 40 and report.created["payments"] == 40
    assert foreign_key_violations(url) == []


def test_a_unique_pair_of_keys_can_use_more_pairs_than_one_tenant_holds(backend, new_database, snapshot_dirs):
    # Each item belongs to one entity, so only 60 (entity, item) pairs keep tenants together: 60 links need them
    # all, and the last rows go across tenants rather than fail.
    url = new_database()
    run_statements(url, "CREATE TABLE entities (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
                   "CREATE TABLE items (id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES entities (id))",
                   "CREATE TABLE links (id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES entities (id), "
                   "item_id INTEGER NOT NULL REFERENCES items (id), UNIQUE (entity_id, item_id))")
    report = seedkit.seed_auto(url, config=config_for(snapshot_dirs, url), rows=60, table_rows={"entities": 6})
    assert report.created["links"] == 60
