"""Zero-config values: every value fits its column (type, size, CHECK domain), is a pure function of its seed and
ordinal, and unique columns never repeat up to their capacity; each backend accepts thousands of generated rows."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql, postgresql

from backends import Backend, DatabaseFactory
from seedkit.seeding.auto.spec import Bound, ColumnSpec, Domain, TypeKind
from seedkit.seeding.auto.values import capacity, choose
from seedkit.seeding.auto.values_names import match, words
from seedkit.seeding.context import field_salt, mix, stable_hash

INTEGER_BYTES = (1, 2, 3, 4, 8)
KINDS: tuple[TypeKind, ...] = ("integer", "float", "decimal", "text", "boolean", "date", "datetime", "time",
                               "interval", "uuid", "json", "binary", "inet", "enum", "set", "year", "bit", "array",
                               "unknown")
NAMES = ("email", "first_name", "lastName", "full_name", "username", "phone", "billing_address", "address_line2",
         "home_city", "zip", "country", "country_code", "lat", "longitude", "company", "website", "slug", "title",
         "description", "bio", "price", "total_amount", "qty", "rating", "currency", "created_at", "updatedAt", "dob",
         "starts_at", "ends_at", "status", "kind", "is_active", "hasChildren", "uuid", "ip_address", "metadata",
         "color", "locale", "sku", "reference", "notes", "value", "x", "product_name", "age", "year")
UNIQUE_CHECKED = 2000
LOCALES = ("en_US", "de_DE", "ja_JP", "ru_RU")  # ASCII, accents, and scripts of two and three UTF-8 bytes


def value_seed(ordinal: int, salt: int = 0) -> int:
    return mix(stable_hash("t", ordinal), salt)


def integer_range(spec: ColumnSpec) -> tuple[int, int]:
    size = spec.precision if spec.precision in INTEGER_BYTES else 8
    bits = 8 * (size or 8)
    return (0, (1 << bits) - 1) if spec.unsigned else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


# Strategies --------------------------------------------------------------------------------------------------------

def _bounds(values: st.SearchStrategy[Bound]) -> st.SearchStrategy[Domain]:
    return st.builds(Domain, minimum=st.none() | values, maximum=st.none() | values,
                     minimum_exclusive=st.booleans(), maximum_exclusive=st.booleans(),
                     excluded=st.lists(values, max_size=3).map(tuple))


def _listed(values: st.SearchStrategy[Bound]) -> st.SearchStrategy[Domain]:
    return st.builds(Domain, choices=st.lists(values, min_size=1, max_size=6).map(tuple),
                     excluded=st.lists(values, max_size=2).map(tuple))


def _domain(values: st.SearchStrategy[Bound]) -> st.SearchStrategy[Domain]:
    return st.just(Domain()) | _bounds(values) | _listed(values)


ZONE = dt.timezone.utc
_DATES = st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))
_MOMENTS = st.datetimes(dt.datetime(1960, 1, 1), dt.datetime(2040, 1, 1))


@st.composite
def column_specs(draw: st.DrawFn, kinds: tuple[TypeKind, ...] = KINDS) -> ColumnSpec:
    kind = draw(st.sampled_from(kinds))
    name = draw(st.sampled_from(NAMES))
    name = draw(st.sampled_from([name, name.upper(), f"billing_{name}", f"home{name[:1].upper()}{name[1:]}"]))
    spec = ColumnSpec("t", name, kind, kind, draw(st.booleans()), unique=draw(st.booleans()))
    if kind == "integer":
        spec = replace(spec, precision=draw(st.sampled_from((*INTEGER_BYTES, None))), unsigned=draw(st.booleans()))
        low, high = integer_range(spec)
        return replace(spec, domain=draw(_domain(st.integers(low - 5, high + 5) | st.integers(-20, 20))))
    if kind == "decimal":
        precision = draw(st.integers(1, 38))
        spec = replace(spec, precision=precision, scale=draw(st.integers(0, precision)), unsigned=draw(st.booleans()))
        return replace(spec, domain=draw(_domain(st.decimals(-10 ** 6, 10 ** 6, places=3))))
    if kind == "float":
        spec = replace(spec, scale=draw(st.none() | st.integers(0, 6)), unsigned=draw(st.booleans()))
        return replace(spec, domain=draw(_domain(st.floats(-1e6, 1e6, allow_nan=False))))
    if kind in ("text", "unknown"):
        spec = replace(spec, length=draw(st.none() | st.integers(0, 300)))
        lengths = st.builds(Domain, min_length=st.none() | st.integers(0, 20),
                            max_length=st.none() | st.integers(0, 300), max_length_bytes=st.booleans())
        return replace(spec, domain=draw(st.just(Domain()) | lengths | _listed(st.text(max_size=12))))
    if kind == "date":
        return replace(spec, domain=draw(_domain(_DATES)))
    if kind == "datetime":
        spec = replace(spec, timezone=draw(st.booleans()))
        moments = _MOMENTS.map(lambda m: m.replace(tzinfo=ZONE)) if spec.timezone else _MOMENTS
        return replace(spec, domain=draw(_domain(moments)))
    if kind == "time":
        spec = replace(spec, timezone=draw(st.booleans()))
        times = st.times().map(lambda t: t.replace(tzinfo=ZONE)) if spec.timezone else st.times()
        return replace(spec, domain=draw(_domain(times)))
    if kind in ("enum", "set"):
        members = st.lists(st.text("abcdefgh", min_size=1, max_size=6), min_size=1, max_size=8, unique=True)
        spec = replace(spec, choices=tuple(draw(members)))
        return replace(spec, domain=draw(st.just(Domain()) | _listed(st.sampled_from(spec.choices))))
    if kind == "year":
        return replace(spec, domain=draw(_domain(st.integers(1890, 2170))))
    if kind in ("bit", "binary"):
        return replace(spec, length=draw(st.integers(1, 64) if kind == "bit" else st.none() | st.integers(1, 64)))
    if kind == "array":
        element = draw(st.sampled_from(("integer", "text", "decimal", "date", "boolean", "uuid")))
        return replace(spec, element=element, precision=8 if element == "integer" else None)
    return spec


# What fitting a spec means -----------------------------------------------------------------------------------------

def in_domain(value: object, domain: Domain) -> bool:
    if domain.choices is not None:
        return value in domain.choices and value not in domain.excluded
    if value in domain.excluded:
        return False
    if domain.minimum is not None:
        if value < domain.minimum or (domain.minimum_exclusive and value == domain.minimum):  # type: ignore[operator]
            return False
    if domain.maximum is not None:
        if value > domain.maximum or (domain.maximum_exclusive and value == domain.maximum):  # type: ignore[operator]
            return False
    return True


def assert_fits(spec: ColumnSpec, value: object) -> None:
    kind = spec.kind
    if kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool)
        low, high = integer_range(spec)
        assert low <= value <= high
    elif kind == "decimal":
        assert isinstance(value, Decimal) and value.is_finite()
        if spec.precision is not None:  # numeric with no precision holds any number
            assert value.as_tuple().exponent == -(spec.scale or 0)
            assert value.copy_abs() < Decimal(10) ** (spec.precision - (spec.scale or 0))
        assert not spec.unsigned or value >= 0
    elif kind == "float":
        assert isinstance(value, float) and abs(value) < 1e16
        assert not spec.unsigned or value >= 0
    elif kind in ("text", "unknown"):
        assert isinstance(value, str)
        limits = [n for n in (spec.length, spec.domain.max_length) if n is not None]
        assert all(len(value) <= n for n in limits)
        if spec.domain.max_length_bytes and spec.domain.max_length is not None:
            assert len(value.encode()) <= spec.domain.max_length
        if spec.domain.choices is None:
            least = min([max(spec.domain.min_length or 0, 1), *limits])
            assert len(value) >= least
    elif kind == "boolean":
        assert isinstance(value, bool)
    elif kind == "date":
        assert isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    elif kind in ("datetime", "time"):
        assert isinstance(value, dt.datetime if kind == "datetime" else dt.time)
        assert (value.tzinfo is not None) == spec.timezone
    elif kind == "interval":
        assert isinstance(value, dt.timedelta) and value >= dt.timedelta(0)
    elif kind == "uuid":
        assert isinstance(value, uuid.UUID)
    elif kind == "json":
        assert isinstance(value, dict) and json.loads(json.dumps(value)) == value
    elif kind == "binary":
        assert isinstance(value, bytes) and len(value) == (spec.length or 16)
    elif kind == "inet":
        assert isinstance(value, str) and ipaddress.IPv4Address(value)
    elif kind == "enum":
        assert value in spec.choices
    elif kind == "set":
        assert isinstance(value, str)
        members = value.split(",") if value else []
        assert len(set(members)) == len(members) and set(members) <= set(spec.choices)
        assert members == [m for m in spec.choices if m in members]  # declared order
    elif kind == "year":
        assert isinstance(value, int) and 1901 <= value <= 2155
    elif kind == "bit":
        assert isinstance(value, int) and 0 <= value < 1 << (spec.length or 1)
    elif kind == "array":
        assert isinstance(value, list) and 1 <= len(value) <= 3
        element = ColumnSpec("t", spec.name, spec.element or "text", "element", False, precision=spec.precision)
        for item in value:
            assert_fits(element, item)
        return
    if kind not in ("set", "array", "bit", "binary", "boolean", "uuid", "json", "inet", "interval"):
        assert in_domain(value, spec.domain), (value, spec.domain)


def distinct_key(value: object) -> object:
    """How a database's unique index compares values: text ignoring case and trailing spaces, lists as tuples."""
    if isinstance(value, str):
        return value.lower().rstrip(" ")
    if isinstance(value, list):
        return tuple(distinct_key(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


# Properties --------------------------------------------------------------------------------------------------------

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=column_specs(), ordinals=st.lists(st.integers(0, 10 ** 6), min_size=1, max_size=20),
       locale=st.sampled_from(LOCALES))
def test_every_value_fits_its_column_and_is_a_function_of_seed_and_ordinal(spec: ColumnSpec, ordinals: list[int],
                                                                          locale: str) -> None:
    choice = choose(spec, locale=locale)
    again = choose(spec, locale=locale)
    room = capacity(spec)
    assert choice.generator and choice.reason
    if room == 0:
        with pytest.raises(ValueError, match="no value satisfies"):
            choice.value(value_seed(0), 0)
        return
    for ordinal in ordinals:
        if spec.unique and room is not None and ordinal >= room:
            continue
        seed = value_seed(ordinal)
        value = choice.value(seed, ordinal)
        assert_fits(spec, value)
        assert choice.value(seed, ordinal) == value
        assert again.value(seed, ordinal) == value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=column_specs(), start=st.integers(0, 10 ** 9), salt=st.integers(0, 2 ** 64 - 1))
def test_a_batch_made_at_once_holds_the_values_made_one_at_a_time(spec: ColumnSpec, start: int, salt: int) -> None:
    choice = choose(spec)
    if choice.many is None or capacity(spec) == 0:
        return
    ordinals = range(start, start + 64)
    seeds = [mix(stable_hash("batch", ordinal), salt) for ordinal in ordinals]
    assert choice.many(np.array(seeds, dtype=np.uint64), ordinals) == [choice.value(s, o) for s, o in zip(seeds, ordinals)]


def test_numbers_choices_and_flags_are_made_a_batch_at_once() -> None:
    # The kinds the bench's tables are mostly made of take the batch path; the property above holds them to it.
    for spec in (_spec("qty", "integer", "integer"), _spec("price", "decimal", "numeric(10, 2)", precision=10, scale=2),
                 _spec("starts_on", "date", "date"), _spec("happened_at", "datetime", "timestamp"),
                 _spec("active", "boolean", "boolean"),
                 _spec("kind", "text", "varchar(12)", domain=Domain(choices=("created", "updated")))):
        assert choose(spec).many is not None, spec.name


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=column_specs(), salt=st.integers(0, 2 ** 64 - 1))
# A float CHECK (c <> 0.3): 0.3 is 3/10 at the column's scale, not the binary fraction nearest it.
@example(spec=ColumnSpec("t", "email", "float", "float", False, domain=Domain(excluded=(0.3,))), salt=0)
# CHECK (c IN ('', ' ')): the two are one value to MariaDB's unique index, so the column holds one row, not two.
@example(spec=ColumnSpec("t", "email", "text", "text", False, domain=Domain(choices=("", " "))), salt=0)
def test_unique_columns_never_repeat_up_to_their_capacity(spec: ColumnSpec, salt: int) -> None:
    spec = replace(spec, unique=True)
    room = capacity(spec)
    count = UNIQUE_CHECKED if room is None else min(room, UNIQUE_CHECKED)
    choice = choose(spec)
    values = [choice.value(value_seed(ordinal, salt), ordinal) for ordinal in range(count)]
    for value in values[:50]:
        assert_fits(spec, value)
    assert len({distinct_key(value) for value in values}) == count


def test_capacity_counts_what_a_column_can_hold() -> None:
    def spec(kind: TypeKind, **changes: object) -> ColumnSpec:
        return replace(ColumnSpec("t", "c", kind, kind, False), **changes)  # type: ignore[arg-type]

    assert capacity(spec("boolean")) == 2
    assert capacity(spec("enum", choices=("a", "b", "c"))) == 3
    assert capacity(spec("integer", precision=1, unsigned=True)) == 256
    assert capacity(spec("integer", domain=Domain(minimum=1, maximum=5, excluded=(3,)))) == 4
    assert capacity(spec("text", length=3)) == 36 ** 3
    assert capacity(spec("text")) is None
    assert capacity(spec("year")) == 255
    assert capacity(spec("bit", length=3)) == 8
    assert capacity(spec("decimal", precision=3, scale=1, unsigned=True)) == 1000
    assert capacity(spec("integer", domain=Domain(minimum=5, maximum=5, maximum_exclusive=True))) == 0


@pytest.mark.parametrize(("name", "kind", "label"), [
    ("email", "text", "email"), ("billingEmail", "text", "email"), ("user_name", "text", "username"),
    ("FirstName", "text", "first name"), ("home_city", "text", "city"), ("shipping_zip", "text", "postcode"),
    ("country_code", "text", "country code"), ("product_name", "text", "name"), ("name", "text", "person name"),
    ("total_count", "integer", "quantity"), ("unit_price", "decimal", "price"), ("createdAt", "datetime", "created_at"),
    ("date_of_birth", "date", "birth date"), ("isActive", "boolean", "is_*/has_*"), ("email", "integer", None),
    ("gender", "text", None), ("widget", "text", None),
])
def test_names_are_read_whatever_their_case_and_prefix(name: str, kind: TypeKind, label: str | None) -> None:
    assert match(name, kind) == label
    if label is not None and kind != "boolean":
        assert choose(ColumnSpec("t", name, kind, kind, False)).reason == f"name matches {label}"


def test_column_names_become_snake_case() -> None:
    assert words("billingAddressLine2") == "billing_address_line2"
    assert words("HTTPStatus") == "http_status"
    assert words("Zip-Code") == "zip_code"


def test_realistic_values_by_name() -> None:
    def values(name: str, kind: TypeKind, count: int = 200, **changes: object) -> list[object]:
        spec = replace(ColumnSpec("t", name, kind, kind, False), **changes)  # type: ignore[arg-type]
        choice = choose(spec)
        return [choice.value(value_seed(ordinal), ordinal) for ordinal in range(count)]

    assert all("@" in str(v) for v in values("email", "text", length=60))
    assert all(len(str(v)) == 2 and str(v).isupper() for v in values("country_code", "text", length=2))
    assert all(len(str(v)) == 3 and str(v).isupper() for v in values("country_code", "text", length=3))
    assert all(len(str(v)) == 3 and str(v).isupper() for v in values("currency", "text", length=3))
    assert all(-90 <= float(str(v)) <= 90 for v in values("latitude", "decimal", precision=9, scale=6))
    assert all(Decimal(0) < v for v in values("price", "decimal", precision=10, scale=2))  # type: ignore[operator]
    assert set(values("status", "text")) <= {"active", "inactive", "pending"}
    adults = values("dob", "date")
    assert all(dt.date(1930, 1, 1) < v < dt.date(2008, 1, 1) for v in adults)  # type: ignore[operator]
    assert len(set(adults)) > 150
    assert all(str(v).isupper() for v in values("sku", "text", length=8))
    assert set(values("is_active", "boolean")) == {True, False}


def test_values_do_not_depend_on_the_interpreter_or_its_hash_seed() -> None:
    script = (
        "from seedkit.seeding.auto.spec import ColumnSpec\n"
        "from seedkit.seeding.auto.values import choose\n"
        "specs = [ColumnSpec('t', n, k, k, False, length=40) for n, k in "
        "[('email', 'text'), ('city', 'text'), ('bio', 'text'), ('price', 'decimal'), ('created_at', 'datetime'), "
        "('uid', 'uuid'), ('meta', 'json'), ('tags', 'array'), ('flags', 'set')]]\n"
        "print([[repr(choose(s).value(seed * 7919 + 1, seed)) for seed in range(20)] for s in specs])\n"
    )
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": hash_seed}).stdout
               for hash_seed in ("1", "2")}
    assert len(outputs) == 1


# The database as judge ---------------------------------------------------------------------------------------------

ROWS = 3000


def _insert_generated(url: str, table: sa.Table, specs: dict[str, ColumnSpec], *, extra: sa.MetaData,
                      session_sql: str | None = None) -> None:
    engine = sa.create_engine(url)
    if session_sql is not None:
        @sa.event.listens_for(engine, "connect")
        def _session(dbapi_connection: object, record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute(session_sql)
            cursor.close()
    try:
        extra.create_all(engine)
        choices = {name: choose(spec) for name, spec in specs.items()}
        rows = [{name: choice.value(mix(stable_hash(table.name, ordinal), field_salt(name)), ordinal)
                 for name, choice in choices.items()} for ordinal in range(ROWS)]
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
        with engine.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == ROWS
    finally:
        engine.dispose()


def _spec(name: str, kind: TypeKind, sql_type: str, **changes: object) -> ColumnSpec:
    return replace(ColumnSpec("judge", name, kind, sql_type, False), **changes)  # type: ignore[arg-type]


def test_postgresql_accepts_every_generated_row(postgresql_backend: Backend, database_factory: DatabaseFactory) -> None:
    metadata = sa.MetaData()
    mood = postgresql.ENUM("happy", "calm", "grumpy", name="judge_mood")
    specs = [
        (_spec("sm", "integer", "smallint", precision=2, unique=True), sa.SmallInteger()),
        (_spec("quantity", "integer", "integer", precision=4, domain=Domain(minimum=0, minimum_exclusive=True,
                                                                            excluded=(7,))), sa.Integer()),
        (_spec("big", "integer", "bigint", precision=8, unique=True), sa.BigInteger()),
        (_spec("price", "decimal", "numeric(5,2)", precision=5, scale=2), sa.Numeric(5, 2)),
        (_spec("ratio", "float", "real"), sa.REAL()),
        (_spec("score", "float", "double precision", unique=True), postgresql.DOUBLE_PRECISION()),
        (_spec("code", "text", "varchar(3)", length=3, unique=True), sa.String(3)),
        (_spec("country_code", "text", "char(2)", length=2), sa.CHAR(2)),
        (_spec("bio", "text", "text"), sa.Text()),
        (_spec("email", "text", "varchar(40)", length=40, unique=True), sa.String(40)),
        (_spec("title", "text", "varchar(20)", length=20, domain=Domain(min_length=5)), sa.String(20)),
        (_spec("rating", "integer", "integer", precision=4, domain=Domain(minimum=1, maximum=5)), sa.Integer()),
        (_spec("is_active", "boolean", "boolean"), sa.Boolean()),
        (_spec("dob", "date", "date"), sa.Date()),
        (_spec("created_at", "datetime", "timestamp"), sa.DateTime()),
        (_spec("updated_at", "datetime", "timestamptz", timezone=True), sa.DateTime(timezone=True)),
        (_spec("opens", "time", "time"), sa.Time()),
        (_spec("duration", "interval", "interval"), sa.Interval()),
        (_spec("uid", "uuid", "uuid", unique=True), sa.Uuid()),
        (_spec("meta", "json", "json"), postgresql.JSON()),
        (_spec("settings", "json", "jsonb", unique=True), postgresql.JSONB()),
        (_spec("blob", "binary", "bytea", unique=True), sa.LargeBinary()),
        (_spec("ip", "inet", "inet", unique=True), postgresql.INET()),
        (_spec("mood", "enum", "judge_mood", choices=("happy", "calm", "grumpy")), mood),
        (_spec("tags", "array", "integer[]", element="integer", precision=4), postgresql.ARRAY(sa.Integer())),
    ]
    table = sa.Table("judge", metadata,
                     *[sa.Column(spec.name, sql_type, nullable=False, unique=spec.unique) for spec, sql_type in specs],
                     sa.CheckConstraint("quantity > 0 AND quantity <> 7"), sa.CheckConstraint("rating BETWEEN 1 AND 5"),
                     sa.CheckConstraint("char_length(title) >= 5"))
    _insert_generated(database_factory(postgresql_backend), table, {spec.name: spec for spec, _ in specs},
                      extra=metadata)


def test_mariadb_accepts_every_generated_row(mysql_backend: Backend, database_factory: DatabaseFactory) -> None:
    metadata = sa.MetaData()
    specs = [
        (_spec("tiny", "integer", "tinyint unsigned", precision=1, unsigned=True), mysql.TINYINT(unsigned=True)),
        (_spec("medium", "integer", "mediumint", precision=3, unique=True), mysql.MEDIUMINT()),
        (_spec("amount", "decimal", "decimal(7,3)", precision=7, scale=3), mysql.DECIMAL(7, 3)),
        (_spec("code", "text", "varchar(5)", length=5, unique=True), mysql.VARCHAR(5)),
        (_spec("first_name", "text", "varchar(8)", length=8), mysql.VARCHAR(8)),
        (_spec("email", "text", "varchar(30)", length=30, unique=True), mysql.VARCHAR(30)),
        (_spec("status", "enum", "enum", choices=("new", "paid", "shipped")), mysql.ENUM("new", "paid", "shipped")),
        (_spec("flags", "set", "set", choices=("red", "green", "blue")), mysql.SET("red", "green", "blue")),
        (_spec("built", "year", "year"), mysql.YEAR()),
        (_spec("mask", "bit", "bit(3)", length=3), mysql.BIT(3)),
        (_spec("meta", "json", "json"), mysql.JSON()),
        (_spec("created_at", "datetime", "datetime"), mysql.DATETIME()),
        (_spec("seen_at", "datetime", "timestamp", unique=True), mysql.TIMESTAMP()),
        (_spec("opens", "time", "time"), mysql.TIME()),
        (_spec("tag", "binary", "binary(4)", length=4, unique=True), mysql.BINARY(4)),
        (_spec("rating", "integer", "smallint", precision=2, domain=Domain(minimum=1, maximum=5)), sa.SmallInteger()),
    ]
    table = sa.Table("judge", metadata,
                     *[sa.Column(spec.name, sql_type, nullable=False, unique=spec.unique) for spec, sql_type in specs],
                     sa.CheckConstraint("rating BETWEEN 1 AND 5"), mysql_charset="utf8mb4")
    # Strict mode makes the server refuse an out-of-range or too-long value instead of clipping it with a warning.
    _insert_generated(database_factory(mysql_backend), table, {spec.name: spec for spec, _ in specs}, extra=metadata,
                      session_sql="SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'")


# SQLite stores NUMERIC as float, and SQLAlchemy says so: a Decimal is what the column asks for, so that is expected.
@pytest.mark.filterwarnings("ignore:Dialect sqlite.*does .*not.* support Decimal objects natively")
def test_sqlite_accepts_every_generated_row(sqlite_backend: Backend, database_factory: DatabaseFactory) -> None:
    metadata = sa.MetaData()
    specs = [
        (_spec("code", "text", "VARCHAR(10)", length=10, unique=True), sa.String(10)),
        (_spec("n", "integer", "INTEGER", unique=True), sa.Integer()),
        (_spec("lat", "float", "REAL"), sa.REAL()),
        (_spec("price", "decimal", "NUMERIC"), sa.Numeric(asdecimal=True)),
        (_spec("blob", "binary", "BLOB", unique=True), sa.LargeBinary()),
        (_spec("is_active", "boolean", "BOOLEAN"), sa.Boolean()),
        (_spec("created_at", "datetime", "DATETIME"), sa.DateTime()),
        (_spec("rating", "integer", "INTEGER", domain=Domain(minimum=1, maximum=5)), sa.Integer()),
        (_spec("kind", "text", "TEXT", domain=Domain(choices=("a", "b"))), sa.Text()),
    ]
    table = sa.Table("judge", metadata,
                     *[sa.Column(spec.name, sql_type, nullable=False, unique=spec.unique) for spec, sql_type in specs],
                     sa.CheckConstraint("length(code) <= 10"), sa.CheckConstraint("rating BETWEEN 1 AND 5"),
                     sa.CheckConstraint("kind IN ('a', 'b')"), sa.CheckConstraint("lat >= -90 AND lat <= 90"))
    _insert_generated(database_factory(sqlite_backend), table, {spec.name: spec for spec, _ in specs}, extra=metadata)
