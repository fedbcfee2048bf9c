"""Random schemas for the ``seed --auto`` property tests: a hypothesis strategy over the shapes zero-config seeding
supports, rendered as DDL for each backend, and what a run of it must do (succeed, or refuse in one line).

A schema is drawn as data (tables of columns, keys, unique sets and CHECKs), then written out per backend. Every
foreign key to the same or a later table is nullable, so every cycle has a nullable edge; a few schemas make one such
key NOT NULL on purpose, and then the run must refuse when the NOT NULL keys alone form a cycle. A unique column that
holds fewer distinct values than the rows asked for (a boolean, an ENUM, an integer CHECKed into a small range) must be
refused too. Left out, as out of scope: tenant scoping across two parents, triggers, NOT NULL cycles that need
deferred constraints, and an identity GENERATED ALWAYS inside a key another table refers to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

NAMES = ("email", "name", "price", "quantity", "created_at", "status", "code", "title", "phone", "amount", "rating",
         "url", "country", "birth_date", "starts_at", "ends_at", "age", "zip", "slug", "note", "c", "value", "label")
MEMBERS = ("red", "green", "blue", "amber", "violet")


@dataclass(frozen=True)
class Type:
    """An abstract column type: ``key`` names it, the rest sizes it."""

    key: str
    length: int | None = None  # varchar/char
    precision: int | None = None  # numeric
    scale: int | None = None
    members: tuple[str, ...] = ()  # enum and set


# (low, high) of the integer-like types, for CHECK bounds and unique capacities.
INT_RANGES = {"smallint": (-32768, 32767), "integer": (-2**31, 2**31 - 1), "bigint": (-2**63, 2**63 - 1),
              "int_unsigned": (0, 2**32 - 1), "tinyint_unsigned": (0, 255), "year": (1901, 2155)}
COMMON_TYPES = ("smallint", "integer", "bigint", "numeric", "varchar", "char", "text", "boolean", "date", "timestamp")
BACKEND_TYPES = {
    "sqlite": (),
    "postgresql": ("enum", "uuid", "jsonb", "int_array", "text_array", "inet", "interval", "timestamptz"),
    "mysql": ("enum", "set", "year", "int_unsigned", "tinyint_unsigned", "mysql_timestamp", "mysql_json"),
}
# Types a column may be UNIQUE in (MariaDB cannot index a TEXT without a prefix length; json/arrays are not keys).
UNIQUABLE = {"smallint", "integer", "bigint", "numeric", "varchar", "char", "text", "boolean", "date", "timestamp",
             "enum", "uuid", "inet", "int_unsigned", "tinyint_unsigned", "year", "timestamptz"}
ORDERED = {"smallint", "integer", "bigint", "numeric", "date", "timestamp", "int_unsigned", "tinyint_unsigned"}
# Types a foreign key may point at when they are a parent's single unique column.
KEYABLE = {"smallint", "integer", "bigint", "varchar", "char", "int_unsigned"}


@dataclass(frozen=True)
class Column:
    name: str
    type: Type
    not_null: bool
    unique: bool = False
    check: str | None = None  # SQL with {c} for the column
    capacity: int | None = None  # distinct values the column can hold under its CHECK, when small


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    not_null: bool


@dataclass(frozen=True)
class Table:
    name: str
    primary_key: tuple[str, ...]
    pk_style: str  # "plain", "auto" or "always" (single integer keys only)
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique_sets: tuple[tuple[str, ...], ...] = ()
    checks: tuple[str, ...] = ()  # table-level, {a} and {b} already resolved to names

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Schema:
    backend: str
    tables: tuple[Table, ...] = field(default_factory=tuple)

    def refusal(self, rows: int) -> str | None:
        """Why a run with ``rows`` per table must be refused, or None when it must succeed."""
        for table in self.tables:
            for column in table.columns:
                if column.unique and column.capacity is not None and rows > column.capacity:
                    return f"unique {table.name}.{column.name} holds {column.capacity} values"
        # A NOT NULL key whose check can wait for the commit, to a parent key seedkit numbers 1..N, can close a
        # cycle: SQLite defers any key (these schemas declare none DEFERRABLE on the servers).
        by_name = {t.name: t for t in self.tables}

        def waits(fk: ForeignKey) -> bool:
            parent = by_name[fk.parent]
            return self.backend == "sqlite" and parent.primary_key == ("id",) and parent.pk_style == "plain" \
                and fk.parent_columns == ("id",)

        edges = {t.name: {fk.parent for fk in t.foreign_keys if fk.not_null and fk.parent != t.name and not waits(fk)}
                 for t in self.tables}
        if _has_cycle(edges):
            return "a cycle of NOT NULL foreign keys, none of which can wait for the commit"
        return None


def _has_cycle(edges: dict[str, set[str]]) -> bool:
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1 or (nxt not in state and visit(nxt)):
                return True
        state[node] = 2
        return False

    return any(node not in state and visit(node) for node in edges)


# ---------------------------------------------------------------------------------------------- drawing
@st.composite
def column_types(draw: st.DrawFn, backend: str) -> Type:
    key = draw(st.sampled_from(COMMON_TYPES + BACKEND_TYPES[backend]))
    if key == "numeric":
        precision = draw(st.integers(3, 14))
        return Type(key, precision=precision, scale=draw(st.integers(0, min(4, precision - 2))))
    if key in ("varchar", "char"):
        return Type(key, length=draw(st.integers(3, 60)))
    if key in ("enum", "set"):
        return Type(key, members=MEMBERS[:draw(st.integers(2, 5))])
    return Type(key)


def _bounds(draw: st.DrawFn, type_: Type) -> tuple[int, int]:
    """A range of integers the type holds, near the values people use."""
    if type_.key == "numeric":
        assert type_.precision is not None and type_.scale is not None
        top = min(10 ** (type_.precision - type_.scale) - 1, 100_000)
        low, high = -top, top
    else:
        low, high = INT_RANGES[type_.key]
        low, high = max(low, -100_000), min(high, 100_000)
    a, b = sorted(draw(st.lists(st.integers(low, high), min_size=2, max_size=2)))
    return a, b


@st.composite
def checks(draw: st.DrawFn, type_: Type, unique: bool) -> tuple[str | None, int | None]:
    """A satisfiable CHECK for a column of ``type_`` (SQL with {c}), and the values it leaves when that is few."""
    key = type_.key
    if key in INT_RANGES or key == "numeric":
        lo, hi = _bounds(draw, type_)
        integral = key != "numeric" or type_.scale == 0
        shape = draw(st.sampled_from(["between", "in", "gt", "ge", "lt", "le", "ne"]))
        if shape == "between":
            return f"{{c}} BETWEEN {lo} AND {hi}", hi - lo + 1 if integral else None
        if shape == "in":
            values = sorted(set(draw(st.lists(st.integers(lo, hi), min_size=1, max_size=5))))
            return f"{{c}} IN ({', '.join(map(str, values))})", len(values)
        op = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "ne": "<>"}[shape]
        # A strict bound at the type's own edge would leave nothing; the drawn bounds stay inside the type.
        bound = lo if shape in ("gt", "ge", "ne") else hi
        if unique and shape in ("gt", "ge", "lt", "le") and key in INT_RANGES:
            low, high = INT_RANGES[key]
            room = (high - bound) if shape == "gt" else (high - bound + 1) if shape == "ge" \
                else (bound - low) if shape == "lt" else (bound - low + 1)
            return f"{{c}} {op} {bound}", room
        return f"{{c}} {op} {bound}", None
    if key in ("varchar", "char", "text"):
        most = type_.length or 80
        shape = draw(st.sampled_from(["min", "max", "between", "in"]))
        if shape == "in" and not unique:
            words = sorted(set(draw(st.lists(st.sampled_from([w for w in MEMBERS if len(w) <= most]) if most >= 5
                                              else st.just("abc"[:most]), min_size=1, max_size=4))))
            return "{c} IN (" + ", ".join(f"'{w}'" for w in words) + ")", len(words)
        low = draw(st.integers(1, min(most, 8)))
        high = draw(st.integers(max(low, 3), most))
        if shape == "min":
            return f"length({{c}}) >= {low}", None
        if shape == "max":
            return f"length({{c}}) <= {high}", None
        return f"length({{c}}) BETWEEN {low} AND {high}", None
    if key == "date":
        day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)))
        return draw(st.sampled_from([f"{{c}} >= '{day}'", f"{{c}} <= '{day}'", f"{{c}} > '{day}'"])), None
    if key in ("timestamp", "mysql_timestamp"):
        moment = draw(st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2030, 1, 1))).replace(microsecond=0)
        return draw(st.sampled_from([f"{{c}} >= '{moment}'", f"{{c}} < '{moment}'"])), None
    return None, None


@st.composite
def plain_columns(draw: st.DrawFn, backend: str, index: int) -> Column:
    type_ = draw(column_types(backend))
    unique = type_.key in UNIQUABLE and not (backend == "mysql" and type_.key == "text") and draw(st.booleans()) \
        and draw(st.booleans())
    if unique and type_.key in ("boolean", "enum"):  # mostly refused: keep them to a few examples
        unique = draw(st.integers(0, 3)) == 0
    check, capacity = draw(checks(type_, unique)) if draw(st.booleans()) else (None, None)
    if type_.key == "boolean":
        capacity = 2  # MariaDB's BOOLEAN is a TINYINT(1), read as a boolean too
    elif type_.key == "enum":
        capacity = len(type_.members)
    elif type_.key in ("tinyint_unsigned", "year") and check is None:
        low, high = INT_RANGES[type_.key]
        capacity = high - low + 1
    name = f"{draw(st.sampled_from(NAMES))}_{index}"
    return Column(name, type_, draw(st.booleans()), unique, check, capacity)


def _key_type(backend: str, draw: st.DrawFn) -> Type:
    return Type(draw(st.sampled_from(("integer", "bigint") if backend != "sqlite" else ("integer",))))


@st.composite
def tables(draw: st.DrawFn, backend: str, index: int) -> Table:
    name = f"t{index}"
    columns = [draw(plain_columns(backend, n)) for n in range(draw(st.integers(1, 6)))]
    if draw(st.integers(0, 3)) == 0:  # a composite key
        key_columns = [Column("k1", _key_type(backend, draw), True), Column("k2", Type("smallint"), True)]
        primary_key: tuple[str, ...] = ("k1", "k2")
        style = "plain"
    else:
        key_columns = [Column("id", _key_type(backend, draw), True)]
        primary_key = ("id",)
        styles = ["plain", "auto"] + (["always"] if backend == "postgresql" else [])
        style = draw(st.sampled_from(styles))
    wide = [c.name for c in columns if not c.unique and c.check is None and c.type.key in
            ("integer", "bigint", "varchar", "date", "timestamp", "uuid")
            and not (c.type.key == "varchar" and (c.type.length or 0) < 6)]
    unique_sets = ((tuple(wide[:2]),) if len(wide) >= 2 and draw(st.booleans()) else ())
    ordered = [c for c in columns if c.type.key in ORDERED and not c.unique and c.check is None
               and c.name not in {n for s in unique_sets for n in s}]
    table_checks: tuple[str, ...] = ()
    pairs = [(a, b) for a in ordered for b in ordered if a.name < b.name and a.type == b.type]
    if pairs and draw(st.booleans()):
        a, b = draw(st.sampled_from(pairs))
        table_checks = (f"{{{b.name}}} {draw(st.sampled_from(['>', '>=']))} {{{a.name}}}",)
    return Table(name, primary_key, style, tuple(key_columns + columns), (), unique_sets, table_checks)


@st.composite
def schemas(draw: st.DrawFn, backend: str) -> Schema:
    """2 to 8 tables with foreign keys between them (see the module's docstring for the rules)."""
    count = draw(st.integers(2, 8))
    drawn = [draw(tables(backend, i)) for i in range(count)]
    strict = draw(st.integers(0, 4)) == 0  # one NOT NULL key backwards: a cycle the run must refuse, or not a cycle
    for i, table in enumerate(drawn):
        if table.primary_key == ("k1", "k2") and i > 0 and draw(st.booleans()):
            # The first key column is also a key to an earlier table (an order line's order).
            j = draw(st.integers(0, i - 1))
            if drawn[j].primary_key == ("id",):
                k1 = replace(table.column("k1"), type=drawn[j].column("id").type)
                drawn[i] = replace(table, columns=tuple(k1 if c.name == "k1" else c for c in table.columns),
                                   foreign_keys=(ForeignKey(("k1",), drawn[j].name, ("id",), True),))
    result: list[Table] = []
    for i, table in enumerate(drawn):
        extra: list[Column] = []
        keys: list[ForeignKey] = list(table.foreign_keys)
        unique_sets = list(table.unique_sets)
        for n in range(draw(st.integers(0, 3))):
            j = draw(st.integers(0, count - 1))
            parent = drawn[j]
            targets = [parent.primary_key] + [(c.name,) for c in parent.columns if c.unique
                                              and c.type.key in KEYABLE and c.name not in parent.primary_key]
            target = draw(st.sampled_from(targets))
            backwards = j >= i
            not_null = False if j == i else draw(st.booleans()) if not backwards else (strict and not extra)
            names = tuple(f"f{n}_{column}" for column in target)
            for own, theirs in zip(names, target):
                extra.append(Column(own, replace(parent.column(theirs).type), not_null))
            keys.append(ForeignKey(names, parent.name, target, not_null))
            if len(names) == 1 and j != i and draw(st.integers(0, 4)) == 0:
                unique_sets.append(names)  # one to one
        result.append(replace(table, columns=table.columns + tuple(extra), foreign_keys=tuple(keys),
                              unique_sets=tuple(unique_sets)))
    return Schema(backend, tuple(result))


# ---------------------------------------------------------------------------------------------- rendering
def _type_sql(backend: str, type_: Type, enum_name: str) -> str:
    key = type_.key
    if key == "numeric":
        return f"{'DECIMAL' if backend == 'mysql' else 'NUMERIC'}({type_.precision},{type_.scale})"
    if key in ("varchar", "char"):
        return f"{key.upper()}({type_.length})"
    if key == "timestamp":
        return "timestamp" if backend == "postgresql" else "DATETIME"
    if key == "enum":
        return enum_name if backend == "postgresql" else "ENUM(" + ", ".join(f"'{m}'" for m in type_.members) + ")"
    if key == "set":
        return "SET(" + ", ".join(f"'{m}'" for m in type_.members) + ")"
    return {"int_array": "integer[]", "text_array": "text[]", "int_unsigned": "INT UNSIGNED",
            "tinyint_unsigned": "TINYINT UNSIGNED", "mysql_timestamp": "TIMESTAMP NULL",
            "mysql_json": "JSON"}.get(key, key.upper())


def _key_sql(backend: str, table: Table, column: Column) -> str:
    sql_type = _type_sql(backend, column.type, "")
    if table.primary_key != ("id",) or table.pk_style == "plain":
        return f"{column.name} {sql_type} NOT NULL" + (" PRIMARY KEY" if table.primary_key == ("id",) else "")
    if backend == "sqlite":
        return "id INTEGER PRIMARY KEY AUTOINCREMENT"
    if backend == "mysql":
        return f"id {sql_type} AUTO_INCREMENT PRIMARY KEY"
    if table.pk_style == "always":
        return f"id {sql_type} GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    return f"id {'bigserial' if column.type.key == 'bigint' else 'serial'} PRIMARY KEY"


def _column_sql(backend: str, table: Table, column: Column) -> str:
    if column.name in table.primary_key:
        return _key_sql(backend, table, column)
    sql = f"{column.name} {_type_sql(backend, column.type, f'e_{table.name}_{column.name}')}"
    if column.type.key == "mysql_timestamp" and column.not_null:
        sql = sql.removesuffix(" NULL")
    sql += " NOT NULL" if column.not_null else ""
    sql += " UNIQUE" if column.unique else ""
    return sql + (f" CHECK ({column.check.format(c=column.name)})" if column.check else "")


def render(schema: Schema) -> list[str]:
    """The schema as DDL statements for its backend: enum types, tables, then (on servers) the foreign keys."""
    backend = schema.backend
    statements = [f"CREATE TYPE e_{t.name}_{c.name} AS ENUM (" + ", ".join(f"'{m}'" for m in c.type.members) + ")"
                  for t in schema.tables for c in t.columns if backend == "postgresql" and c.type.key == "enum"]
    for table in schema.tables:
        parts = [_column_sql(backend, table, column) for column in table.columns]
        if len(table.primary_key) > 1:
            parts.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
        parts += [f"UNIQUE ({', '.join(columns)})" for columns in table.unique_sets]
        names = {c.name: c.name for c in table.columns}
        parts += [f"CHECK ({check.format(**names)})" for check in table.checks]
        if backend == "sqlite":  # SQLite cannot add a foreign key to an existing table
            parts += [_reference(fk) for fk in table.foreign_keys]
        statements.append(f"CREATE TABLE {table.name} ({', '.join(parts)})")
    if backend != "sqlite":
        statements += [f"ALTER TABLE {table.name} ADD {_reference(fk)}"
                       for table in schema.tables for fk in table.foreign_keys]
    return statements


def _reference(fk: ForeignKey) -> str:
    return f"FOREIGN KEY ({', '.join(fk.columns)}) REFERENCES {fk.parent} ({', '.join(fk.parent_columns)})"
