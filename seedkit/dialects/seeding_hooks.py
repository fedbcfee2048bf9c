"""What zero-config seeding asks of a database beyond reflection: the constraints SQLAlchemy does not report, how to
check them as the application would, and the fastest way to write and update rows with every constraint on.

:class:`~seedkit.dialects.base.BaseDialect` inherits these generic answers; each dialect overrides what its database
does better.
"""

from __future__ import annotations

import operator
from typing import Sequence

import sqlalchemy as sa

from seedkit.model.tables import TableRef


def bound_rows(conn: sa.Connection, table: sa.Table, columns: Sequence[str],
               rows: Sequence[dict[str, object]]) -> list[tuple[object, ...]]:
    """The values of ``columns`` in each of ``rows`` (which all hold them), as tuples, each value through its column
    type's bind processor (a date becomes SQLite's text, a dict JSON), as SQLAlchemy would bind it: a column at a
    time, which costs a fraction of a value at a time."""
    take = operator.itemgetter(*columns)
    values = [(take(row),) for row in rows] if len(columns) == 1 else list(map(take, rows))
    processors = [(index, process) for index, name in enumerate(columns)
                  if (process := table.c[name].type._cached_bind_processor(conn.dialect)) is not None]
    if not processors or not values:
        return values
    by_column: list[Sequence[object]] = list(zip(*values))
    for index, process in processors:
        by_column[index] = [None if value is None else process(value) for value in by_column[index]]
    return list(zip(*by_column))


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
        takes them with every constraint and trigger on. Generic: one executemany. With positional parameters
        (SQLite's), the driver's own: each value goes through its column type's bind processor first, as
        SQLAlchemy's executemany would do, without its work per row (which cost as much as making the rows)."""
        if not rows:
            return
        names = list(rows[0])
        compiled = table.insert().compile(dialect=conn.dialect, column_keys=names)
        if not compiled.positional:  # named parameters may be escaped in the SQL: SQLAlchemy's own executemany
            conn.execute(table.insert(), list(rows))
            return
        columns = [compiled.binds[bind].key for bind in compiled.positiontup or ()]
        conn.exec_driver_sql(compiled.string, bound_rows(conn, table, columns, rows))

    def advance_identities(self, conn: sa.Connection, columns: Sequence[tuple[TableRef, str]]) -> None:
        """After rows were written with explicit values in each (table, integer key column), make the database's
        own counter for that column continue after them, so the application's next insert does not collide.
        SQLite and MariaDB/MySQL move their counters on explicit values themselves; the generic dialect knows none."""

    def update_rows(self, conn: sa.Connection, table: sa.Table, keys: Sequence[str], columns: Sequence[str],
                    rows: Sequence[tuple[object, ...]]) -> None:
        """Set ``columns`` in the rows of ``table`` whose ``keys`` are given; each of ``rows`` holds the key values,
        then the new values. Generic: one executemany of an UPDATE per row, positional ones (SQLite's) through the
        driver's own, as :meth:`insert_rows` does."""
        if not rows:
            return
        statement = table.update().where(*[table.c[key] == sa.bindparam(f"k_{i}") for i, key in enumerate(keys)])
        statement = statement.values({column: sa.bindparam(f"v_{i}") for i, column in enumerate(columns)})
        names = [*(f"k_{i}" for i in range(len(keys))), *(f"v_{i}" for i in range(len(columns)))]
        compiled = statement.compile(dialect=conn.dialect)
        if not compiled.positional:
            conn.execute(statement, [dict(zip(names, row)) for row in rows])
            return
        binds = [compiled.binds[name] for name in compiled.positiontup or ()]
        order = [names.index(bind.key) for bind in binds]
        processors = [bind.type._cached_bind_processor(conn.dialect) for bind in binds]
        conn.exec_driver_sql(compiled.string, [
            tuple([row[index] if process is None or row[index] is None else process(row[index])
                   for index, process in zip(order, processors)])
            for row in rows])
