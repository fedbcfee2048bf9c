"""``seed --auto`` over random schemas on every backend: it fills every table with exactly the rows asked, every
constraint holds (the servers enforce them, SQLite is asked), the same seed gives the same rows, and what cannot be
done (a unique boolean asked for more than two rows, a cycle of NOT NULL keys) is refused in one line."""

from __future__ import annotations

import os

from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedkit
from backends import run_statements
from helpers import config_for
from seedkit.errors import SeedkitError

from .random_schemas import Schema, render, schemas
from .test_auto_seed import foreign_key_violations, row_counts

# Database creation on a server costs 0.1-0.3 s an example: 15 per backend keeps the file within a minute on CI.
EXAMPLES = int(os.environ.get("SEEDKIT_HYPOTHESIS_EXAMPLES", "15"))  # more: SEEDKIT_HYPOTHESIS_EXAMPLES=200


def table_rows(url: str, schema: Schema) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by all its columns."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            found = {}
            for table in schema.tables:
                order = ", ".join(str(n) for n in range(1, len(table.columns) + 1))
                found[table.name] = [tuple(row) for row in
                                     conn.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY {order}")]
            return found
    finally:
        engine.dispose()


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_auto_fills_random_schemas_exactly_and_repeatably(backend, snapshot_dirs, data):
    schema = data.draw(schemas(backend.name), label="schema")
    rows = data.draw(st.integers(1, 200), label="rows")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    url = backend.create_database()
    try:
        run_statements(url, *render(schema))
        config = config_for(snapshot_dirs, url)
        refusal = schema.refusal(rows)
        if refusal is not None:
            with pytest.raises(SeedkitError) as refused:
                seedkit.seed_auto(url, config=config, rows=rows, seed=seed)
            assert "\n" not in str(refused.value).strip(), refusal
            assert set(row_counts(url).values()) == {0}
            return
        report = seedkit.seed_auto(url, config=config, rows=rows, seed=seed)
        assert row_counts(url) == {table.name: rows for table in schema.tables}
        assert report.created == {table.name: rows for table in schema.tables}
        assert foreign_key_violations(url) == []
        first = table_rows(url, schema)
        seedkit.seed_auto(url, config=config, rows=rows, seed=seed)
        assert table_rows(url, schema) == first
    finally:
        backend.drop_database(url)


def test_a_one_to_one_key_that_breaks_a_cycle_takes_each_parent_once(backend, new_database, snapshot_dirs):
    # a.b_id is the nullable key the cycle is broken through: it is filled in the second pass, and is unique.
    url = new_database()
    statements = ["CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER UNIQUE)",
                  "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER)",
                  "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b (id)",
                  "ALTER TABLE b ADD FOREIGN KEY (a_id) REFERENCES a (id)"]
    if backend.name == "sqlite":  # SQLite cannot add a foreign key to an existing table
        statements = ["CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER UNIQUE REFERENCES b (id))",
                      "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id))"]
    run_statements(url, *statements)
    seedkit.seed_auto(url, config=config_for(snapshot_dirs, url), rows=60, seed=3)
    picked = _column(url, "a", "b_id")
    filled = [value for value in picked if value is not None]
    assert len(filled) == len(set(filled)) > 40
    assert foreign_key_violations(url) == []


def _column(url: str, table: str, column: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.exec_driver_sql(f"SELECT {column} FROM {table}")]
    finally:
        engine.dispose()
