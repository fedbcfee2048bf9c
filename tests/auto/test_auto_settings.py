"""``[tool.seedkit.auto]``: rows, locale, tables left alone, and a generator per column; names are checked."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

import seedkit
from backends import run_statements
from helpers import cli_args, config_for
from seedkit.errors import ConfigError
from test_cli import run_main

from .hard_schemas import SCHEMAS


@pytest.fixture
def shop(sqlite_backend, database_factory) -> str:
    url = database_factory(sqlite_backend)
    run_statements(url, *SCHEMAS["sqlite"]())
    return url


def rows_of(url: str, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql).fetchall()


def with_auto(config, **auto):
    return dataclasses.replace(config, auto=auto)


def test_configured_generators_rows_and_locale(shop, snapshot_dirs, tmp_path, monkeypatch):
    (tmp_path / "shop_values.py").write_text("def note(seed, ordinal):\n    return f'note {ordinal}'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = with_auto(config_for(snapshot_dirs, shop), rows=30, locale="de_DE", tables={"products": 45}, columns={
        "products.status": {"choices": ["draft", "live"], "weights": [1, 3]},
        "products.description": "skip",
        "products.title": {"faker": "catch_phrase"},
        "orders.currency": {"constant": "EUR"},
        "line_notes.body": "python:shop_values:note",
        "customers.full_name": "faker:name",
    })
    report = seedkit.seed_auto(shop, config=config)
    assert report.created["products"] == 45 and report.created["orders"] == 30
    statuses = [s for (s,) in rows_of(shop, "SELECT status FROM products")]
    assert set(statuses) == {"draft", "live"} and statuses.count("live") > statuses.count("draft")
    assert rows_of(shop, "SELECT count(*) FROM products WHERE description IS NOT NULL") == [(0,)]
    assert rows_of(shop, "SELECT DISTINCT currency FROM orders") == [("EUR",)]
    assert [b for (b,) in rows_of(shop, "SELECT body FROM line_notes ORDER BY id")] == [f"note {n}" for n in range(30)]
    names = [n for (n,) in rows_of(shop, "SELECT full_name FROM customers")]
    assert any(ch in "äöüßÄÖÜ" for name in names for ch in name)  # a German locale's names
    plan = {(line.table, line.column): line for line in seedkit.plan_auto(shop, config=config).lines()}
    assert plan[("products", "status")].reason == "configured"
    assert plan[("products", "description")].generator == "skip"


def test_command_line_rows_win_over_the_configuration(shop, snapshot_dirs):
    config = with_auto(config_for(snapshot_dirs, shop), rows=30, tables={"products": 45})
    report = seedkit.seed_auto(shop, config=config, rows=7, table_rows={"products": 9})
    assert report.created["products"] == 9 and report.created["orders"] == 7


def test_a_table_left_alone_keeps_its_rows_and_parents_the_others(shop, snapshot_dirs):
    run_statements(shop, *[f"INSERT INTO categories (id, slug, title) VALUES ({n}, 'c{n}', 'Category {n}')"
                           for n in (3, 5, 8)])
    config = with_auto(config_for(snapshot_dirs, shop), skip=["categories"])
    seedkit.seed_auto(shop, config=config, rows=20)
    assert rows_of(shop, "SELECT id FROM categories ORDER BY id") == [(3,), (5,), (8,)]
    assert {c for (c,) in rows_of(shop, "SELECT category_id FROM products")} <= {3, 5, 8}
    assert rows_of(shop, "SELECT count(*) FROM products") == [(20,)]


@pytest.mark.parametrize("auto, words", [
    ({"tables": {"nope": 3}}, "table 'nope'"),
    ({"skip": ["nope"]}, "table 'nope'"),
    ({"columns": {"products.nope": "faker:name"}}, "products has no column 'nope'"),
    ({"columns": {"nope.x": "faker:name"}}, "no table 'nope'"),
    ({"columns": {"products.title": "faker:not_a_provider"}}, "no provider 'not_a_provider'"),
    ({"columns": {"products.title": {"choices": []}}}, "non-empty list"),
    ({"columns": {"products.title": 3}}, "is not a generator"),
    ({"columns": {"products.title": "python:no_such_module:f"}}, "cannot import"),
    ({"columns": {"products.title": "skip"}}, "NOT NULL"),
    ({"rows": "many"}, "whole number"),
    ({"colums": {}}, "unknown key"),
])
def test_a_configuration_that_cannot_mean_anything_is_refused_by_name(shop, snapshot_dirs, auto, words):
    config = with_auto(config_for(snapshot_dirs, shop), **auto)
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        seedkit.seed_auto(shop, config=config)
    assert rows_of(shop, "SELECT count(*) FROM products") == [(0,)]


def test_the_configuration_is_read_from_pyproject(shop, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.seedkit]\ndatabase_url = "{shop}"\n\n[tool.seedkit.auto]\nrows = 4\n\n'
        '[tool.seedkit.auto.columns]\n"orders.currency" = { constant = "NOK" }\n', encoding="utf-8")
    code, out, err = run_main("seed", "--auto", "--quiet")
    assert code == 0, err
    assert rows_of(shop, "SELECT count(*), min(currency), max(currency) FROM orders") == [(4, "NOK", "NOK")]
    code, out, err = run_main("seed", "--auto", "--rows", "2", "--json")
    assert code == 0, err
    assert json.loads(out)["created"]["orders"] == 2
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.seedkit]\ndatabase_url = "{shop}"\n\n[tool.seedkit.auto.columns]\n"orders.nope" = "skip"\n')
    code, out, err = run_main("seed", "--auto")
    assert code != 0 and "orders has no column 'nope'" in err and "Traceback" not in err


def test_cli_args_reach_the_configured_database(shop, snapshot_dirs):
    config = config_for(snapshot_dirs, shop)
    code, _, err = run_main(*cli_args(shop, config, "seed", "--auto", "--rows", "3", "--quiet"))
    assert code == 0, err
    assert rows_of(shop, "SELECT count(*) FROM orders") == [(3,)]
