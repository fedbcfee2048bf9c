"""What zero-config seeding asks of a database beyond reflection: the constraints SQLAlchemy does not report, how to
check them as the application would, and the fastest way to write and update rows with every constraint on.

:class:`~seedkit.dialects.base.BaseDialect` inherits these generic answers; each dialect overrides what its database
does better.
"""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from seedkit.model.tables import TableRef


class SeedingHooks:
    """The generic answers: nothing the reflection misses, nothing deferred, plain executemany."""

    def expression_unique_indexes(self, conn: sa.Connection, ref: TableRef) -> list[str]:
        """The SQL of each unique index on an expression (``lower(email)``) that SQLAlchemy's reflection skips;
        the dialects whose reflection reports them return nothing here."""
        return []

    def check_constraints(self, conn: sa.Connection, ref: TableRef) -> list[tuple[str | None, str]] | None:
        """(name, SQL) of every CHECK constraint on the table, where SQLAlchemy's reflection misses some; None to
        use the reflection's."""
        return None

    def enforce_constraints(self, conn: sa.Connection) -> None:
        """Make ``conn`` (before its transaction begins) check every constraint the schema declares, as the
        application's connections would. Servers always do; SQLite checks foreign keys only when asked."""

    # Whether every foreign key's check can wait for the commit (SQLite's defer_foreign_keys), not only the keys
    # declared DEFERRABLE.
    defers_every_key = False

    def defer_constraints(self, conn: sa.Connection) -> None:
        """In ``conn``'s transaction, check the deferrable foreign keys at commit rather than row by row. Nothing is
        turned off: a key still wrong at commit fails it. The generic dialect defers nothing."""

    def insert_rows(self, conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, object]]) -> None:
        """Insert ``rows`` (dicts with the same keys, Python values) into ``table`` the fastest way this database
        takes them with every constraint and trigger on. Generic: one executemany."""
        if rows:
            conn.execute(table.insert(), list(rows))

    def advance_identities(self, conn: sa.Connection, columns: Sequence[tuple[TableRef, str]]) -> None:
        """After rows were written with explicit values in each (table, integer key column), make the database's
        own counter for that column continue after them, so the application's next insert does not collide.
        SQLite and MariaDB/MySQL move their counters on explicit values themselves; the generic dialect knows none."""

    def update_rows(self, conn: sa.Connection, table: sa.Table, keys: Sequence[str], columns: Sequence[str],
                    rows: Sequence[tuple[object, ...]]) -> None:
        """Set ``columns`` in the rows of ``table`` whose ``keys`` are given; each of ``rows`` holds the key values,
        then the new values. Generic: one executemany of an UPDATE per row."""
        statement = table.update().where(*[table.c[key] == sa.bindparam(f"k_{i}") for i, key in enumerate(keys)])
        statement = statement.values({column: sa.bindparam(f"v_{i}") for i, column in enumerate(columns)})
        conn.execute(statement, [{**{f"k_{i}": v for i, v in enumerate(row[:len(keys)])},
                                  **{f"v_{i}": v for i, v in enumerate(row[len(keys):])}} for row in rows])
