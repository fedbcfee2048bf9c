"""Fan-out per foreign key: ``[tool.seedkit.auto.fanout]`` gives each parent row between fewest and most child rows,
and the child table's count is their sum; the plan says so; what cannot be counted per parent is refused by name."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from hypothesis import given, settings, strategies as st

import seedkit
from backends import run_statements
from helpers import config_for
from seedkit.errors import ConfigError
from test_cli import run_main

from .hard_schemas import SCHEMAS


@pytest.fixture
def hard_database(backend, new_database) -> str:
    url = new_database()
    run_statements(url, *SCHEMAS[backend.name]())
    return url


def with_fanout(config, **fanout):
    return dataclasses.replace(config, auto={"fanout": fanout})


def children_per_parent(url: str, parent: str, child: str, key: str) -> list[int]:
    """For every parent row, how many child rows refer to it (0 included)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            sql = (f"SELECT (SELECT count(*) FROM {child} c WHERE c.{key} = p.id) FROM {parent} p ORDER BY p.id")
            return [n for (n,) in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def test_each_parent_gets_between_fewest_and_most_children_on_every_backend(hard_database, snapshot_dirs):
    config = with_fanout(config_for(snapshot_dirs, hard_database),
                         **{"orders.customer_id": [0, 6], "order_lines.order_id": [1, 4]})
    report = seedkit.seed_auto(hard_database, config=config, rows=40, seed=3)
    orders = children_per_parent(hard_database, "customers", "orders", "customer_id")
    lines = children_per_parent(hard_database, "orders", "order_lines", "order_id")
    assert len(orders) == 40 and all(0 <= n <= 6 for n in orders) and len(set(orders)) > 2
    assert report.created["orders"] == sum(orders) == len(lines)
    assert all(1 <= n <= 4 for n in lines) and report.created["order_lines"] == sum(lines)
    first = seedkit.snapshot(hard_database, "first", config=config).content_hash
    seedkit.seed_auto(hard_database, config=config, rows=40, seed=3)
    assert seedkit.snapshot(hard_database, "again", config=config).content_hash == first


def test_the_plan_says_how_many_rows_a_parent_gets(hard_database, snapshot_dirs):
    config = with_fanout(config_for(snapshot_dirs, hard_database), **{"orders.customer_id": [0, 12]})
    lines = {(line.table, line.column): line for line in seedkit.plan_auto(hard_database, config=config,
                                                                          rows=50).lines()}
    assert lines[("orders", "customer_id")].reason == "picked in turn, 0–12 per parent (configured)"
    # Without a fan-out, the share follows from the counts: 100 bookings over 50 customers.
    plan = seedkit.plan_auto(hard_database, config=config, rows=50, table_rows={"bookings": 100})
    booking = next(line for line in plan.lines() if (line.table, line.column) == ("bookings", "customer_id"))
    assert booking.reason == "picked from its rows, about 2 per parent"


def test_a_top_up_keeps_the_fanout_total(hard_database, snapshot_dirs):
    config = with_fanout(config_for(snapshot_dirs, hard_database), **{"bookings.customer_id": [2, 2]})
    seedkit.seed_auto(hard_database, config=config, rows=10)
    report = seedkit.seed_auto(hard_database, config=config, rows=15, clear=False)
    assert children_per_parent(hard_database, "customers", "bookings", "customer_id")[:10] == [2] * 10
    assert report.created["bookings"] == 10  # 15 customers, 2 bookings each: 30, of which 20 were there


@pytest.mark.parametrize("fanout, words", [
    ({"orders.total": [0, 3]}, "orders.total is not a foreign key"),
    ({"staff.reports_to": [0, 3]}, "refers to its own table"),
    ({"stores.manager_id": [0, 1]}, "closes a cycle"),
    ({"profiles.customer_id": [0, 2]}, "is unique, so a parent has at most one"),
    ({"orders.customer_id": [3, 1]}, "fewest <= most"),
    ({"orders.customer_id": 4}, "must be [fewest, most]"),
    ({"orders.nope": [0, 1]}, "orders has no column 'nope'"),
])
def test_a_fanout_that_cannot_be_followed_is_refused_by_name(sqlite_backend, database_factory, snapshot_dirs, fanout,
                                                             words):
    url = database_factory(sqlite_backend)
    run_statements(url, *SCHEMAS["sqlite"]())
    config = with_fanout(config_for(snapshot_dirs, url), **fanout)
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        seedkit.seed_auto(url, config=config, rows=5)


def test_a_count_and_a_fanout_for_one_table_are_refused_on_the_command_line(sqlite_backend, database_factory,
                                                                             tmp_path, monkeypatch):
    url = database_factory(sqlite_backend)
    run_statements(url, *SCHEMAS["sqlite"]())
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(f'[tool.seedkit]\ndatabase_url = "{url}"\n\n'
                                             '[tool.seedkit.auto.fanout]\n"orders.customer_id" = [0, 3]\n')
    code, out, err = run_main("seed", "--auto", "--rows", "3", "--plan")
    assert code == 0 and "0–3 per parent" in out, err
    code, _, err = run_main("seed", "--auto", "--rows", "orders=9")
    assert code != 0 and "orders's row count is set too (9)" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_one_to_one_key_takes_at_most_one_child_per_parent(sqlite_backend, database_factory, snapshot_dirs):
    url = database_factory(sqlite_backend)
    run_statements(url, *SCHEMAS["sqlite"]())
    config = with_fanout(config_for(snapshot_dirs, url), **{"profiles.customer_id": [0, 1]})
    seedkit.seed_auto(url, config=config, rows=30)
    counts = children_per_parent(url, "customers", "profiles", "customer_id")
    assert set(counts) == {0, 1}


@settings(max_examples=25, deadline=None)
@given(fewest=st.integers(0, 5), extra=st.integers(0, 5), parents=st.integers(0, 30), seed=st.integers(0, 2**32))
def test_fanout_bounds_hold_for_any_range_and_parent_count(tmp_path_factory, fewest, extra, parents, seed):
    path = tmp_path_factory.mktemp("fanout") / "db.sqlite"
    url = f"sqlite:///{path}"
    run_statements(url, "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
                   "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id), "
                   "note VARCHAR(20))")
    dirs = tmp_path_factory.mktemp("dirs")
    config = dataclasses.replace(config_for(dataclasses.make_dataclass("D", ["snapshots_dir", "metadata_dir"])(
        dirs / "s", dirs / "m"), url), auto={"fanout": {"child.parent_id": [fewest, fewest + extra]}})
    report = seedkit.seed_auto(url, config=config, table_rows={"parent": parents}, seed=seed)
    counts = children_per_parent(url, "parent", "child", "parent_id")
    assert len(counts) == parents and all(fewest <= n <= fewest + extra for n in counts)
    assert report.created["child"] == sum(counts)
