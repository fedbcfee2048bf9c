"""Strategy-blind reset: whatever a migration did to the target's schema, ``auto`` leaves exactly what ``load`` leaves.

Hypothesis draws a short migration (schema changes that keep every column's data shape: indexes added or dropped,
triggers added or disabled, defaults, CHECK constraints the rows satisfy, AUTOINCREMENT toggled by a table rebuild on
SQLite, comments and grants on PostgreSQL) and applies it to two targets that each hold a ready copy from an earlier
restore. One is reset with ``auto``, the other with ``load``; rows, sequences and every schema object must be equal.
With no migration at all ``auto`` must clone; after a migration, the copy the load kept must make the next reset a
clone that keeps the migration. MariaDB never clones: one example shows that ``auto`` is a load there.

A clone that reverted any drawn change (a catalog blind to it, a decision that ignored the catalog) fails here. The
snapshot is taken once per test and each backend runs a handful of examples, a few seconds in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

import seedkit
from backends import Backend, run_statements
from dbstate import assert_same_state, database_state
from helpers import config_for, pg_comments_and_grants
from schemas import load_case_schema
from seedkit.config import Config

Change = tuple[Any, ...]


def _settings(examples: int) -> Callable[[Any], Any]:
    # Every example creates databases and restores four times: few examples, no deadline, and the fixtures (one
    # snapshot per test, databases dropped at its end) are meant to outlive the examples.
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# ---------------------------------------------------------------------- SQLite: a schema kept as a model
@dataclass(frozen=True)
class SqliteTable:
    """A table that migrations rebuild: its columns' base declarations plus what the migration changed."""

    name: str
    columns: tuple[tuple[str, str], ...]
    autoincrement: bool = False
    defaults: tuple[tuple[str, str], ...] = ()
    checks: tuple[str, ...] = ()

    def create(self, name: str | None = None) -> str:
        defaults = dict(self.defaults)
        parts = []
        for column, declaration in self.columns:
            if column == "id":
                declaration += " AUTOINCREMENT" if self.autoincrement else ""
            if column in defaults:
                declaration += f" DEFAULT {defaults[column]}"
            parts.append(f"{column} {declaration}")
        parts += [f"CHECK ({check})" for check in self.checks]
        return f"CREATE TABLE {name or self.name} ({', '.join(parts)})"


SQLITE_TABLES = {
    "authors": SqliteTable("authors", (("id", "INTEGER PRIMARY KEY"), ("name", "TEXT NOT NULL"),
                                       ("rating", "INTEGER"))),
    "books": SqliteTable("books", (("id", "INTEGER PRIMARY KEY"),
                                   ("author_id", "INTEGER NOT NULL REFERENCES authors (id)"),
                                   ("title", "TEXT NOT NULL"), ("pages", "INTEGER")), autoincrement=True),
}
SQLITE_INDEXES = {"books_by_author": "CREATE INDEX books_by_author ON books (author_id)"}
SQLITE_TRIGGERS = {"books_log": ("books", "CREATE TRIGGER books_log AFTER INSERT ON books BEGIN "
                                          "INSERT INTO events (what) VALUES ('book ' || NEW.id); END")}
SQLITE_SCHEMA = [
    SQLITE_TABLES["authors"].create(), SQLITE_TABLES["books"].create(),
    "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL)",
    *SQLITE_INDEXES.values(), SQLITE_TRIGGERS["books_log"][1],
    "INSERT INTO authors VALUES (1, 'Ursula', 5), (2, 'Italo', NULL), (3, 'Wisława', 4), (4, 'Jorge', 3)",
    "INSERT INTO books VALUES (1, 1, 'The Dispossessed', 387), (2, 2, 'Invisible Cities', 165), "
    "(3, 3, 'View with a Grain of Sand', NULL), (4, 4, 'Ficciones', 174), (5, 1, 'The Lathe of Heaven', 184)",
    "UPDATE sqlite_sequence SET seq = 40 WHERE name = 'books'",  # ahead of max(id): only a restore keeps it
]
SQLITE_COLUMNS = [("authors", "name"), ("authors", "rating"), ("books", "title"), ("books", "pages"),
                  ("books", "author_id")]
SQLITE_DEFAULTS = [("authors", "rating", "3"), ("books", "pages", "100"), ("books", "title", "'untitled'")]
SQLITE_CHECKS = [("authors", "rating IS NULL OR rating BETWEEN 0 AND 5"), ("authors", "length(name) > 0"),
                 ("books", "pages IS NULL OR pages > 0"), ("books", "id > 0")]
# What an application does between resets: rows changed, a sequence moved.
SQLITE_WORK = ["DELETE FROM books WHERE id = 5", "UPDATE authors SET name = 'changed' WHERE id = 2",
               "INSERT INTO events (what) VALUES ('by hand')"]

SQLITE_CHANGES = st.lists(st.one_of(
    st.tuples(st.just("add index"), st.sampled_from(SQLITE_COLUMNS)),
    st.just(("drop index", "books_by_author")),
    st.tuples(st.just("add trigger"), st.sampled_from(sorted(SQLITE_TABLES))),
    st.tuples(st.just("set default"), st.sampled_from(SQLITE_DEFAULTS)),
    st.tuples(st.just("add check"), st.sampled_from(SQLITE_CHECKS)),
    st.tuples(st.just("toggle autoincrement"), st.sampled_from(sorted(SQLITE_TABLES))),
), max_size=4)


@dataclass
class SqliteMigration:
    """Turns drawn changes into SQL, rebuilding a table (as migration tools do on SQLite) where ALTER cannot."""

    tables: dict[str, SqliteTable] = field(default_factory=lambda: dict(SQLITE_TABLES))
    indexes: dict[str, str] = field(default_factory=lambda: dict(SQLITE_INDEXES))
    triggers: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(SQLITE_TRIGGERS))

    def statements(self, changes: list[Change]) -> list[str]:
        sql: list[str] = []
        for number, (kind, what) in enumerate(changes):
            if kind == "add index":
                table, column = what
                self.indexes[f"ix_{number}"] = f"CREATE INDEX ix_{number} ON {table} ({column})"
                sql.append(self.indexes[f"ix_{number}"])
            elif kind == "drop index":
                if self.indexes.pop(what, None):
                    sql.append(f"DROP INDEX {what}")
            elif kind == "add trigger":
                self.triggers[f"tg_{number}"] = (what, f"CREATE TRIGGER tg_{number} AFTER UPDATE ON {what} BEGIN "
                                                       f"INSERT INTO events (what) VALUES ('{what} updated'); END")
                sql.append(self.triggers[f"tg_{number}"][1])
            elif kind == "set default":
                table, column, value = what
                defaults = dict(self.tables[table].defaults) | {column: value}
                sql += self._rebuild(replace(self.tables[table], defaults=tuple(sorted(defaults.items()))))
            elif kind == "add check":
                table, check = what
                sql += self._rebuild(replace(self.tables[table], checks=(*self.tables[table].checks, check)))
            else:
                sql += self._rebuild(replace(self.tables[what], autoincrement=not self.tables[what].autoincrement))
        return sql

    def _rebuild(self, table: SqliteTable) -> list[str]:
        self.tables[table.name] = table
        name = table.name
        return [table.create(f"{name}_new"), f"INSERT INTO {name}_new SELECT * FROM {name}", f"DROP TABLE {name}",
                f"ALTER TABLE {name}_new RENAME TO {name}",
                *(sql for sql in self.indexes.values() if f" ON {name} (" in sql),
                *(sql for on, sql in self.triggers.values() if on == name)]


# ---------------------------------------------------------------------- PostgreSQL
PG_SCHEMA = [
    "CREATE TABLE authors (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL, "
    "rating integer)",
    "CREATE TABLE books (id serial PRIMARY KEY, author_id integer NOT NULL REFERENCES authors (id), "
    "title text NOT NULL, pages integer)",
    "CREATE TABLE events (id bigserial PRIMARY KEY, what text NOT NULL)",
    "CREATE INDEX books_by_author ON books (author_id)",
    "CREATE FUNCTION log_event() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN INSERT INTO events (what) VALUES (TG_TABLE_NAME || ' ' || TG_OP); RETURN NEW; END$$",
    "CREATE TRIGGER books_log AFTER INSERT ON books FOR EACH ROW EXECUTE FUNCTION log_event()",
    "INSERT INTO authors (name, rating) VALUES ('Ursula', 5), ('Italo', NULL), ('Wisława', 4), ('Jorge', 3)",
    "INSERT INTO books (author_id, title, pages) VALUES (1, 'The Dispossessed', 387), (2, 'Invisible Cities', 165), "
    "(3, 'View with a Grain of Sand', NULL), (4, 'Ficciones', 174), (1, 'The Lathe of Heaven', 184)",
    "SELECT setval('books_id_seq', 40)",
]
PG_COLUMNS = [("authors", "name"), ("authors", "rating"), ("books", "title"), ("books", "pages"),
              ("books", "author_id")]
PG_DEFAULTS = [("authors", "rating", "3"), ("books", "pages", "100"), ("books", "title", "'untitled'")]
PG_CHECKS = [("authors", "rating IS NULL OR rating BETWEEN 0 AND 5"), ("authors", "length(name) > 0"),
             ("books", "pages IS NULL OR pages > 0"), ("events", "id > 0")]
PG_COMMENTS = [("TABLE", "books"), ("COLUMN", "books.pages"), ("COLUMN", "authors.rating"), ("INDEX", "books_pkey")]
PG_GRANTS = [("SELECT", "books"), ("INSERT", "authors"), ("UPDATE (title)", "books"), ("SELECT", "events")]
PG_WORK = ["DELETE FROM books WHERE id = 5", "UPDATE authors SET name = 'changed' WHERE id = 2",
           "INSERT INTO books (author_id, title) VALUES (3, 'Here')", "SELECT setval('events_id_seq', 99)"]

PG_CHANGES = st.lists(st.one_of(
    st.tuples(st.just("add index"), st.sampled_from(PG_COLUMNS)),
    st.just(("drop index", "books_by_author")),
    st.tuples(st.just("add trigger"), st.sampled_from(["authors", "books"])),
    st.just(("disable trigger", "books_log")),
    st.tuples(st.just("set default"), st.sampled_from(PG_DEFAULTS)),
    st.tuples(st.just("add check"), st.sampled_from(PG_CHECKS)),
    st.tuples(st.just("comment"), st.sampled_from(PG_COMMENTS)),
    st.tuples(st.just("grant"), st.sampled_from(PG_GRANTS)),
), max_size=4)


def pg_statements(changes: list[Change]) -> list[str]:
    sql = []
    for number, (kind, what) in enumerate(changes):
        if kind == "add index":
            sql.append(f"CREATE INDEX ix_{number} ON {what[0]} ({what[1]})")
        elif kind == "drop index":
            sql.append(f"DROP INDEX IF EXISTS {what}")
        elif kind == "add trigger":
            sql.append(f"CREATE TRIGGER tg_{number} AFTER UPDATE ON {what} FOR EACH ROW EXECUTE FUNCTION log_event()")
        elif kind == "disable trigger":
            sql.append(f"ALTER TABLE books DISABLE TRIGGER {what}")
        elif kind == "set default":
            sql.append(f"ALTER TABLE {what[0]} ALTER COLUMN {what[1]} SET DEFAULT {what[2]}")
        elif kind == "add check":
            sql.append(f"ALTER TABLE {what[0]} ADD CONSTRAINT ck_{number} CHECK ({what[1]})")
        elif kind == "comment":
            sql.append(f"COMMENT ON {what[0]} {what[1]} IS 'migration {number}'")
        else:
            sql.append(f"GRANT {what[0]} ON {what[1]} TO PUBLIC")
    return sql


# ---------------------------------------------------------------------- the property
@dataclass(frozen=True)
class Reset:
    """One backend's part in the property: how to make targets, and what the comparison covers."""

    config: Config
    new_target: Callable[[], str]
    work: list[str]
    extra_state: Callable[[str], Any] = lambda url: None


def _snapshot(backend: Backend, database_factory: Any, snapshot_dirs: Any, schema: list[str]) -> tuple[Config, Any]:
    source = database_factory(backend)
    run_statements(source, *schema)
    config = config_for(snapshot_dirs)
    seedkit.snapshot(source, "base", config=config)
    return config, database_state(source).tables


@pytest.fixture
def sqlite_base(sqlite_backend, database_factory, snapshot_dirs) -> tuple[Config, Any]:
    """Snapshot ``base`` of the SQLite schema above, and its rows: taken once for all of a test's examples."""
    return _snapshot(sqlite_backend, database_factory, snapshot_dirs, SQLITE_SCHEMA)


@pytest.fixture
def postgresql_base(postgresql_backend, database_factory, snapshot_dirs) -> tuple[Config, Any]:
    return _snapshot(postgresql_backend, database_factory, snapshot_dirs, PG_SCHEMA)


def check_auto_equals_load(reset: Reset, source_rows: Any, migration: list[str], changed: bool) -> None:
    """Two targets restored (each keeping a ready copy), migrated and used alike; reset with ``auto`` and ``load``,
    they must be equal, and equal again after the next ``auto`` reset, which must clone. ``changed``: whether the
    migration did anything; when it did not, the first ``auto`` reset must clone too."""
    automatic, loaded = reset.new_target(), reset.new_target()
    for url in (automatic, loaded):
        seedkit.restore(url, "base", config=reset.config)
        run_statements(url, *migration)
        run_statements(url, *reset.work)
    first = seedkit.restore(automatic, "base", config=reset.config)
    assert seedkit.restore(loaded, "base", config=reset.config, strategy="load").strategy == "load"
    if not changed:
        assert first.strategy == "clone", first.reason
    expected = database_state(loaded)
    assert expected.tables == source_rows
    assert_same_state(expected, database_state(automatic))
    assert reset.extra_state(automatic) == reset.extra_state(loaded)
    # Whatever the first reset did, it left a ready copy for this catalog: the next one clones, migration kept.
    run_statements(automatic, *reset.work)
    second = seedkit.restore(automatic, "base", config=reset.config)
    assert second.strategy == "clone", second.reason
    assert_same_state(expected, database_state(automatic))
    assert reset.extra_state(automatic) == reset.extra_state(loaded)


@_settings(examples=8)
@given(changes=SQLITE_CHANGES)
@example(changes=[])
@example(changes=[("toggle autoincrement", "books"), ("toggle autoincrement", "authors"),
                  ("add check", ("books", "pages IS NULL OR pages > 0"))])
def test_sqlite_auto_reset_equals_load_after_any_migration(sqlite_backend, database_factory, sqlite_base,
                                                           changes: list[Change]) -> None:
    config, rows = sqlite_base
    reset = Reset(config, lambda: database_factory(sqlite_backend), SQLITE_WORK)
    check_auto_equals_load(reset, rows, SqliteMigration().statements(changes), bool(changes))


# Each example costs about six CREATE DATABASE (targets, ready copies, a clone): two drawn migrations and the empty
# one. Each kind of change alone is pinned by test_a_migrated_target_is_loaded_and_keeps_its_migration in
# test_postgresql_clone.py.
@_settings(examples=2)
@given(changes=PG_CHANGES)
@example(changes=[])
def test_postgresql_auto_reset_equals_load_after_any_migration(postgresql_backend, database_factory, postgresql_base,
                                                               changes: list[Change]) -> None:
    config, rows = postgresql_base
    reset = Reset(config, lambda: database_factory(postgresql_backend), PG_WORK, pg_comments_and_grants)
    check_auto_equals_load(reset, rows, pg_statements(changes), bool(changes))


def test_mariadb_auto_reset_is_a_load_equal_to_load_after_a_migration(mysql_backend, database_factory,
                                                                       snapshot_dirs) -> None:
    source = database_factory(mysql_backend)
    load_case_schema(source, "mysql")
    config = config_for(snapshot_dirs)
    seedkit.snapshot(source, "cases", config=config)
    expected_rows = database_state(source).tables
    migration = ["CREATE INDEX products_price ON products (price)",
                 "ALTER TABLE categories ALTER COLUMN name SET DEFAULT 'unnamed'",
                 "CREATE TRIGGER categories_touch BEFORE UPDATE ON categories FOR EACH ROW SET NEW.name = NEW.name"]
    automatic, loaded = database_factory(mysql_backend), database_factory(mysql_backend)
    for url in (automatic, loaded):
        seedkit.restore(url, "cases", config=config)
        run_statements(url, *migration, "DELETE FROM line_notes", "UPDATE categories SET name = 'x' WHERE id = 5")
    report = seedkit.restore(automatic, "cases", config=config)
    assert report.strategy == "load" and "cannot be cloned" in report.reason
    seedkit.restore(loaded, "cases", config=config, strategy="load")
    expected = database_state(loaded)
    assert expected.tables == expected_rows
    assert "categories.categories_touch" in expected.triggers and "index products.products_price" in \
        expected.schema_objects
    assert_same_state(expected, database_state(automatic))
