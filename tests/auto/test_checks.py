"""CHECK constraints read from each backend's own text: the tree each form reads into, SQLite as the oracle for
what a row must satisfy, domains whose every value passes, and a reader that never raises."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends import Backend, DatabaseFactory, run_statements
from seedkit.seeding.auto.checks import (
    And,
    Between,
    Check,
    ColumnCompare,
    Compare,
    InList,
    IsNull,
    Length,
    Not,
    Or,
    Unknown,
    conjuncts,
    cross_column,
    describe,
    domains,
    evaluate,
    parse_check,
    to_sql,
    unknown_parts,
    within,
)
from seedkit.seeding.auto.spec import Domain

# ---------------------------------------------------------------------------------------------------------------
# Each backend's text, read from the servers themselves


TABLE_COLUMNS = ["rating", "status", "code", "starts_at", "ends_at", "price", "d", "n", "k"]
# name -> (the CHECK as written, what it reads into on each backend: the default, then per-backend differences)
CONSTRAINTS: dict[str, tuple[str, Check, dict[str, Check]]] = {
    "ck_range": ("rating >= 1 AND rating <= 5",
                 And((Compare("rating", ">=", 1), Compare("rating", "<=", 5))), {}),
    "ck_between": ("rating BETWEEN 0 AND 9", Between("rating", 0, 9),
                   {"postgresql": And((Compare("rating", ">=", 0), Compare("rating", "<=", 9)))}),
    "ck_not_between": ("rating NOT BETWEEN 10 AND 20", Between("rating", 10, 20, negated=True),
                       {"postgresql": Or((Compare("rating", "<", 10), Compare("rating", ">", 20)))}),
    "ck_in": ("status IN ('a', 'b')", InList("status", ("a", "b")), {}),
    "ck_not_in": ("status NOT IN ('x', 'it''s')", InList("status", ("x", "it's"), negated=True), {}),
    # MariaDB reports length() as octet_length(): it counts bytes there.
    "ck_length": ("length(code) <= 8", Length("code", "<=", 8), {"mysql": Length("code", "<=", 8, bytes=True)}),
    "ck_order": ("ends_at > starts_at", ColumnCompare("ends_at", ">", "starts_at"), {}),
    "ck_price": ("price > 0", Compare("price", ">", 0), {}),
    "ck_negative": ("price >= -1.5", Compare("price", ">=", Decimal("-1.5")), {}),
    "ck_date": ("d >= '2000-01-01'", Compare("d", ">=", "2000-01-01"),
                {"postgresql": Compare("d", ">=", dt.date(2000, 1, 1))}),
    "ck_not_null": ("n IS NOT NULL", IsNull("n", negated=True), {}),
    "ck_or": ("k = 1 OR k = 2", Or((Compare("k", "=", 1), Compare("k", "=", 2))), {}),
    # MariaDB rewrites NOT (k < 0) as k >= 0.
    "ck_not": ("NOT (k < 0)", Not(Compare("k", "<", 0)), {"mysql": Compare("k", ">=", 0)}),
    "ck_partly": ("rating > -3 AND status LIKE 'a%'", And((Compare("rating", ">", -3), Unknown("?"))), {}),
}
DATETIME_TYPE = {"postgresql": "timestamp", "mysql": "datetime", "sqlite": "timestamp"}


def _reflected_checks(backend: Backend, url: str) -> dict[str, str]:
    columns = (f"rating integer, status varchar(10), code varchar(10), starts_at {DATETIME_TYPE[backend.name]}, "
               f"ends_at {DATETIME_TYPE[backend.name]}, price numeric(10, 2), d date, n integer, k integer")
    # Named table constraints, since SQLAlchemy does not reflect MariaDB's column-level CHECKs.
    constraints = ", ".join(f"CONSTRAINT {name} CHECK ({sql})" for name, (sql, _, _) in CONSTRAINTS.items())
    run_statements(url, f"CREATE TABLE sample ({columns}, {constraints})")
    engine = sa.create_engine(url)
    try:
        return {str(check["name"]): check["sqltext"] for check in sa.inspect(engine).get_check_constraints("sample")}
    finally:
        engine.dispose()


def _same(found: Check, expected: Check) -> bool:
    """Equal trees, where an expected Unknown matches any Unknown (its text is each backend's own)."""
    if isinstance(expected, Unknown):
        return isinstance(found, Unknown)
    if isinstance(expected, (And, Or)):
        return (type(found) is type(expected) and len(found.parts) == len(expected.parts)  # type: ignore[union-attr]
                and all(_same(a, b) for a, b in zip(found.parts, expected.parts)))  # type: ignore[union-attr]
    return found == expected


def _assert_reads_as_expected(backend: Backend, url: str) -> None:
    texts = _reflected_checks(backend, url)
    assert set(texts) == set(CONSTRAINTS)
    wrong = {name: (texts[name], parse_check(texts[name], TABLE_COLUMNS)) for name, (_, default, overrides)
             in CONSTRAINTS.items() if not _same(parse_check(texts[name], TABLE_COLUMNS),
                                                 overrides.get(backend.name, default))}
    assert not wrong


def test_postgresql_check_texts_read_into_the_expected_trees(postgresql_backend: Backend,
                                                             database_factory: DatabaseFactory) -> None:
    _assert_reads_as_expected(postgresql_backend, database_factory(postgresql_backend))


def test_mariadb_check_texts_read_into_the_expected_trees(mysql_backend: Backend,
                                                          database_factory: DatabaseFactory) -> None:
    _assert_reads_as_expected(mysql_backend, database_factory(mysql_backend))


def test_sqlite_check_texts_read_into_the_expected_trees(sqlite_backend: Backend,
                                                         database_factory: DatabaseFactory) -> None:
    _assert_reads_as_expected(sqlite_backend, database_factory(sqlite_backend))


# Forms the servers above do not print but others do: PostgreSQL's non-pretty text (pg_get_constraintdef without
# pretty printing, older SQLAlchemy), MySQL 8's charset introducers, SQLite's [names], MariaDB's escapes.
COLUMNS = ["rating", "status", "code", "ends_at", "starts_at", "price", "weird col", "x", "a", "t", "ts", "f"]
TEXTS: list[tuple[str, Check]] = [
    ("((rating >= 1) AND (rating <= 5))", And((Compare("rating", ">=", 1), Compare("rating", "<=", 5)))),
    ("((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
     InList("status", ("a", "b"))),
    ("((status)::text <> ALL ((ARRAY['a'::character varying])::text[]))", InList("status", ("a",), negated=True)),
    ("(length((code)::text) = 3)", Length("code", "=", 3)),
    ("(ends_at > starts_at)", ColumnCompare("ends_at", ">", "starts_at")),
    ("price > (0)::numeric", Compare("price", ">", Decimal(0))),
    ("(price >= ('-1.5'::numeric)::double precision)", Compare("price", ">=", -1.5)),
    ("(x > (- 5))", Compare("x", ">", -5)),
    ("x = ANY (ARRAY[1, 2, 3])", InList("x", (1, 2, 3))),
    ("t > '08:00:00'::time without time zone", Compare("t", ">", dt.time(8))),
    ("ts > '2020-01-01 00:00:00+00'::timestamp with time zone",
     Compare("ts", ">", dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))),
    ("`rating` between 1 and 5", Between("rating", 1, 5)),
    ("`status` in ('a','b')", InList("status", ("a", "b"))),
    ("char_length(`code`) = 3", Length("code", "=", 3)),
    ("octet_length(`code`) = 3", Length("code", "=", 3, bytes=True)),
    ("(length(`code`) = 3)", Length("code", "=", 3, bytes=True)),
    ("`ends_at` > `starts_at`", ColumnCompare("ends_at", ">", "starts_at")),
    ("`a` <> 'it\\'s' and `a` <> 'b\\\\c'", And((Compare("a", "<>", "it's"), Compare("a", "<>", "b\\c")))),
    ("(`status` in (_utf8mb4'a',_utf8mb4'b'))", InList("status", ("a", "b"))),
    ("`ts` > TIMESTAMP'2020-01-01 10:00:00'", Compare("ts", ">", dt.datetime(2020, 1, 1, 10))),
    ("cast(`rating` as signed) < 10", Compare("rating", "<", 10)),
    ("`f` < 1e3", Compare("f", "<", 1000.0)),
    ("rating BETWEEN 1 AND 5", Between("rating", 1, 5)),
    ("status IN ('a', 'b')", InList("status", ("a", "b"))),
    ("length(code) <= 10", Length("code", "<=", 10)),
    ("length(code) BETWEEN 2 AND 8", And((Length("code", ">=", 2), Length("code", "<=", 8)))),
    ("char_length(`code`) not between 2 and 8", Or((Length("code", "<", 2), Length("code", ">", 8)))),
    ('"weird col" > 0', Compare("weird col", ">", 0)),
    ("[weird col] < 3", Compare("weird col", "<", 3)),
    ("CAST(x AS INTEGER) == 2", Compare("x", "=", 2)),
    ("3 < x", Compare("x", ">", 3)),
    ("x != 0 and X Is Not Null", And((Compare("x", "<>", 0), IsNull("x", negated=True)))),
    ("a = TRUE OR a = false", Or((Compare("a", "=", True), Compare("a", "=", False)))),
    ("x > 0 AND x < 10 OR x IS NULL",
     Or((And((Compare("x", ">", 0), Compare("x", "<", 10))), IsNull("x")))),
    ("NOT b < 0", Unknown("NOT b < 0")),  # b is no column of this table
    ("x BETWEEN -5 AND -1 AND x <> -3", And((Between("x", -5, -1), Compare("x", "<>", -3)))),
    ("x > 0 AND foo(x) > 1", And((Compare("x", ">", 0), Unknown("foo(x) > 1")))),
    ("w ~ '^[a-z]+$'::text", Unknown("w ~ '^[a-z]+$'::text")),
    ("x = NULL", Unknown("x = NULL")),
]


@pytest.mark.parametrize(("text", "expected"), TEXTS, ids=[text for text, _ in TEXTS])
def test_each_backends_form_reads_into_the_expected_tree(text: str, expected: Check) -> None:
    assert parse_check(text, COLUMNS) == expected


def test_not_of_a_predicate_reads_as_not() -> None:
    assert parse_check("NOT b < 0", ["b"]) == Not(Compare("b", "<", 0))
    assert parse_check("NOT (b IN (1, 2))", ["b"]) == Not(InList("b", (1, 2)))


# ---------------------------------------------------------------------------------------------------------------
# What the rest of the planner reads from a check


def test_domains_intersect_the_top_level_single_column_parts() -> None:
    check = parse_check("rating >= 1 AND rating <= 5 AND rating BETWEEN 2 AND 9 AND rating <> 3 AND "
                        "(status = 'a' OR status IN ('b', 'c')) AND status IN ('b', 'c', 'd') AND "
                        "length(code) <= 3 AND char_length(code) >= 1 AND code IS NOT NULL AND price > 0 AND "
                        "ends_at > starts_at AND (x > 1 OR x < -1)", COLUMNS)
    assert domains(check) == {
        "rating": Domain(minimum=2, maximum=5, excluded=(3,)),
        "status": Domain(choices=("b", "c")),
        "code": Domain(min_length=1, max_length=3, not_null=True),
        "price": Domain(minimum=0, minimum_exclusive=True),
        "x": Domain(minimum=1, minimum_exclusive=True),  # the first of the two ranges
    }


def test_an_in_list_keeps_only_the_choices_the_bounds_allow() -> None:
    assert domains(parse_check("x IN (1, 5, 9) AND x < 9 AND x <> 5", ["x"]))["x"].choices == (1,)


def test_negated_predicates_at_the_top_become_bounds() -> None:
    found = domains(parse_check("NOT (x < 0) AND NOT (y IN (1, 2)) AND NOT (z IS NULL)", ["x", "y", "z"]))
    assert found == {"x": Domain(minimum=0), "y": Domain(excluded=(1, 2)), "z": Domain(not_null=True)}


def test_an_octet_length_bounds_bytes() -> None:
    domain = domains(parse_check("octet_length(`code`) <= 4", ["code"]))["code"]
    assert domain == Domain(max_length=4, max_length_bytes=True)
    assert within(domain, "abcd") and not within(domain, "abcé")


def test_cross_column_and_unknown_parts() -> None:
    check = parse_check("ends_at > starts_at AND x ~ 'a' AND (a = 1 OR foo(a))", COLUMNS)
    assert cross_column(check) == [ColumnCompare("ends_at", ">", "starts_at")]
    assert unknown_parts(check) == ["x ~ 'a'", "foo(a)"]


@pytest.mark.parametrize(("text", "found"), [
    ("ends_at IS NULL OR ends_at >= starts_at", [ColumnCompare("ends_at", ">=", "starts_at")]),
    ("starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at", [ColumnCompare("ends_at", ">", "starts_at")]),
    # Another way out of the comparison than a NULL in it: swapping the two could not be relied on.
    ("ends_at IS NULL OR ends_at >= starts_at OR a = 1", []),
    ("a IS NULL OR ends_at >= starts_at", []),
    ("ends_at IS NOT NULL OR ends_at >= starts_at", []),
])
def test_a_comparison_that_only_a_null_skips_is_kept_in_order(text: str, found: list[ColumnCompare]) -> None:
    check = parse_check(text, COLUMNS)
    assert cross_column(check) == found
    # What the generator then does: a row whose two values are out of order, swapped, meets the check.
    row = {"ends_at": 1, "starts_at": 5, "a": 0}
    for rule in found:
        row[rule.left], row[rule.right] = row[rule.right], row[rule.left]
        assert evaluate(check, row)


def test_describe_is_a_short_canonical_text() -> None:
    assert describe(parse_check("`rating` between 1 and 5", COLUMNS)) == "CHECK (rating BETWEEN 1 AND 5)"
    assert describe(parse_check("(x > 0 OR x IS NULL) AND [weird col] <> 'it''s'", COLUMNS)) == \
        "CHECK ((x > 0 OR x IS NULL) AND \"weird col\" <> 'it''s')"
    assert describe(parse_check("d >= '2000-01-01'::date", ["d"])) == "CHECK (d >= '2000-01-01')"


@pytest.mark.parametrize(("text", "row", "expected"), [
    ("x > 0", {"x": None}, True),  # NULL passes a CHECK
    ("x > 0", {}, True),
    ("x > 0", {"x": 0}, False),
    ("x > 0.5", {"x": Decimal("0.6")}, True),
    ("x <= 1e1", {"x": 10}, True),
    ("d >= '2000-01-01'", {"d": dt.date(1999, 12, 31)}, False),
    ("d >= '2000-01-01'::date", {"d": dt.datetime(2000, 1, 1, 1)}, True),
    ("ends_at > starts_at", {"starts_at": dt.datetime(2020, 1, 2), "ends_at": dt.datetime(2020, 1, 1)}, False),
    ("x > 0 AND foo(x)", {"x": -1}, False),  # the part that is understood still decides
    ("x > 0 OR foo(x)", {"x": -1}, True),  # the unknown part might hold
    ("x NOT IN (1, 2)", {"x": 2}, False),
    ("octet_length(`s`) <= 2", {"s": "é"}, True),
    ("octet_length(`s`) <= 2", {"s": "éé"}, False),
], ids=lambda value: str(value))
def test_evaluate_follows_sql(text: str, row: dict[str, object], expected: bool) -> None:
    assert evaluate(parse_check(text, ["x", "d", "ends_at", "starts_at", "s"]), row) is expected


# ---------------------------------------------------------------------------------------------------------------
# SQLite as the oracle: a random check in the grammar, random rows; evaluate agrees with the INSERT

VALUES: dict[str, st.SearchStrategy[object]] = {
    "integer": st.integers(-3, 3),
    "text": st.text(alphabet="abé'", max_size=3),
    "date": st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2020, 1, 4)),
}
KIND = {"i": "integer", "j": "integer", "s": "text", "t": "text", "d": "date", "e": "date"}
OPS = st.sampled_from(["=", "<>", "<", "<=", ">", ">="])


def _predicates(columns: list[str], cross: bool) -> st.SearchStrategy[Check]:
    def of(column: str) -> st.SearchStrategy[Check]:
        value = VALUES[KIND[column]]
        options = [
            st.builds(Compare, st.just(column), OPS, value),
            st.builds(Between, st.just(column), value, value, st.booleans()),
            st.builds(InList, st.just(column), st.lists(value, min_size=1, max_size=3).map(tuple), st.booleans()),
            st.builds(IsNull, st.just(column), st.booleans()),
        ]
        if KIND[column] == "text":
            options.append(st.builds(Length, st.just(column), OPS, st.integers(0, 3)))
        if cross:
            partners = [other for other in columns if KIND[other] == KIND[column]]
            options.append(st.builds(ColumnCompare, st.just(column), OPS, st.sampled_from(partners)))
        return st.one_of(options)

    return st.sampled_from(columns).flatmap(of)


CHECKS = st.recursive(
    _predicates(list(KIND), cross=True),
    lambda children: st.one_of(st.lists(children, min_size=2, max_size=3).map(lambda parts: And(tuple(parts))),
                               st.lists(children, min_size=2, max_size=3).map(lambda parts: Or(tuple(parts))),
                               children.map(Not)),
    max_leaves=6)


def _render(check: Check, draw: Callable[[st.SearchStrategy[object]], object]) -> str:
    """The check as SQLite accepts it, in one of the many ways a person could have written it."""
    def pick(*options: str) -> str:
        return str(draw(st.sampled_from(options)))

    def word(text: str) -> str:
        return pick(text.upper(), text.lower())

    def name(column: str) -> str:
        quoted = pick(column, column.upper(), f'"{column}"', f"[{column}]", f"`{column}`")
        cast = {"integer": "INTEGER", "text": "TEXT", "date": "TEXT"}[KIND[column]]
        return pick(quoted, f"{word('cast')}({quoted} {word('as')} {cast})", f"({quoted})")

    def literal(value: object) -> str:
        if isinstance(value, int):
            return pick(str(value), f"({value})") if value >= 0 else pick(str(value), f"- {-value}", f"({value})")
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return "'" + text.replace("'", "''") + "'"

    def op(symbol: str) -> str:
        return {"=": pick("=", "=="), "<>": pick("<>", "!=")}.get(symbol, symbol)

    def inner(part: Check) -> str:
        text = _render(part, draw)
        return f"({text})" if isinstance(part, (And, Or)) or draw(st.booleans()) else text

    flipped = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
    if isinstance(check, Compare):
        if draw(st.booleans()):
            return f"{literal(check.value)} {op(flipped[check.op])} {name(check.column)}"
        return f"{name(check.column)} {op(check.op)} {literal(check.value)}"
    if isinstance(check, Between):
        not_ = word("not ") if check.negated else ""
        return f"{name(check.column)} {not_}{word('between')} {literal(check.low)} {word('and')} {literal(check.high)}"
    if isinstance(check, InList):
        not_ = word("not ") if check.negated else ""
        return f"{name(check.column)} {not_}{word('in')} ({', '.join(literal(v) for v in check.values)})"
    if isinstance(check, Length):
        return f"{word('length')}({name(check.column)}) {op(check.op)} {check.n}"
    if isinstance(check, IsNull):
        return f"{name(check.column)} {word('is')} {word('not ') if check.negated else ''}{word('null')}"
    if isinstance(check, ColumnCompare):
        return f"{name(check.left)} {op(check.op)} {name(check.right)}"
    if isinstance(check, (And, Or)):
        joiner = f" {word('and' if isinstance(check, And) else 'or')} "
        return joiner.join(inner(part) for part in check.parts)
    if isinstance(check, Not):
        return f"{word('not')} ({_render(check.part, draw)})"
    raise AssertionError(check)


ROWS = st.lists(st.fixed_dictionaries({column: st.none() | VALUES[kind] for column, kind in KIND.items()}),
                min_size=1, max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(check=CHECKS, rows=ROWS, data=st.data())
def test_evaluate_agrees_with_sqlite_on_random_checks_and_rows(check: Check, rows: list[dict[str, object]],
                                                               data: st.DataObject) -> None:
    sql = _render(check, data.draw)
    parsed = parse_check(sql, list(KIND), mysql=False)  # SQLite accepts `names` too, but counts characters
    assert unknown_parts(parsed) == [], sql
    again = parse_check(to_sql(parsed), list(KIND))  # the plan's text reads back to the same meaning
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE TABLE sample (i INTEGER, j INTEGER, s TEXT, t TEXT, d TEXT, e TEXT, CHECK ({sql}))")
        for row in rows:
            stored = [value.isoformat() if isinstance(value, dt.date) else value for value in (row[c] for c in KIND)]
            try:
                db.execute("INSERT INTO sample VALUES (?, ?, ?, ?, ?, ?)", stored)
                accepted = True
            except sqlite3.IntegrityError:
                accepted = False
            assert evaluate(parsed, row) is accepted, (sql, row)
            assert evaluate(again, row) is accepted, (to_sql(parsed), row)
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------------------------
# Every value inside a column's domain satisfies that column's parts


def _single_column(columns: list[str]) -> st.SearchStrategy[Check]:
    def same_column_choices(column: str) -> st.SearchStrategy[Check]:
        value = VALUES[KIND[column]]
        equal = st.builds(Compare, st.just(column), st.just("="), value)
        listed = st.builds(InList, st.just(column), st.lists(value, min_size=1, max_size=3).map(tuple))
        return st.lists(equal | listed, min_size=2, max_size=3).map(lambda parts: Or(tuple(parts)))

    return st.one_of(_predicates(columns, cross=False), st.sampled_from(columns).flatmap(same_column_choices),
                     _predicates(columns, cross=False).map(Not))


def _value_inside(domain: Domain, kind: str, data: st.DataObject) -> object | None:
    """A value drawn from the domain's choices or bounds, or None when a few tries find none inside."""
    def as_kind(bound: object, default: object) -> object:
        if bound is None:
            return default
        return dt.date.fromisoformat(bound) if kind == "date" and isinstance(bound, str) else bound

    if domain.choices is not None:
        strategy: st.SearchStrategy[object] = st.sampled_from(domain.choices) if domain.choices else st.nothing()
    elif kind == "integer":
        low, high = as_kind(domain.minimum, -10), as_kind(domain.maximum, 10)
        assert isinstance(low, int) and isinstance(high, int)
        strategy = st.integers(low, max(low, high))
    elif kind == "date":
        low, high = as_kind(domain.minimum, dt.date(2019, 12, 1)), as_kind(domain.maximum, dt.date(2020, 2, 1))
        assert isinstance(low, dt.date) and isinstance(high, dt.date)
        strategy = st.dates(low, max(low, high))
    else:
        shortest = domain.min_length or 0
        strategy = st.text(alphabet="abé'", min_size=shortest, max_size=max(shortest, domain.max_length or 4))
    if domain.choices == ():
        return None
    for _ in range(20):
        value = data.draw(strategy)
        if within(domain, value):
            return value
    return None


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_single_column(["i", "s", "d"]), min_size=1, max_size=4), data=st.data())
def test_every_value_inside_a_domain_satisfies_the_columns_parts(parts: list[Check], data: st.DataObject) -> None:
    sql = _render(And(tuple(parts)) if len(parts) > 1 else parts[0], data.draw)
    check = parse_check(sql, ["i", "s", "d"], mysql=False)
    for column, domain in domains(check).items():
        value = _value_inside(domain, KIND[column], data)
        if value is None:
            continue
        own = [part for part in conjuncts(check) if column in _columns_of(part)]
        assert all(evaluate(part, {column: value}) for part in own), (to_sql(check), column, value, domain)


def _columns_of(check: Check) -> set[str]:
    if isinstance(check, (And, Or)):
        return {column for part in check.parts for column in _columns_of(part)}
    if isinstance(check, Not):
        return _columns_of(check.part)
    if isinstance(check, ColumnCompare):
        return {check.left, check.right}
    return set() if isinstance(check, Unknown) else {check.column}


# ---------------------------------------------------------------------------------------------------------------
# Odd input never raises

FRAGMENTS = st.sampled_from(["x", "`x`", '"x"', "[x", "]", "(", ")", "'a", "'", "::", "text", "AND", "OR", "NOT",
                             "BETWEEN", "IN", "IS", "NULL", "ANY", "ARRAY[", "1", "-", "1e", "=", "<>", "CAST",
                             "AS", "length(", ",", "\\", "_utf8mb4'", "DATE", "'2020-13-45'::date", "E'\\'"])


@settings(max_examples=500, deadline=None)
@given(text=st.text() | st.lists(FRAGMENTS, max_size=12).map(" ".join))
def test_reading_odd_text_never_raises(text: str) -> None:
    check = parse_check(text, ["x"])
    describe(check)
    unknown_parts(check)
    domains(check)
    evaluate(check, {"x": 1})
    evaluate(check, {"x": "a"})
