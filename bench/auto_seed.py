"""`seedkit seed --auto` on SQLite, PostgreSQL and MariaDB, beside the `seedkit` 1.5.1 of PyPI (kclaka/seedkit).

    .venv/bin/python bench/auto_seed.py            # 10k, 100k and 2.0 M rows in a 40-table schema, then the samples
    .venv/bin/python bench/auto_seed.py --quick    # 10k rows only

The 40-table schema is generated here (deterministic): 8 groups of entity, item, owner, link and event, with
cycles broken through a nullable key (entity <-> owner; entity -> owner -> item -> entity; every group's entity
NOT NULL to the previous one's, closed by a nullable key from the first to the last), self-references, composite
primary and foreign keys, composite unique keys and CHECK constraints (IN lists, ranges, cross-column
comparisons). Beside it, at the same sizes, a 4-table orders schema both tools can fill (the control, for a rows/s
ratio); and three sample schemas that follow well-known ones: Sakila (store <-> staff cycle), Chinook and Northwind
(a VARCHAR(5) customer key). Each schema is rendered for each backend.

Every run is a whole process into a freshly created, empty schema: `.venv/bin/seedkit --db URL seed --auto --rows N`
and the anchor's `seedkit generate --db URL --rows N -o direct`, in turn on the same DDL, with peak RSS taken by
getrusage(RUSAGE_CHILDREN) in a wrapper process. A run counts as complete when the command succeeded and every
table holds N rows, no foreign key points nowhere and no row breaks a CHECK (both re-checked with queries, plus
PRAGMA foreign_key_check on SQLite): the anchor may write with checks off. rows/s is the rows found / the
process's wall time, start-up included.

The anchor is a Rust binary whose PyPI distribution is also called `seedkit` (ours is `seedkit-db`), so it lives
in its own venv (``--anchor-venv``, created on first use); when it cannot be installed the bench says so and goes
on with seedkit alone. Raw numbers go to bench/results/auto_seed-<time>.json. Only databases named
seedkit_bench_<pid>_* are created, and they are dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
SEEDKIT = ROOT / ".venv" / "bin" / "seedkit"
ANCHOR_VERSION = "1.5.1"
RSS_WRAPPER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")
ROWS_PER_SECOND_TARGETS = {"sqlite": 50_000, "postgresql": 30_000}  # the issue's; none for MariaDB
RSS_LIMIT_MB = 256  # at 2 M rows
GROUPS = 8  # of 5 tables each
FULL_SIZES = (250, 2_500, 50_000)  # rows per table: 10k, 100k and 2.0 M rows in the 40-table schema
SEED = 1


# ---------------------------------------------------------------------------------------------- schemas
@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # portable spelling; a dialect renames the few it spells otherwise
    nullable: bool = True
    serial: bool = False  # numbered by the database


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...] = ("id",)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ("id",)
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    checks: tuple[str, ...] = ()  # portable SQL, also evaluated by the verification


@dataclass(frozen=True)
class Schema:
    name: str
    tables: tuple[Table, ...]


def C(name: str, sql_type: str, nullable: bool = True) -> Column:
    return Column(name, sql_type, nullable)


def ID(serial: bool = True) -> Column:
    return Column("id", "INTEGER", nullable=False, serial=serial)


def FK(columns: str, parent: str, parent_columns: str = "id") -> ForeignKey:
    return ForeignKey(tuple(columns.split(",")), parent, tuple(parent_columns.split(",")))


def generated_schema(groups: int = GROUPS) -> Schema:
    """``groups`` x 5 tables; the same every time."""
    tables: list[Table] = []
    for g in range(groups):
        p, odd = f"g{g}_", g % 2 == 1
        entity_columns = [ID(), C("code", "VARCHAR(40)", False), C("name", "VARCHAR(80)", False),
                          C("status", "VARCHAR(10)", False), C("score", "SMALLINT"),
                          C("created_at", "TIMESTAMP", False), C("parent_id", "INTEGER"), C("owner_id", "INTEGER")]
        entity_keys = [FK("parent_id", p + "entity"), FK("owner_id", p + "owner")]
        if g > 0:
            entity_columns.append(C("upstream_id", "INTEGER", False))
            entity_keys.append(FK("upstream_id", f"g{g - 1}_entity"))
        else:  # closes the cycle through every group's entity
            entity_columns.append(C("downstream_id", "INTEGER"))
            entity_keys.append(FK("downstream_id", f"g{groups - 1}_entity"))
        tables.append(Table(p + "entity", tuple(entity_columns), foreign_keys=tuple(entity_keys), unique=(("code",),),
                            checks=("status IN ('active', 'paused', 'closed')", "score BETWEEN 0 AND 100",
                                    "LENGTH(code) >= 3")))

        item_columns = [ID(serial=False), C("entity_id", "INTEGER", False), C("sku", "VARCHAR(24)", False),
                        C("price", "NUMERIC(10, 2)", False), C("qty", "INTEGER", False),
                        C("starts_on", "DATE", False), C("ends_on", "DATE"), C("label", "TEXT")]
        item_keys = [FK("entity_id", p + "entity")]
        if odd:
            item_columns.append(C("replaces_id", "INTEGER"))
            item_keys.append(FK("replaces_id", p + "item"))
        tables.append(Table(p + "item", tuple(item_columns), foreign_keys=tuple(item_keys),
                            unique=(("entity_id", "sku"),),
                            checks=("price >= 0", "qty > 0 AND qty <= 1000",
                                    "ends_on IS NULL OR ends_on >= starts_on")))

        # Even groups: entity <-> owner; odd ones: entity -> owner -> item -> entity. Every third owner is one to one.
        via = ("item_id", p + "item") if odd else ("entity_id", p + "entity")
        unique: tuple[tuple[str, ...], ...] = (("email",), (via[0],)) if g % 3 == 0 else (("email",),)
        tables.append(Table(p + "owner", (ID(), C(via[0], "INTEGER", False), C("email", "VARCHAR(120)", False),
                                          C("active", "BOOLEAN", False), C("since", "DATE")),
                            foreign_keys=(FK(*via),), unique=unique))

        tables.append(Table(p + "link", (C("entity_id", "INTEGER", False), C("item_id", "INTEGER", False),
                                         C("weight", "SMALLINT", False), C("note", "VARCHAR(200)"),
                                         C("created_at", "TIMESTAMP")),
                            primary_key=("entity_id", "item_id"),
                            foreign_keys=(FK("entity_id", p + "entity"), FK("item_id", p + "item")),
                            checks=("weight BETWEEN 1 AND 5",)))

        event_columns = [ID(), C("entity_id", "INTEGER", False), C("item_id", "INTEGER", False),
                         C("kind", "VARCHAR(12)", False), C("happened_at", "TIMESTAMP", False),
                         C("amount", "NUMERIC(12, 2)")]
        event_keys = [FK("entity_id,item_id", p + "link", "entity_id,item_id")]
        if not odd:
            event_columns.append(C("reply_to_id", "INTEGER"))
            event_keys.append(FK("reply_to_id", p + "event"))
        tables.append(Table(p + "event", tuple(event_columns), foreign_keys=tuple(event_keys),
                            checks=("kind IN ('created', 'updated', 'deleted', 'viewed')",
                                    "amount BETWEEN -1000 AND 1000")))
    return Schema(f"bench{len(tables)}", tuple(tables))


def orders() -> Schema:
    """The control: four plain tables that the anchor can fill too (its SERIAL keys, no CHECK, no unique text), for
    a rows/s ratio when it fails on the others."""
    serial = Column("id", "SERIAL", nullable=False)
    return Schema("orders", (
        Table("customers", (serial, C("name", "VARCHAR(255)", False), C("city", "VARCHAR(255)"),
                            C("created_at", "TIMESTAMP", False))),
        Table("products", (serial, C("title", "VARCHAR(255)", False), C("price", "NUMERIC(10, 2)", False),
                           C("description", "TEXT"))),
        Table("orders", (serial, C("customer_id", "INTEGER", False), C("placed_at", "TIMESTAMP", False),
                         C("total", "NUMERIC(12, 2)"), C("note", "TEXT")), foreign_keys=(FK("customer_id", "customers"),)),
        Table("order_items", (serial, C("order_id", "INTEGER", False), C("product_id", "INTEGER", False),
                              C("quantity", "INTEGER", False), C("unit_price", "NUMERIC(10, 2)", False)),
              foreign_keys=(FK("order_id", "orders"), FK("product_id", "products"))),
    ))


def sakila() -> Schema:
    """Sakila's rental store; store.manager_staff_id is nullable here (NOT NULL in Sakila, which loads with the
    checks off) so that the store <-> staff cycle can be broken."""
    return Schema("sakila", (
        Table("language", (ID(), C("name", "VARCHAR(20)", False), C("last_update", "TIMESTAMP", False))),
        Table("actor", (ID(), C("first_name", "VARCHAR(45)", False), C("last_name", "VARCHAR(45)", False),
                        C("last_update", "TIMESTAMP", False))),
        Table("film", (ID(), C("title", "VARCHAR(128)", False), C("description", "TEXT"), C("release_year", "SMALLINT"),
                       C("language_id", "INTEGER", False), C("original_language_id", "INTEGER"),
                       C("rental_duration", "SMALLINT", False), C("rental_rate", "NUMERIC(4, 2)", False),
                       C("length", "SMALLINT"), C("replacement_cost", "NUMERIC(5, 2)", False),
                       C("rating", "VARCHAR(5)"), C("last_update", "TIMESTAMP", False)),
              foreign_keys=(FK("language_id", "language"), FK("original_language_id", "language")),
              checks=("rating IN ('G', 'PG', 'PG-13', 'R', 'NC-17')", "rental_duration > 0",
                      "release_year BETWEEN 1901 AND 2155", "length > 0")),
        Table("film_actor", (C("actor_id", "INTEGER", False), C("film_id", "INTEGER", False),
                             C("last_update", "TIMESTAMP", False)),
              primary_key=("actor_id", "film_id"), foreign_keys=(FK("actor_id", "actor"), FK("film_id", "film"))),
        Table("country", (ID(), C("country", "VARCHAR(50)", False), C("last_update", "TIMESTAMP", False))),
        Table("city", (ID(), C("city", "VARCHAR(50)", False), C("country_id", "INTEGER", False),
                       C("last_update", "TIMESTAMP", False)), foreign_keys=(FK("country_id", "country"),)),
        Table("address", (ID(), C("address", "VARCHAR(50)", False), C("address2", "VARCHAR(50)"),
                          C("district", "VARCHAR(20)", False), C("city_id", "INTEGER", False),
                          C("postal_code", "VARCHAR(10)"), C("phone", "VARCHAR(20)", False),
                          C("last_update", "TIMESTAMP", False)), foreign_keys=(FK("city_id", "city"),)),
        Table("store", (ID(), C("manager_staff_id", "INTEGER"), C("address_id", "INTEGER", False),
                        C("last_update", "TIMESTAMP", False)),
              foreign_keys=(FK("manager_staff_id", "staff"), FK("address_id", "address")),
              unique=(("manager_staff_id",),)),
        Table("staff", (ID(), C("first_name", "VARCHAR(45)", False), C("last_name", "VARCHAR(45)", False),
                        C("address_id", "INTEGER", False), C("email", "VARCHAR(50)"), C("store_id", "INTEGER", False),
                        C("active", "BOOLEAN", False), C("username", "VARCHAR(16)", False),
                        C("password", "VARCHAR(40)"), C("last_update", "TIMESTAMP", False)),
              foreign_keys=(FK("address_id", "address"), FK("store_id", "store"))),
        Table("customer", (ID(), C("store_id", "INTEGER", False), C("first_name", "VARCHAR(45)", False),
                           C("last_name", "VARCHAR(45)", False), C("email", "VARCHAR(50)"),
                           C("address_id", "INTEGER", False), C("active", "BOOLEAN", False),
                           C("create_date", "TIMESTAMP", False), C("last_update", "TIMESTAMP")),
              foreign_keys=(FK("store_id", "store"), FK("address_id", "address"))),
        Table("inventory", (ID(), C("film_id", "INTEGER", False), C("store_id", "INTEGER", False),
                            C("last_update", "TIMESTAMP", False)),
              foreign_keys=(FK("film_id", "film"), FK("store_id", "store"))),
        Table("rental", (ID(), C("rental_date", "TIMESTAMP", False), C("inventory_id", "INTEGER", False),
                         C("customer_id", "INTEGER", False), C("return_date", "TIMESTAMP"),
                         C("staff_id", "INTEGER", False), C("last_update", "TIMESTAMP", False)),
              foreign_keys=(FK("inventory_id", "inventory"), FK("customer_id", "customer"), FK("staff_id", "staff")),
              unique=(("rental_date", "inventory_id", "customer_id"),),
              checks=("return_date IS NULL OR return_date >= rental_date",)),
        Table("payment", (ID(), C("customer_id", "INTEGER", False), C("staff_id", "INTEGER", False),
                          C("rental_id", "INTEGER"), C("amount", "NUMERIC(5, 2)", False),
                          C("payment_date", "TIMESTAMP", False), C("last_update", "TIMESTAMP")),
              foreign_keys=(FK("customer_id", "customer"), FK("staff_id", "staff"), FK("rental_id", "rental")),
              checks=("amount >= 0",)),
    ))


def chinook() -> Schema:
    return Schema("chinook", (
        Table("artist", (ID(), C("name", "VARCHAR(120)"))),
        Table("album", (ID(), C("title", "VARCHAR(160)", False), C("artist_id", "INTEGER", False)),
              foreign_keys=(FK("artist_id", "artist"),)),
        Table("media_type", (ID(), C("name", "VARCHAR(120)"))),
        Table("genre", (ID(), C("name", "VARCHAR(120)"))),
        Table("track", (ID(), C("name", "VARCHAR(200)", False), C("album_id", "INTEGER"),
                        C("media_type_id", "INTEGER", False), C("genre_id", "INTEGER"), C("composer", "VARCHAR(220)"),
                        C("milliseconds", "INTEGER", False), C("bytes", "INTEGER"),
                        C("unit_price", "NUMERIC(10, 2)", False)),
              foreign_keys=(FK("album_id", "album"), FK("media_type_id", "media_type"), FK("genre_id", "genre")),
              checks=("milliseconds > 0", "unit_price >= 0")),
        Table("employee", (ID(), C("last_name", "VARCHAR(20)", False), C("first_name", "VARCHAR(20)", False),
                           C("title", "VARCHAR(30)"), C("reports_to", "INTEGER"), C("birth_date", "TIMESTAMP"),
                           C("hire_date", "TIMESTAMP"), C("address", "VARCHAR(70)"), C("city", "VARCHAR(40)"),
                           C("country", "VARCHAR(40)"), C("postal_code", "VARCHAR(10)"), C("phone", "VARCHAR(24)"),
                           C("email", "VARCHAR(60)")),
              foreign_keys=(FK("reports_to", "employee"),), checks=("hire_date > birth_date",)),
        Table("customer", (ID(), C("first_name", "VARCHAR(40)", False), C("last_name", "VARCHAR(20)", False),
                           C("company", "VARCHAR(80)"), C("address", "VARCHAR(70)"), C("city", "VARCHAR(40)"),
                           C("state", "VARCHAR(40)"), C("country", "VARCHAR(40)"), C("postal_code", "VARCHAR(10)"),
                           C("phone", "VARCHAR(24)"), C("email", "VARCHAR(60)", False), C("support_rep_id", "INTEGER")),
              foreign_keys=(FK("support_rep_id", "employee"),), unique=(("email",),)),
        Table("invoice", (ID(), C("customer_id", "INTEGER", False), C("invoice_date", "TIMESTAMP", False),
                          C("billing_address", "VARCHAR(70)"), C("billing_city", "VARCHAR(40)"),
                          C("billing_country", "VARCHAR(40)"), C("billing_postal_code", "VARCHAR(10)"),
                          C("total", "NUMERIC(10, 2)", False)),
              foreign_keys=(FK("customer_id", "customer"),), checks=("total >= 0",)),
        Table("invoice_line", (ID(), C("invoice_id", "INTEGER", False), C("track_id", "INTEGER", False),
                               C("unit_price", "NUMERIC(10, 2)", False), C("quantity", "INTEGER", False)),
              foreign_keys=(FK("invoice_id", "invoice"), FK("track_id", "track")),
              checks=("quantity > 0", "unit_price >= 0")),
        Table("playlist", (ID(), C("name", "VARCHAR(120)"))),
        Table("playlist_track", (C("playlist_id", "INTEGER", False), C("track_id", "INTEGER", False)),
              primary_key=("playlist_id", "track_id"),
              foreign_keys=(FK("playlist_id", "playlist"), FK("track_id", "track"))),
    ))


def northwind() -> Schema:
    return Schema("northwind", (
        Table("categories", (ID(), C("category_name", "VARCHAR(15)", False), C("description", "TEXT"))),
        Table("suppliers", (ID(), C("company_name", "VARCHAR(40)", False), C("contact_name", "VARCHAR(30)"),
                            C("city", "VARCHAR(15)"), C("country", "VARCHAR(15)"), C("phone", "VARCHAR(24)"))),
        Table("products", (ID(), C("product_name", "VARCHAR(40)", False), C("supplier_id", "INTEGER"),
                           C("category_id", "INTEGER"), C("quantity_per_unit", "VARCHAR(20)"),
                           C("unit_price", "NUMERIC(10, 2)"), C("units_in_stock", "SMALLINT"),
                           C("units_on_order", "SMALLINT"), C("reorder_level", "SMALLINT"),
                           C("discontinued", "BOOLEAN", False)),
              foreign_keys=(FK("supplier_id", "suppliers"), FK("category_id", "categories")),
              checks=("unit_price >= 0", "units_in_stock >= 0", "units_on_order >= 0", "reorder_level >= 0")),
        Table("customers", (C("customer_id", "VARCHAR(5)", False), C("company_name", "VARCHAR(40)", False),
                            C("contact_name", "VARCHAR(30)"), C("city", "VARCHAR(15)"), C("country", "VARCHAR(15)"),
                            C("phone", "VARCHAR(24)")), primary_key=("customer_id",)),
        Table("employees", (ID(), C("last_name", "VARCHAR(20)", False), C("first_name", "VARCHAR(10)", False),
                            C("title", "VARCHAR(30)"), C("birth_date", "DATE"), C("hire_date", "DATE"),
                            C("reports_to", "INTEGER")),
              foreign_keys=(FK("reports_to", "employees"),), checks=("birth_date < hire_date",)),
        Table("shippers", (ID(), C("company_name", "VARCHAR(40)", False), C("phone", "VARCHAR(24)"))),
        Table("orders", (ID(), C("customer_id", "VARCHAR(5)"), C("employee_id", "INTEGER"), C("order_date", "DATE"),
                         C("required_date", "DATE"), C("shipped_date", "DATE"), C("ship_via", "INTEGER"),
                         C("freight", "NUMERIC(10, 2)"), C("ship_name", "VARCHAR(40)"), C("ship_city", "VARCHAR(15)"),
                         C("ship_country", "VARCHAR(15)")),
              foreign_keys=(FK("customer_id", "customers", "customer_id"), FK("employee_id", "employees"),
                            FK("ship_via", "shippers")),
              checks=("freight >= 0", "shipped_date IS NULL OR shipped_date >= order_date")),
        Table("order_details", (C("order_id", "INTEGER", False), C("product_id", "INTEGER", False),
                                C("unit_price", "NUMERIC(10, 2)", False), C("quantity", "SMALLINT", False),
                                C("discount", "REAL", False)),
              primary_key=("order_id", "product_id"),
              foreign_keys=(FK("order_id", "orders"), FK("product_id", "products")),
              checks=("unit_price >= 0", "quantity > 0", "discount >= 0 AND discount <= 1")),
        Table("region", (ID(serial=False), C("region_description", "VARCHAR(60)", False))),
        Table("territories", (C("territory_id", "VARCHAR(20)", False), C("territory_description", "VARCHAR(60)", False),
                              C("region_id", "INTEGER", False)),
              primary_key=("territory_id",), foreign_keys=(FK("region_id", "region"),)),
        Table("employee_territories", (C("employee_id", "INTEGER", False), C("territory_id", "VARCHAR(20)", False)),
              primary_key=("employee_id", "territory_id"),
              foreign_keys=(FK("employee_id", "employees"), FK("territory_id", "territories", "territory_id"))),
    ))


# ---------------------------------------------------------------------------------------------- rendering
@dataclass(frozen=True)
class Dialect:
    """How one backend spells the schema; the defaults are standard SQL."""

    quote_char: str = '"'
    types: dict[str, str] = field(default_factory=dict)
    serial_type: str = "INTEGER GENERATED BY DEFAULT AS IDENTITY"
    # SQLite cannot add a foreign key to an existing table, and accepts one to a table not created yet.
    inline_foreign_keys: bool = False

    def quote(self, name: str) -> str:
        return f"{self.quote_char}{name}{self.quote_char}"

    def quoted(self, names: Sequence[str]) -> str:
        return ", ".join(self.quote(n) for n in names)

    def column(self, column: Column) -> str:
        sql_type = self.serial_type if column.serial else self.types.get(column.sql_type, column.sql_type)
        return f"{self.quote(column.name)} {sql_type}{'' if column.nullable else ' NOT NULL'}"

    def foreign_key(self, table: Table, index: int, fk: ForeignKey) -> str:
        return (f"CONSTRAINT {self.quote(f'fk_{table.name}_{index}')} FOREIGN KEY ({self.quoted(fk.columns)}) "
                f"REFERENCES {self.quote(fk.parent)} ({self.quoted(fk.parent_columns)})")

    def statements(self, schema: Schema) -> list[str]:
        out, later = [], []
        for table in schema.tables:
            parts = [self.column(c) for c in table.columns]
            parts.append(f"PRIMARY KEY ({self.quoted(table.primary_key)})")
            parts += [f"UNIQUE ({self.quoted(u)})" for u in table.unique]
            parts += [f"CONSTRAINT {self.quote(f'ck_{table.name}_{i}')} CHECK ({c})" for i, c in enumerate(table.checks)]
            keys = [self.foreign_key(table, i, fk) for i, fk in enumerate(table.foreign_keys)]
            if self.inline_foreign_keys:
                parts += keys
            else:
                later += [f"ALTER TABLE {self.quote(table.name)} ADD {key}" for key in keys]
            out.append(f"CREATE TABLE {self.quote(table.name)} (\n  " + ",\n  ".join(parts) + "\n)")
        return out + later


# SERIAL: PostgreSQL's older numbering (a sequence default), the one the anchor leaves to the database.
SQLITE = Dialect(types={"SERIAL": "INTEGER"}, serial_type="INTEGER", inline_foreign_keys=True)  # the rowid
POSTGRESQL = Dialect()
MARIADB = Dialect(quote_char="`", types={"TIMESTAMP": "DATETIME", "REAL": "DOUBLE", "SERIAL": "INT AUTO_INCREMENT"},
                  serial_type="INT AUTO_INCREMENT")


# ---------------------------------------------------------------------------------------------- backends
class Backend(Protocol):
    name: str
    dialect: Dialect

    def create(self, db: str, statements: list[str]) -> None: ...
    def url(self, db: str) -> str: ...
    def anchor_url(self, db: str) -> str: ...
    def scalars(self, db: str, queries: list[str]) -> list[int]: ...
    def pragma_problems(self, db: str) -> list[str]: ...
    def drop(self, db: str) -> None: ...
    def close(self) -> None: ...


class SQLiteBackend:
    name = "sqlite"
    dialect = SQLITE

    def __init__(self, work: Path) -> None:
        self.work = work

    def path(self, db: str) -> Path:
        return self.work / f"{db}.db"

    def create(self, db: str, statements: list[str]) -> None:
        self.drop(db)
        with sqlite3.connect(self.path(db)) as conn:
            for statement in statements:
                conn.execute(statement)
        conn.close()

    def url(self, db: str) -> str:
        return f"sqlite:///{self.path(db)}"

    anchor_url = url

    def scalars(self, db: str, queries: list[str]) -> list[int]:
        conn = sqlite3.connect(self.path(db))
        try:
            return [conn.execute(q).fetchone()[0] for q in queries]
        finally:
            conn.close()

    def pragma_problems(self, db: str) -> list[str]:
        conn = sqlite3.connect(self.path(db))
        try:
            found = conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()
        tables = sorted({row[0] for row in found})
        return [f"PRAGMA foreign_key_check: {len(found)} rows ({', '.join(tables[:3])})"] if found else []

    def drop(self, db: str) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path(db)}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        pass


class PostgreSQLBackend:
    name = "postgresql"
    dialect = POSTGRESQL

    def __init__(self, url: str) -> None:
        import psycopg

        self.psycopg = psycopg
        self.base = url.rstrip("/")
        self.server = psycopg.connect(f"{self.base}/postgres", autocommit=True)
        self.created: set[str] = set()

    def create(self, db: str, statements: list[str]) -> None:
        self.drop(db)
        self.server.execute(self.psycopg.sql.SQL("CREATE DATABASE {}").format(self.psycopg.sql.Identifier(db)))
        self.created.add(db)
        with self.psycopg.connect(f"{self.base}/{db}", autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def url(self, db: str) -> str:
        return f"{self.base}/{db}"

    anchor_url = url

    def scalars(self, db: str, queries: list[str]) -> list[int]:
        with self.psycopg.connect(f"{self.base}/{db}", autocommit=True) as conn:
            return [conn.execute(q).fetchone()[0] for q in queries]

    def pragma_problems(self, db: str) -> list[str]:
        return []

    def drop(self, db: str) -> None:
        self.server.execute(self.psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                            .format(self.psycopg.sql.Identifier(db)))

    def close(self) -> None:
        for db in self.created:
            self.drop(db)
        self.server.close()


class MariaDBBackend:
    name = "mariadb"
    dialect = MARIADB

    def __init__(self, url: str) -> None:
        import pymysql

        self.pymysql = pymysql
        self.base = url.rstrip("/")
        parts = urllib.parse.urlsplit(self.base)
        self.connect_args = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 3306,
                             "user": parts.username or "root", "password": urllib.parse.unquote(parts.password or "")}
        self.server = pymysql.connect(**self.connect_args, autocommit=True)
        self.created: set[str] = set()

    def create(self, db: str, statements: list[str]) -> None:
        self.drop(db)
        with self.server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
        self.created.add(db)
        conn = self.pymysql.connect(**self.connect_args, database=db, autocommit=True)
        try:
            with conn.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            conn.close()

    def url(self, db: str) -> str:
        return f"{self.base}/{db}"

    anchor_url = url

    def scalars(self, db: str, queries: list[str]) -> list[int]:
        conn = self.pymysql.connect(**self.connect_args, database=db)
        try:
            with conn.cursor() as cursor:
                out = []
                for query in queries:
                    cursor.execute(query)
                    out.append(int(cursor.fetchone()[0]))
                return out
        finally:
            conn.close()

    def pragma_problems(self, db: str) -> list[str]:
        return []

    def drop(self, db: str) -> None:
        with self.server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{db}`")

    def close(self) -> None:
        for db in self.created:
            self.drop(db)
        self.server.close()


# ---------------------------------------------------------------------------------------------- one run
@dataclass
class Outcome:
    tool: str
    schema: str
    backend: str
    rows_per_table: int
    expected_rows: int
    seconds: float = 0.0
    rss_mb: float | None = None
    exit_code: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    failure: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.problems

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.ok and self.seconds else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "rows_per_second": self.rows_per_second}


def verify(backend: Backend, db: str, schema: Schema, rows_per_table: int) -> tuple[int, list[str]]:
    """(rows found, what is wrong): short tables, keys pointing nowhere, rows breaking a CHECK."""
    q = backend.dialect.quote
    queries: list[tuple[str, str]] = []  # (what, query)
    for table in schema.tables:
        name = q(table.name)
        queries.append((f"count {table.name}", f"SELECT COUNT(*) FROM {name}"))
        for fk in table.foreign_keys:
            present = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in fk.columns)
            match = " AND ".join(f"p.{q(pc)} = c.{q(c)}" for c, pc in zip(fk.columns, fk.parent_columns))
            queries.append((f"{table.name}({', '.join(fk.columns)}) -> {fk.parent}: orphan keys",
                            (f"SELECT COUNT(*) FROM {name} c WHERE {present} AND NOT EXISTS "
                             f"(SELECT 1 FROM {q(fk.parent)} p WHERE {match})")))
        for check in table.checks:
            queries.append((f"{table.name}: rows breaking CHECK ({check})",
                            f"SELECT COUNT(*) FROM {name} WHERE NOT ({check})"))
    values = backend.scalars(db, [query for _, query in queries])
    rows, problems = 0, []
    for (what, _), value in zip(queries, values):
        if what.startswith("count "):
            rows += value
            if value != rows_per_table:
                problems.append(f"{what[6:]}: {value}/{rows_per_table} rows")
        elif value:
            problems.append(f"{what}: {value}")
    return rows, problems + backend.pragma_problems(db)


def one_line(text: str, limit: int = 300) -> str:
    """The error of a failed command in one line: its error lines, else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # seedkit's own message when there is one: on PostgreSQL psycopg may warn about the aborted pipeline first.
    picked = [line for line in lines if line.startswith("seedkit: error")] or \
        [line for line in lines if line.lower().startswith(("error", "failed", "db error"))]
    marker = "error returned from database: "
    # The anchor repeats the driver's message once per layer of its error chain: "DB error: <marker>X: <marker>X: X".
    picked = [f"{line.split(marker)[0]}{line.split(marker)[1].removesuffix(': ')}" if marker in line else line
              for line in picked or lines[-1:]]
    joined = " | ".join(dict.fromkeys(picked))
    return joined if len(joined) <= limit else joined[:limit - 3] + "..."


def run_tool(command: list[str], cwd: Path, timeout: float) -> tuple[float, float | None, int, str]:
    """(seconds, peak RSS in MB, exit code, output) of ``command`` run in a wrapper that reports its peak RSS."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *command], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, None, -1, f"error: timed out after {timeout:.0f} s"
    seconds = time.perf_counter() - started
    err = done.stderr.rstrip().splitlines()
    rss = int(err.pop()) / 1024 if err and err[-1].strip().isdigit() else None
    return seconds, rss, done.returncode, done.stdout + "\n" + "\n".join(err)


class Bench:
    def __init__(self, args: argparse.Namespace, backends: list[Backend], anchor: Path | None) -> None:
        self.args = args
        self.backends = backends
        self.anchor = anchor
        self.prefix = f"seedkit_bench_{os.getpid()}"
        self.work = Path(tempfile.mkdtemp(prefix="seedkit-bench-auto-"))
        self.outcomes: list[Outcome] = []

    def tools(self) -> list[str]:
        return ["seedkit", "anchor"] if self.anchor else ["seedkit"]

    def command(self, tool: str, backend: Backend, db: str, rows: int) -> list[str]:
        if tool == "seedkit":
            return [str(SEEDKIT), "--db", backend.url(db), "--quiet", "seed", "--auto", "--rows", str(rows),
                    "--seed", str(SEED)]
        assert self.anchor is not None
        return [str(self.anchor), "generate", "--db", backend.anchor_url(db), "--rows", str(rows), "--seed", str(SEED),
                "-o", "direct"]

    def run(self, tool: str, backend: Backend, schema: Schema, rows: int) -> Outcome:
        db = f"{self.prefix}_{schema.name}_{tool}"
        backend.create(db, backend.dialect.statements(schema))
        cwd = self.work / tool  # the anchor writes seedkit.lock where it runs
        cwd.mkdir(exist_ok=True)
        outcome = Outcome(tool, schema.name, backend.name, rows, rows * len(schema.tables))
        outcome.seconds, outcome.rss_mb, outcome.exit_code, output = run_tool(
            self.command(tool, backend, db, rows), cwd, self.args.timeout)
        outcome.rows, outcome.problems = verify(backend, db, schema, rows)
        if outcome.exit_code != 0:
            outcome.failure = one_line(output)
        elif outcome.problems:
            outcome.failure = "; ".join(outcome.problems[:3]) + (f"; {len(outcome.problems) - 3} more"
                                                                 if len(outcome.problems) > 3 else "")
        backend.drop(db)
        self.outcomes.append(outcome)
        rate = f"{outcome.rows_per_second:,.0f} rows/s" if outcome.rows_per_second else "-"
        rss = f"{outcome.rss_mb:.0f} MB" if outcome.rss_mb is not None else "-"
        print(f"  {backend.name:<10} {schema.name:<10} {tool:<8} {outcome.expected_rows:>10,} rows "
              f"{outcome.seconds:7.2f} s  {rate:>18}  peak RSS {rss:>6}  "
              + ("ok" if outcome.ok else f"FAILED: {outcome.failure}"), flush=True)
        return outcome

    def close(self) -> None:
        for backend in self.backends:
            backend.close()
        shutil.rmtree(self.work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- report
def speed_table(outcomes: list[Outcome], schema: str) -> list[str]:
    lines = [("| backend | rows | seedkit | seedkit rows/s (target) | peak RSS (target at 2 M rows) | anchor | "
              "anchor rows/s | rows/s seedkit / anchor |"), "|---|---|---|---|---|---|---|---|"]
    ours = [o for o in outcomes if o.schema == schema and o.tool == "seedkit"]
    for o in ours:
        anchor = next((a for a in outcomes if a.tool == "anchor" and a.schema == schema and a.backend == o.backend
                       and a.rows_per_table == o.rows_per_table), None)
        target = ROWS_PER_SECOND_TARGETS.get(o.backend)
        rate = _rate(o)
        if target and o.rows_per_second:
            rate += f" (>= {target:,}: {'met' if o.rows_per_second >= target else 'MISSED'})"
        rss = f"{o.rss_mb:.0f} MB" if o.rss_mb is not None else "-"
        if o.rss_mb is not None:
            rss += f" (<= {RSS_LIMIT_MB} MB: {'met' if o.rss_mb <= RSS_LIMIT_MB else 'MISSED'})"
        ratio = (f"{o.rows_per_second / anchor.rows_per_second:.2f}"
                 if anchor and o.rows_per_second and anchor.rows_per_second else "-")
        lines.append(f"| {o.backend} | {o.expected_rows:,} | {_verdict(o)} | {rate} | {rss} | "
                     f"{_verdict(anchor) if anchor else 'not run'} | {_rate(anchor) if anchor else '-'} | {ratio} |")
    return lines


def compat_table(outcomes: list[Outcome], runs: list[tuple[str, int]]) -> list[str]:
    lines = ["| schema | backend | rows | seedkit | seedkit rows/s | anchor | anchor rows/s |",
             "|---|---|---|---|---|---|---|"]
    failures = []
    for schema, rows in runs:
        for o in [o for o in outcomes if o.schema == schema and o.tool == "seedkit" and o.rows_per_table == rows]:
            anchor = next((a for a in outcomes if a.tool == "anchor" and a.schema == schema
                           and a.backend == o.backend and a.rows_per_table == rows), None)
            lines.append(f"| {schema} | {o.backend} | {o.expected_rows:,} | {_verdict(o)} | {_rate(o)} | "
                         f"{_verdict(anchor) if anchor else 'not run'} | {_rate(anchor) if anchor else '-'} |")
            failures += [f"- {x.schema} / {x.backend} / {x.tool}: {x.failure}" for x in (o, anchor) if x and not x.ok]
    return lines + ([""] + failures if failures else [])


def _verdict(o: Outcome) -> str:
    return f"ok, {o.seconds:.2f} s" if o.ok else "FAILED"


def _rate(o: Outcome | None) -> str:
    return f"{o.rows_per_second:,.0f}" if o and o.rows_per_second else "-"


# ---------------------------------------------------------------------------------------------- setup
def install_anchor(venv: Path) -> tuple[Path | None, str]:
    """The anchor's binary in its own venv (installed on first use), or None and why not."""
    binary = venv / "bin" / "seedkit"

    def version() -> str:
        done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    if binary.exists() and version().endswith(ANCHOR_VERSION):
        return binary, version()
    try:
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", f"seedkit=={ANCHOR_VERSION}"], check=True,
                       capture_output=True, text=True, timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        return None, one_line(detail)
    if not binary.exists() or not version().endswith(ANCHOR_VERSION):
        return None, f"{binary} is not seedkit {ANCHOR_VERSION}"
    return binary, version()


def open_backends(args: argparse.Namespace, work: Path) -> list[Backend]:
    backends: list[Backend] = []
    wanted = args.backends.split(",")
    if "sqlite" in wanted:
        backends.append(SQLiteBackend(work))
    for name, make, url in (("postgresql", PostgreSQLBackend, args.pg_url), ("mariadb", MariaDBBackend, args.mysql_url)):
        if name not in wanted:
            continue
        try:
            backends.append(make(url))
        except Exception as error:  # noqa: BLE001 - whatever the driver raises, the bench goes on without that server
            print(f"{name}: skipped, cannot connect to {url}: {one_line(str(error))}", flush=True)
    return backends


def machine(backends: list[Backend]) -> dict[str, Any]:
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    info: dict[str, Any] = {"nproc": os.cpu_count(), "memory_gib": round(memory / 2**20, 1),
                            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    # Which seedkit was measured: the commit, and whether its code differed from it (work in progress).
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "seedkit"], capture_output=True, text=True,
                           check=False).stdout
    info["seedkit_commit"] = head.strip() + (" + uncommitted changes in seedkit/" if dirty.strip() else "")
    for backend in backends:
        if isinstance(backend, PostgreSQLBackend):
            info["postgresql"] = backend.server.execute("SHOW server_version").fetchone()[0]
        elif isinstance(backend, MariaDBBackend):
            with backend.server.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                info["mariadb"] = cursor.fetchone()[0]
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the smallest size (10k rows)")
    parser.add_argument("--sizes", default=",".join(map(str, FULL_SIZES)),
                        help="rows per table of the 40-table schema, comma-separated")
    parser.add_argument("--sample-rows", type=int, default=1000, help="rows per table of the sample schemas (0: skip)")
    parser.add_argument("--backends", default="sqlite,postgresql,mariadb")
    parser.add_argument("--no-anchor", action="store_true", help="run seedkit alone")
    parser.add_argument("--anchor-venv", type=Path, default=Path(tempfile.gettempdir()) / "seedkit-anchor-venv",
                        help=f"the venv of seedkit {ANCHOR_VERSION} from PyPI, created on first use")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a run counts as failed")
    parser.add_argument("--pg-url", default=os.environ.get("SEEDKIT_BENCH_POSTGRES_URL",
                                                           "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--mysql-url", default=os.environ.get("SEEDKIT_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        sizes = sizes[:1]
    started = time.perf_counter()
    # As pip would on install: in an editable install under PYTHONDONTWRITEBYTECODE every run would compile seedkit.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "seedkit")], check=True)

    anchor, anchor_note = (None, "left out (--no-anchor)") if args.no_anchor else install_anchor(args.anchor_venv)
    print(f"anchor: {anchor_note if anchor else f'not installed, seedkit alone: {anchor_note}'}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="seedkit-bench-auto-db-"))
    backends = open_backends(args, work)
    bench = Bench(args, backends, anchor)
    generated, control = generated_schema(), orders()
    samples = [sakila(), chinook(), northwind()] if args.sample_rows else []
    try:
        info = machine(backends)
        print(f"machine: {info}", flush=True)
        for rows in sizes:
            print(f"\n## {generated.name}: {rows:,} rows per table, {rows * len(generated.tables):,} rows", flush=True)
            for backend in backends:
                for tool in bench.tools():
                    bench.run(tool, backend, generated, rows)
                for tool in bench.tools():  # as many rows in all, in 4 tables
                    bench.run(tool, backend, control, rows * len(generated.tables) // len(control.tables))
        if samples:
            print(f"\n## sample schemas: {args.sample_rows:,} rows per table", flush=True)
            for schema in samples:
                for backend in backends:
                    for tool in bench.tools():
                        bench.run(tool, backend, schema, args.sample_rows)
    finally:
        bench.close()
        shutil.rmtree(work, ignore_errors=True)

    speed = {schema.name: speed_table(bench.outcomes, schema.name) for schema in (generated, control)}
    first = [(generated.name, sizes[0]), (control.name, sizes[0] * len(generated.tables) // len(control.tables))]
    compat = compat_table(bench.outcomes, first + [(s.name, args.sample_rows) for s in samples])
    for name, lines in speed.items():
        print(f"\n### {name}: `seedkit seed --auto` against the anchor (`seedkit generate -o direct`, "
              f"{anchor_note if anchor else 'not installed'}), whole processes\n")
        print("\n".join(lines))
    print("\n### Every table filled, no constraint broken (row counts, orphan keys, CHECKs re-evaluated"
          "; PRAGMA foreign_key_check on SQLite)\n")
    print("\n".join(compat))

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"auto_seed-{stamp}.json"
    path.write_text(json.dumps({
        "machine": info, "anchor": anchor_note if anchor else None, "sizes": sizes,
        "sample_rows": args.sample_rows, "seconds": time.perf_counter() - started,
        "targets": {"rows_per_second": ROWS_PER_SECOND_TARGETS, "peak_rss_mb": RSS_LIMIT_MB},
        "outcomes": [o.to_dict() for o in bench.outcomes], "speed_table": speed, "compat_table": compat,
    }, indent=2), encoding="utf-8")
    print(f"\nraw numbers: {path.relative_to(ROOT)} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
