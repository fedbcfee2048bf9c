"""A database's tables as zero-config seeding sees them: what to fill, what to leave to the database, and the rules.

Read with SQLAlchemy's inspector over the tables a snapshot would take (the dialect lists them: every schema you own
on PostgreSQL), so the same schema reads the same on every backend. A column the database computes (a generated
column, an identity or auto-increment key) is left to it; every other column gets a :class:`ColumnSpec`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine.interfaces import ReflectedColumn

from seedkit.model.tables import TableRef
from seedkit.seeding.auto.spec import ColumnSpec, TypeKind

if TYPE_CHECKING:
    from seedkit.dialects.base import BaseDialect


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of a table refer to ``parent_columns`` of ``parent`` (a table key)."""

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    nullable: bool  # every referring column may be NULL: the key can be left out, or filled in a second pass
    deferrable: bool = False
    name: str | None = None

    def __hash__(self) -> int:
        # Keys are looked up for every row written: the hash is computed once, not from the fields each time.
        try:
            return int(self.__dict__["_hash"])
        except KeyError:
            value = hash((self.columns, self.parent, self.parent_columns, self.nullable, self.deferrable, self.name))
            self.__dict__["_hash"] = value
            return value


@dataclass(frozen=True)
class AutoTable:
    """One table to fill."""

    ref: TableRef
    columns: tuple[ColumnSpec, ...]  # the columns seedkit fills, in table order
    computed: tuple[tuple[str, str], ...]  # (column, why it is left to the database)
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]  # every unique set, the primary key included, partial indexes as whole
    foreign_keys: tuple[ForeignKey, ...]
    checks: tuple[tuple[str | None, str], ...]  # (constraint name, SQL text as the database reports it)
    identity: str | None = None  # the integer key the database numbers, read back after each insert
    json_text: tuple[str, ...] = ()  # JSON columns the database declares as text (MariaDB): written serialised

    @property
    def key(self) -> str:
        return self.ref.key

    def column(self, name: str) -> ColumnSpec | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None


def read_tables(dialect: BaseDialect, conn: sa.Connection) -> list[AutoTable]:
    """Every table the dialect would snapshot, as specs (in no particular order)."""
    schemas = dialect.schemas(conn, ())
    refs, _ = dialect.list_tables(conn, schemas)
    inspector = sa.inspect(conn)
    default = inspector.default_schema_name
    with warnings.catch_warnings():  # SQLite's expression indexes are skipped with a warning; read what is there
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        return [_read_table(inspector, ref, default, dialect.expression_unique_indexes(conn, ref),
                            dialect.check_constraints(conn, ref), dialect.defers_every_key) for ref in refs]


def sa_table(conn: sa.Connection, ref: TableRef, json_text: tuple[str, ...] = ()) -> sa.Table:
    """``ref`` as a SQLAlchemy Table to insert into (expression indexes it cannot reflect do not matter there);
    the ``json_text`` columns take JSON values (serialised) though they reflect as text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        # resolve_fks=False: the tables a foreign key names are not reflected with it (on a 40-table schema that
        # was most of a small run's time).
        table = sa.Table(ref.name, sa.MetaData(), schema=ref.schema, autoload_with=conn, resolve_fks=False)
    for name in json_text:
        table.c[name].type = sa.JSON()
    return table


def _read_table(inspector: sa.Inspector, ref: TableRef, default: str | None, expression_indexes: list[str],
                declared_checks: list[tuple[str | None, str]] | None, deferrable: bool = False) -> AutoTable:
    name, schema = ref.name, ref.schema
    primary_key = tuple(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or ())
    uniques: list[tuple[str, ...]] = [primary_key] if primary_key else []
    uniques += [tuple(u["column_names"]) for u in inspector.get_unique_constraints(name, schema=schema)]
    # include_auto_indexes: SQLite's UNIQUE column constraints exist only as automatic indexes.
    reflected = inspector.get_columns(name, schema=schema)
    names = {c["name"] for c in reflected}
    for index in inspector.get_indexes(name, schema=schema, include_auto_indexes=True):
        if index.get("unique"):
            # An expression (lower(email)) counts as its column: values unique as they are stay unique under it.
            columns = tuple(c for c in index.get("column_names") or () if c is not None)
            columns += tuple(c for e in index.get("expressions") or () for c in _named_in(str(e), names)
                             if c not in columns)
            if columns:
                uniques.append(columns)
    uniques += [columns for sql in expression_indexes if (columns := _named_in(sql.partition("(")[2], names))]
    # A primary key column is never NULL, whatever the reflection says (SQLite reports INTEGER PRIMARY KEY nullable).
    nullable = {c["name"]: bool(c.get("nullable", True)) and c["name"] not in primary_key for c in reflected}
    foreign_keys = []
    for fk in inspector.get_foreign_keys(name, schema=schema):
        referred_schema = fk.get("referred_schema")
        parent = TableRef(None if referred_schema in (None, default) else referred_schema, fk["referred_table"])
        options = fk.get("options") or {}
        columns = tuple(fk["constrained_columns"])
        foreign_keys.append(ForeignKey(columns, parent.key, tuple(fk["referred_columns"]),
                                       all(nullable.get(c, True) for c in columns),
                                       deferrable or bool(options.get("deferrable")), fk.get("name")))
    checks = tuple(declared_checks) if declared_checks is not None else tuple(
        (c.get("name"), str(c["sqltext"])) for c in inspector.get_check_constraints(name, schema=schema))
    checks += tuple(_domain_checks(reflected))
    single_unique = {u[0] for u in _distinct(uniques) if len(u) == 1}
    # MariaDB's JSON is a LONGTEXT with a json_valid() CHECK: that CHECK is what tells it apart from text.
    json_text = {match.group(1).replace("``", "`") for _, sql in checks if (match := _JSON_VALID.match(sql))}
    specs: list[ColumnSpec] = []
    computed: list[tuple[str, str]] = []
    identity = None
    for column in reflected:
        why = _computed(column, primary_key)
        if why is not None:
            computed.append((column["name"], why))
            if column["name"] in primary_key:
                identity = column["name"]
            continue
        spec = column_spec(ref.key, column, unique=column["name"] in single_unique)
        if spec.kind == "text" and spec.name in json_text:
            spec = replace(spec, kind="json")
        specs.append(replace(spec, nullable=nullable[column["name"]]))
    return AutoTable(ref, tuple(specs), tuple(computed), primary_key, tuple(_distinct(uniques)), tuple(foreign_keys),
                     checks, identity, tuple(c.name for c in specs if c.name in json_text))


_JSON_VALID = re.compile(r"^\s*\(?\s*json_valid\(\s*`((?:[^`]|``)+)`\s*\)\s*\)?\s*$", re.IGNORECASE)


def _domain_checks(columns: list[ReflectedColumn]) -> list[tuple[str | None, str]]:
    """A PostgreSQL domain's CHECK, written for the column (``VALUE > 0`` becomes ``"price" > 0``)."""
    found: list[tuple[str | None, str]] = []
    for column in columns:
        sql_type = column["type"]
        if isinstance(sql_type, pg.DOMAIN) and sql_type.check is not None:
            quoted = '"' + column["name"].replace('"', '""') + '"'
            found.append((sql_type.name, re.sub(r"\bVALUE\b", quoted, str(sql_type.check))))
    return found


def _named_in(sql: str, names: set[str]) -> tuple[str, ...]:
    """The column names ``sql`` mentions, in order (quoted or bare)."""
    found = []
    for word in re.findall(r'"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|([A-Za-z_][A-Za-z0-9_]*)', sql):
        name = next(part for part in word if part).replace('""', '"')
        if name in names and name not in found:
            found.append(name)
    return tuple(found)


def _distinct(sets: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    seen: dict[frozenset[str], tuple[str, ...]] = {}
    for columns in sets:
        seen.setdefault(frozenset(columns), columns)
    return list(seen.values())


def _computed(column: ReflectedColumn, primary_key: tuple[str, ...]) -> str | None:
    """Why the database fills this column itself, or None when seedkit fills it."""
    if column.get("computed"):
        return "generated column: left to the database"
    identity = column.get("identity")
    if identity and identity.get("always"):
        # GENERATED ALWAYS refuses a value: the database numbers the rows, and they are read back in order.
        return "identity (always): left to the database"
    # Serial, auto-increment and BY DEFAULT identity keys are filled (1, 2, 3...) so that every run gives the same
    # keys; the database's counter is moved past them afterwards.
    return None


INTEGER_BYTES = {"SMALLINT": 2, "SMALLINTEGER": 2, "TINYINT": 1, "MEDIUMINT": 3, "BIGINT": 8, "BIGINTEGER": 8}


def column_spec(table: str, column: ReflectedColumn, *, unique: bool = False) -> ColumnSpec:
    """The spec of one reflected column."""
    sql_type = column["type"]
    kind = _kind(sql_type)
    rendered = _render(sql_type)
    spec = ColumnSpec(table, column["name"], kind, rendered, bool(column.get("nullable", True)), unique=unique)
    return _sized(spec, sql_type)


def _sized(spec: ColumnSpec, sql_type: sa.types.TypeEngine[object]) -> ColumnSpec:
    kind = spec.kind
    if kind == "integer":
        size = INTEGER_BYTES.get(type(sql_type).__name__.upper(), 4)
        return replace(spec, precision=size, unsigned=bool(getattr(sql_type, "unsigned", False)))
    if kind == "decimal":
        return replace(spec, precision=getattr(sql_type, "precision", None), scale=getattr(sql_type, "scale", None),
                       unsigned=bool(getattr(sql_type, "unsigned", False)))
    if kind in ("text", "binary", "bit"):
        return replace(spec, length=getattr(sql_type, "length", None))
    if kind in ("datetime", "time"):
        return replace(spec, timezone=bool(getattr(sql_type, "timezone", False)))
    if kind in ("enum", "set"):
        return replace(spec, choices=tuple(str(v) for v in getattr(sql_type, "enums", None)
                                           or getattr(sql_type, "values", None) or ()))
    if kind == "array":
        item = getattr(sql_type, "item_type", None)
        return replace(spec, element=_kind(item) if item is not None else "text")
    return spec


def _render(sql_type: sa.types.TypeEngine[object]) -> str:
    try:
        return str(sql_type)
    except Exception:  # a type SQLAlchemy reflects but cannot print without a dialect
        return type(sql_type).__name__


def _kind(sql_type: sa.types.TypeEngine[object]) -> TypeKind:
    """The generator kind of a SQL type (a PostgreSQL domain is its underlying type)."""
    name = type(sql_type).__name__.upper()
    if isinstance(sql_type, pg.DOMAIN):
        return _kind(sql_type.data_type)
    if name == "INTERVAL":
        return "interval"
    if name in ("YEAR",):
        return "year"
    if name == "BIT":
        return "bit"
    if name == "SET":
        return "set"
    if isinstance(sql_type, sa.Enum):
        return "enum"
    if isinstance(sql_type, sa.Boolean) or (name == "TINYINT" and getattr(sql_type, "display_width", None) == 1):
        return "boolean"  # MariaDB/MySQL's BOOLEAN is TINYINT(1)
    if isinstance(sql_type, sa.Integer):
        return "integer"
    if isinstance(sql_type, sa.Float):
        return "float"
    if isinstance(sql_type, sa.Numeric):
        return "decimal"
    if isinstance(sql_type, sa.DateTime):
        return "datetime"
    if isinstance(sql_type, sa.Date):
        return "date"
    if isinstance(sql_type, sa.Time):
        return "time"
    if isinstance(sql_type, sa.Interval):
        return "interval"
    if isinstance(sql_type, sa.Uuid) or name == "UUID":
        return "uuid"
    if isinstance(sql_type, sa.JSON):
        return "json"
    if isinstance(sql_type, sa.ARRAY):
        return "array"
    if isinstance(sql_type, (sa.LargeBinary, sa.types._Binary)):
        return "binary"
    if name in ("INET", "CIDR"):
        return "inet"
    if isinstance(sql_type, sa.String):
        return "text"
    return _affinity(name)


def _affinity(name: str) -> TypeKind:
    # SQLite's rules for a declared type it does not know (https://sqlite.org/datatype3.html, 3.1).
    if "INT" in name:
        return "integer"
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in name or name == "NULLTYPE":
        return "unknown"
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return "float"
    return "unknown"
