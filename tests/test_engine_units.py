"""The engine's pure parts: load order, schema fingerprints and differences, names, file names."""

from __future__ import annotations

import pytest

from seedkit.engine.graph import cycles, load_order
from seedkit.engine.metadata import table_file_name
from seedkit.engine.metadata import fingerprint
from seedkit.model.tables import schema_difference_lines as schema_differences
from seedkit.errors import InvalidNameError
from seedkit.names import check_name


def test_load_order_puts_parents_first_and_keeps_cycles_together():
    deps = {"lines": ["orders", "products"], "orders": ["customers"], "customers": [], "products": [],
            "a": ["b"], "b": ["a", "customers"], "tree": ["tree"]}
    order = load_order(deps)
    assert order.index("customers") < order.index("orders") < order.index("lines")
    assert order.index("products") < order.index("lines")
    assert abs(order.index("a") - order.index("b")) == 1 and order.index("customers") < order.index("a")
    assert sorted(order) == sorted(deps)
    assert cycles(deps) == [["a", "b"]]


def test_load_order_is_deterministic_and_handles_long_chains():
    chain = {f"t{i:05d}": [f"t{i - 1:05d}"] if i else [] for i in range(5000)}
    assert load_order(chain) == sorted(chain)


def _schema(**columns):
    return {"t": {"columns": columns, "primary_key": ["id"], "foreign_keys": [], "unique": []}}


def test_fingerprint_ignores_order_of_tables_and_columns():
    a = {"x": _schema(id={"type": "integer", "nullable": False}, n={"type": "text", "nullable": True})["t"],
         "y": _schema(id={"type": "integer", "nullable": False})["t"]}
    b = {"y": a["y"], "x": {**a["x"], "columns": dict(reversed(list(a["x"]["columns"].items())))}}
    assert fingerprint(a) == fingerprint(b)


def test_schema_differences_name_tables_and_columns():
    want = _schema(id={"type": "integer", "nullable": False}, n={"type": "text", "nullable": True},
                   gone={"type": "text", "nullable": True})
    have = _schema(id={"type": "bigint", "nullable": False}, n={"type": "text", "nullable": False},
                   new={"type": "text", "nullable": True})
    have["extra"] = have["t"]
    lines = schema_differences(want, have)
    assert "table extra: in the database, not in the snapshot" in lines
    assert "table t: column gone missing from the database" in lines
    assert "table t: column new added in the database" in lines
    assert "table t: column id type integer in the snapshot, bigint in the database" in lines
    assert "table t: column n is NULL in the snapshot, NOT NULL in the database" in lines
    assert schema_differences(want, want) == []


@pytest.mark.parametrize("name", ["phase-2", "a", "v1.0_final", "2026-11-22"])
def test_valid_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".x", "-x", "a b", "é", "a\\b", "x/../y", "a..b"])
def test_invalid_names(name):
    with pytest.raises(InvalidNameError):
        check_name(name)


def test_table_file_names_are_safe_and_unique():
    taken: set[str] = set()
    names = [table_file_name(key, taken) for key in ["Users", "users", "Café Ünits", "billing.invoices", "../etc"]]
    assert names[0] == "Users.parquet" and names[1] == "users~2.parquet"
    assert all("/" not in n and " " not in n and not n.startswith(".") for n in names)
    assert len(set(n.lower() for n in names)) == len(names)


@pytest.mark.parametrize("url", [
    "postgresql://app:s3cr%40t@db.internal:5432/app", "postgresql+psycopg://app:p:w/d@host/app?sslmode=require",
    "mysql://root:@127.0.0.1:3306/shop", "mysql+pymysql://root@127.0.0.1/shop", "sqlite:///dev.db",
])
def test_printed_urls_hide_the_password_as_sqlalchemy_renders_them(url):
    import sqlalchemy as sa

    from seedkit.config import describe_url

    assert describe_url(url) == sa.make_url(url).render_as_string(hide_password=True)
    assert describe_url(sa.create_engine(url) if url.startswith("sqlite") else url) == describe_url(url)


def test_a_sqlite_path_with_colons_and_at_signs_is_printed_as_written():
    from seedkit.config import describe_url

    assert describe_url("sqlite:////tmp/a:b@c.db") == "sqlite:////tmp/a:b@c.db"



@pytest.mark.parametrize("seconds, shown", [(2.345, "2.35 s"), (1.0, "1.00 s"), (0.123, "123 ms"), (0.0042, "4.2 ms")])
def test_durations_under_a_second_are_shown_in_milliseconds(seconds, shown):
    from seedkit.cli.output import human_seconds

    assert human_seconds(seconds) == shown
