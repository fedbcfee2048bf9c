"""CHECK constraints as zero-config seeding uses them: what each column may hold, which columns must compare, what a
row must satisfy, and what the plan says about it.

``parse_check`` (in ``checks_parse``) reads the database's text into a tree of :class:`Compare`, :class:`Between`,
:class:`InList`, :class:`Length`, :class:`IsNull`, :class:`ColumnCompare`, :class:`And`, :class:`Or`, :class:`Not`
and :class:`Unknown`. Here :func:`domains` turns the top-level single-column parts into a :class:`Domain` per column
for the generators, :func:`cross_column` lists the column-to-column comparisons the planner orders values for,
:func:`evaluate` tells whether a row passes, and :func:`describe` words the check for ``--plan``.
"""

from __future__ import annotations

import datetime as dt
import re
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal

from seedkit.seeding.auto.checks_parse import parse_check
from seedkit.seeding.auto.checks_tree import (
    And,
    Between,
    Check,
    ColumnCompare,
    Compare,
    InList,
    IsNull,
    Length,
    Not,
    Op,
    Or,
    Unknown,
)
from seedkit.seeding.auto.spec import Bound, Domain

__all__ = [
    "And", "Between", "Check", "ColumnCompare", "Compare", "InList", "IsNull", "Length", "Not", "Op", "Or", "Unknown",
    "cross_column", "describe", "domains", "evaluate", "parse_check", "to_sql", "unknown_parts", "within",
]

# The comparison that holds exactly when ``op`` does not (for a non-NULL value): NOT (x < 1) is x >= 1.
_NEGATED: dict[Op, Op] = {"=": "<>", "<>": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = {"and", "or", "not", "in", "is", "null", "between", "true", "false", "check", "cast", "array", "any", "all"}


def conjuncts(check: Check) -> list[Check]:
    """The parts ANDed at the top level (the check itself when it is not an AND)."""
    return list(check.parts) if isinstance(check, And) else [check]


def domains(check: Check) -> dict[str, Domain]:
    """Each column's Domain from the single-column parts ANDed at the top level, intersected per column.

    A domain is safe, not complete: every value inside it satisfies those parts. Where a part allows two ranges
    (``x NOT BETWEEN 1 AND 5``, ``x < 1 OR x > 5``, ``length(x) <> 3``) the domain keeps the first one the other
    parts leave room in; an IN list is narrowed by the column's other parts. Empty ``choices`` mean no value
    passes: the column must be NULL (``x IS NULL``, or parts that contradict each other).
    """
    found: dict[str, Domain] = {}
    alternatives: list[tuple[str, list[Domain]]] = []
    for part in conjuncts(check):
        options = _options(part)
        if options is not None and len(options[1]) == 1:
            column, (domain,) = options
            found[column] = _intersect(found[column], domain) if column in found else domain
        elif options is not None and options[1]:
            alternatives.append(options)
    for column, choices in alternatives:  # after the definite parts, so a choice sees what they leave
        current = found.get(column, Domain())
        merged = [_intersect(current, choice) for choice in choices]
        found[column] = next((domain for domain in merged if not _is_empty(domain)), merged[0])
    return {column: _narrow_choices(domain) for column, domain in found.items()}


def cross_column(check: Check) -> list[ColumnCompare]:
    """The column-to-column comparisons ANDed at the top level, e.g. ``ends_at > starts_at``, also where the
    comparison is allowed to be skipped only by one of its columns being NULL (``ends_on IS NULL OR ends_on >=
    starts_on``): making it hold then never breaks the check."""
    found = []
    for part in conjuncts(check):
        if isinstance(part, ColumnCompare):
            found.append(part)
        elif isinstance(part, Or):
            compares = [p for p in part.parts if isinstance(p, ColumnCompare)]
            rest = [p for p in part.parts if not isinstance(p, ColumnCompare)]
            if len(compares) == 1 and all(isinstance(p, IsNull) and not p.negated and
                                          p.column in (compares[0].left, compares[0].right) for p in rest):
                found.append(compares[0])
    return found


def unknown_parts(check: Check) -> list[str]:
    """The text of every part the reader did not understand, wherever it sits in the tree."""
    if isinstance(check, Unknown):
        return [check.text]
    if isinstance(check, (And, Or)):
        return [text for part in check.parts for text in unknown_parts(part)]
    if isinstance(check, Not):
        return unknown_parts(check.part)
    return []


def evaluate(check: Check, row: Mapping[str, object]) -> bool:
    """Whether ``row`` satisfies the check as the database decides it: a NULL (unknown) result passes.

    A missing column is NULL. An Unknown part is unknown too, so it never fails a row by itself (but ``Unknown AND
    x > 0`` fails when x <= 0). Numbers compare numerically across int, float and Decimal; a date, datetime or time
    compares with a literal written as text by reading the text as that kind, as the database does.
    """
    return _truth(check, row) is not False


def within(domain: Domain, value: object) -> bool:
    """Whether a non-NULL ``value`` lies inside ``domain``: its choices, bounds, exclusions and lengths."""
    if domain.choices is not None and not any(_order(value, choice) == 0 for choice in domain.choices):
        return False
    if any(_order(value, excluded) == 0 for excluded in domain.excluded):
        return False
    if domain.minimum is not None:
        order = _order(value, domain.minimum)
        if order is None or order < 0 or (order == 0 and domain.minimum_exclusive):
            return False
    if domain.maximum is not None:
        order = _order(value, domain.maximum)
        if order is None or order > 0 or (order == 0 and domain.maximum_exclusive):
            return False
    if domain.min_length is not None and _length(value, False) < domain.min_length:
        return False
    return domain.max_length is None or _length(value, domain.max_length_bytes) <= domain.max_length


def describe(check: Check) -> str:
    """A short canonical text for the plan, e.g. ``CHECK (rating BETWEEN 1 AND 5)``."""
    return f"CHECK ({to_sql(check)})"


def to_sql(check: Check) -> str:
    """The check as one SQL expression, names double-quoted where they need it and keywords in capitals."""
    if isinstance(check, Compare):
        return f"{_name(check.column)} {check.op} {_literal(check.value)}"
    if isinstance(check, Between):
        not_ = "NOT " if check.negated else ""
        return f"{_name(check.column)} {not_}BETWEEN {_literal(check.low)} AND {_literal(check.high)}"
    if isinstance(check, InList):
        not_ = "NOT " if check.negated else ""
        return f"{_name(check.column)} {not_}IN ({', '.join(_literal(value) for value in check.values)})"
    if isinstance(check, Length):
        function = "octet_length" if check.bytes else "length"
        return f"{function}({_name(check.column)}) {check.op} {check.n}"
    if isinstance(check, IsNull):
        return f"{_name(check.column)} IS {'NOT ' if check.negated else ''}NULL"
    if isinstance(check, ColumnCompare):
        return f"{_name(check.left)} {check.op} {_name(check.right)}"
    if isinstance(check, (And, Or)):
        inner = Or if isinstance(check, And) else And
        words = [f"({to_sql(part)})" if isinstance(part, inner) else to_sql(part) for part in check.parts]
        return (" AND " if isinstance(check, And) else " OR ").join(words)
    if isinstance(check, Not):
        return f"NOT ({to_sql(check.part)})"
    return check.text


def _options(part: Check) -> tuple[str, list[Domain]] | None:
    """The column of a single-column predicate and Domains each inside it (one, or several alternatives)."""
    if isinstance(part, Not):
        negated = _negate(part.part)
        return None if negated is None else _options(negated)
    if isinstance(part, Compare):
        return part.column, [_compare_domain(part.op, part.value)]
    if isinstance(part, Between):
        if part.negated:
            return part.column, [Domain(maximum=part.low, maximum_exclusive=True),
                                 Domain(minimum=part.high, minimum_exclusive=True)]
        return part.column, [Domain(minimum=part.low, maximum=part.high)]
    if isinstance(part, InList):
        return part.column, [Domain(excluded=part.values) if part.negated else Domain(choices=part.values)]
    if isinstance(part, Length):
        return part.column, _length_domains(part)
    if isinstance(part, IsNull):  # x IS NULL at the top: no value passes but NULL
        return part.column, [Domain(not_null=True) if part.negated else Domain(choices=())]
    if isinstance(part, (And, Or)):
        return _combined(part)
    return None


def _combined(part: And | Or) -> tuple[str, list[Domain]] | None:
    """An AND or OR of one column's predicates: the intersections, or each part's options in turn (an OR of
    ``=`` and IN is one list of choices)."""
    pieces = [found for piece in part.parts if (found := _options(piece)) is not None]
    columns = {column for column, _ in pieces}
    if len(pieces) < len(part.parts) or len(columns) != 1:
        return None
    lists = [options for _, options in pieces]
    if isinstance(part, Or):
        options = [domain for choices in lists for domain in choices]
        if all(domain.choices is not None and domain == Domain(choices=domain.choices) for domain in options):
            return columns.pop(), [Domain(choices=tuple(_unique([c for d in options for c in d.choices or ()])))]
        return columns.pop(), options
    merged = [Domain()]
    for choices in lists:
        merged = [_intersect(domain, choice) for domain in merged for choice in choices][:16]
    return columns.pop(), merged


def _compare_domain(op: Op, value: Bound) -> Domain:
    if op == "=":
        return Domain(choices=(value,))
    if op == "<>":
        return Domain(excluded=(value,))
    if op in ("<", "<="):
        return Domain(maximum=value, maximum_exclusive=op == "<")
    return Domain(minimum=value, minimum_exclusive=op == ">")


def _length_domains(part: Length) -> list[Domain]:
    if part.op == "<>":  # shorter or longer
        longer = Domain(min_length=part.n + 1)
        return [Domain(max_length=part.n - 1, max_length_bytes=part.bytes), longer] if part.n > 0 else [longer]
    low = {"=": part.n, ">": part.n + 1, ">=": part.n}.get(part.op)
    high = {"=": part.n, "<": part.n - 1, "<=": part.n}.get(part.op)
    return [Domain(min_length=low, max_length=high, max_length_bytes=part.bytes and high is not None)]


def _is_empty(domain: Domain) -> bool:
    """Whether plainly no value lies inside (bounds crossed, no choices left); gaps between integers are not seen."""
    narrowed = _narrow_choices(domain)
    if narrowed.choices == ():
        return True
    if domain.min_length is not None and domain.max_length is not None and domain.min_length > domain.max_length:
        return True
    if domain.max_length is not None and domain.max_length < 0:
        return True
    if domain.minimum is None or domain.maximum is None:
        return False
    order = _order(domain.minimum, domain.maximum)
    return order is not None and (order > 0 or (order == 0 and (domain.minimum_exclusive or domain.maximum_exclusive)))


def _negate(part: Check) -> Check | None:
    """The predicate that holds exactly when ``part`` is false (for non-NULL values), where one exists."""
    if isinstance(part, Compare):
        return Compare(part.column, _NEGATED[part.op], part.value)
    if isinstance(part, Length):
        return Length(part.column, _NEGATED[part.op], part.n, part.bytes)
    if isinstance(part, (Between, InList, IsNull)):
        return replace(part, negated=not part.negated)
    if isinstance(part, Not):
        return part.part
    return None


def _intersect(a: Domain, b: Domain) -> Domain:
    """Values inside both: the tighter bound on each side, the common choices, every exclusion."""
    minimum, minimum_exclusive = _tighter(a.minimum, a.minimum_exclusive, b.minimum, b.minimum_exclusive, 1)
    maximum, maximum_exclusive = _tighter(a.maximum, a.maximum_exclusive, b.maximum, b.maximum_exclusive, -1)
    choices = a.choices if b.choices is None else b.choices if a.choices is None else tuple(
        choice for choice in a.choices if any(_order(choice, other) == 0 for other in b.choices))
    lengths = [n for n in (a.max_length, b.max_length) if n is not None]
    min_lengths = [n for n in (a.min_length, b.min_length) if n is not None]
    return Domain(minimum=minimum, maximum=maximum, minimum_exclusive=minimum_exclusive,
                  maximum_exclusive=maximum_exclusive, choices=choices,
                  excluded=tuple(_unique([*a.excluded, *b.excluded])),
                  min_length=max(min_lengths) if min_lengths else None, max_length=min(lengths) if lengths else None,
                  max_length_bytes=a.max_length_bytes or b.max_length_bytes, not_null=a.not_null or b.not_null)


def _tighter(a: Bound | None, a_exclusive: bool, b: Bound | None, b_exclusive: bool,
             direction: int) -> tuple[Bound | None, bool]:
    """The tighter of two bounds: the larger minimum (direction 1) or the smaller maximum (direction -1)."""
    if a is None:
        return b, b_exclusive
    if b is None:
        return a, a_exclusive
    order = _order(a, b)
    if order is None:  # bounds of different kinds: keep the first rather than guess
        return a, a_exclusive
    if order == 0:
        return a, a_exclusive or b_exclusive
    return (a, a_exclusive) if order * direction > 0 else (b, b_exclusive)


def _narrow_choices(domain: Domain) -> Domain:
    """An IN list wins over bounds, so keep only the choices the column's other parts allow too."""
    if domain.choices is None:
        return domain
    return replace(domain, choices=tuple(choice for choice in domain.choices
                                         if within(replace(domain, choices=None), choice)))


def _unique(values: list[Bound]) -> Iterator[Bound]:
    seen: list[Bound] = []
    for value in values:
        if not any(_order(value, other) == 0 and type(value) is type(other) for other in seen):
            seen.append(value)
            yield value


def _truth(check: Check, row: Mapping[str, object]) -> bool | None:
    """SQL's three-valued result of ``check`` on ``row``: True, False, or None for unknown (NULL)."""
    if isinstance(check, Compare):
        return _holds(_order(row.get(check.column), check.value), check.op)
    if isinstance(check, ColumnCompare):
        return _holds(_order(row.get(check.left), row.get(check.right)), check.op)
    if isinstance(check, Between):
        value = row.get(check.column)
        inside = _and([_holds(_order(value, check.low), ">="), _holds(_order(value, check.high), "<=")])
        return _not(inside) if check.negated else inside
    if isinstance(check, InList):
        value = row.get(check.column)
        found = _or([_holds(_order(value, choice), "=") for choice in check.values])
        return _not(found) if check.negated else found
    if isinstance(check, Length):
        value = row.get(check.column)
        return None if value is None else _holds(_order(_length(value, check.bytes), check.n), check.op)
    if isinstance(check, IsNull):
        return (row.get(check.column) is None) != check.negated
    if isinstance(check, And):
        return _and([_truth(part, row) for part in check.parts])
    if isinstance(check, Or):
        return _or([_truth(part, row) for part in check.parts])
    if isinstance(check, Not):
        return _not(_truth(check.part, row))
    return None


def _and(results: list[bool | None]) -> bool | None:
    return False if False in results else None if None in results else True


def _or(results: list[bool | None]) -> bool | None:
    return True if True in results else None if None in results else False


def _not(result: bool | None) -> bool | None:
    return None if result is None else not result


_HOLDS: dict[str, Callable[[int, int], bool]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _holds(order: int | None, op: Op) -> bool | None:
    return None if order is None else _HOLDS[op](order, 0)


def _length(value: object, in_bytes: bool) -> int:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    text = value if isinstance(value, str) else str(value)
    return len(text.encode("utf-8")) if in_bytes else len(text)


def _order(value: object, other: object) -> int | None:
    """-1, 0 or 1 as ``value`` sorts before, with or after ``other``; None when either is NULL or they do not compare.

    Numbers compare across kinds; a date, datetime or time against text reads the text as that kind (PostgreSQL's
    unknown literal, MariaDB's and SQLite's dates as text); a date against a datetime is that day's midnight.
    """
    if value is None or other is None:
        return None
    kind = type(value)
    if kind is type(other) and kind in _ORDERED:  # the common case, without reading either as the other's kind
        return int(value > other) - int(value < other)  # type: ignore[operator]
    left, right = _comparable(value, other), _comparable(other, value)
    if left is None or right is None:
        return None
    try:
        return int(left > right) - int(left < right)  # type: ignore[operator]
    except TypeError:  # aware against naive datetimes, text against numbers
        return None


_ORDERED = frozenset({int, str, Decimal, dt.date})  # kinds whose two values always order (not a NaN, not a naive time against an aware one)


def _comparable(value: object, like: object) -> object | None:
    """``value`` made comparable with ``like``: text read as a number or a date where ``like`` is one."""
    if isinstance(value, str) and not isinstance(like, str):
        try:
            if isinstance(like, dt.datetime):
                return dt.datetime.fromisoformat(value)
            if isinstance(like, dt.date):
                return dt.date.fromisoformat(value) if len(value.strip()) <= 10 else \
                    dt.datetime.fromisoformat(value)
            if isinstance(like, dt.time):
                return dt.time.fromisoformat(value)
            if isinstance(like, (int, float, Decimal)):
                return Decimal(value.strip())
        except (ValueError, ArithmeticError):
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and isinstance(like, dt.datetime):
        return dt.datetime.combine(value, dt.time(), like.tzinfo)
    if isinstance(value, float) and isinstance(like, Decimal) and value != value:
        return None  # NaN orders with nothing
    return value


def _name(column: str) -> str:
    if _PLAIN_NAME.fullmatch(column) and column.lower() not in _RESERVED:
        return column
    return '"' + column.replace('"', '""') + '"'


def _literal(value: Bound) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, dt.datetime):
        value = value.isoformat(sep=" ")
    elif isinstance(value, (dt.date, dt.time)):
        value = value.isoformat()
    return "'" + value.replace("'", "''") + "'"
