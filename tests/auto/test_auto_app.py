"""``seed --auto`` on a realistic 36-table shop, per backend: every table filled at a small and a large row count with
every constraint on, the result snapshots and restores into a fresh database, the same seed gives the same content
hash, and the plan names every column of every table."""

from __future__ import annotations

import pytest

import seedkit
from backends import run_statements
from helpers import config_for

from .app_schema import TABLES, app_schema
from .test_auto_seed import every_column, foreign_key_violations, row_counts


@pytest.fixture
def shop(backend, new_database) -> str:
    url = new_database()
    run_statements(url, *app_schema(backend.name))
    return url


def test_the_shop_schema_is_realistic_in_size():
    assert len(TABLES) >= 30


@pytest.mark.parametrize("rows", [20, 500])
def test_auto_fills_the_shop_and_its_snapshot_restores(shop, new_database, snapshot_dirs, rows):
    config = config_for(snapshot_dirs, shop)
    report = seedkit.seed_auto(shop, config=config, rows=rows, seed=11)
    assert report.created == {table: rows for table in TABLES}
    assert row_counts(shop) == {table: rows for table in TABLES}
    assert foreign_key_violations(shop) == []

    taken = seedkit.snapshot(shop, "shop", config=config)
    copy = new_database()
    restored = seedkit.restore(copy, "shop", config=config)
    assert restored.rows == taken.rows == rows * len(TABLES)
    assert row_counts(copy) == row_counts(shop)
    assert foreign_key_violations(copy) == []


def test_the_same_seed_gives_the_same_shop(shop, snapshot_dirs):
    config = config_for(snapshot_dirs, shop)
    hashes = []
    for name, seed in (("first", 5), ("again", 5), ("other", 6)):
        seedkit.seed_auto(shop, config=config, rows=40, seed=seed)
        hashes.append(seedkit.snapshot(shop, name, config=config).content_hash)
    assert hashes[0] == hashes[1] != hashes[2]


def test_the_plan_names_every_column_of_every_table(shop, snapshot_dirs):
    plan = seedkit.plan_auto(shop, config=config_for(snapshot_dirs, shop), rows=20)
    lines = plan.lines()
    assert {(line.table, line.column) for line in lines if line.column != "(check)"} == every_column(shop)
    assert all(line.generator and line.reason for line in lines)
    assert {table.table.key for table in plan.tables} == set(TABLES)
    assert set(row_counts(shop).values()) == {0}
