"""Read a CHECK constraint's SQL text, as PostgreSQL, MariaDB/MySQL or SQLite report it, into a small tree.

The three report the same constraint differently: PostgreSQL adds casts and parentheses and turns ``IN`` into
``= ANY (ARRAY[...])``, MariaDB quotes with backticks, lowercases keywords and escapes with backslashes, SQLite gives
the text as written. The reader splits the text at its top-level ``OR`` and ``AND`` first and reads each piece on its
own, so a piece it cannot read becomes :class:`Unknown` and leaves its neighbours usable. It never raises.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Union

from seedkit.seeding.auto.checks_tree import (FLIPPED, OPS, And, Between, Check, ColumnCompare, Compare, InList,
                                              IsNull, Length, Not, Op, Or, Unknown)
from seedkit.seeding.auto.spec import Bound

_TOKEN = r"""
    (?P<space>\s+)
  | (?P<string>(?:_[A-Za-z0-9]+|[Nn])?'STRING_BODY*')
  | (?P<dquote>"(?:[^"]|"")*")
  | (?P<btick>`(?:[^`]|``)*`)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<op>::|<=|>=|<>|!=|==|\|\||[-+*/%=<>(),.\[\]~!@#&|^;:])
"""
# MariaDB/MySQL escape quotes in strings with a backslash; the standard (PostgreSQL, SQLite) only doubles them.
_TOKENS = {False: re.compile(_TOKEN.replace("STRING_BODY", "(?:[^']|'')"), re.VERBOSE),
           True: re.compile(_TOKEN.replace("STRING_BODY", r"(?:[^'\\]|''|\\.)"), re.VERBOSE)}
_LENGTHS = {"length": False, "char_length": False, "character_length": False, "octet_length": True}
# Words that continue a type name after its first word: double precision, timestamp with time zone, ...
_TYPE_WORDS = {"precision", "varying", "with", "without", "time", "zone", "integer", "int", "signed", "unsigned"}
_INTEGERS = {"int", "integer", "bigint", "smallint", "tinyint", "mediumint", "int2", "int4", "int8", "signed",
             "unsigned", "serial", "bigserial"}
_DECIMALS = {"numeric", "decimal", "dec", "money"}
_FLOATS = {"double", "real", "float", "float4", "float8"}
_TEXTS = {"text", "varchar", "char", "character", "bpchar", "citext", "name", "nvarchar", "nchar", "string"}


@dataclass(frozen=True)
class _Token:
    kind: str  # string, ident (quoted), number, word, op
    text: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


class _Unreadable(Exception):
    """A piece of the text is outside the grammar; the piece becomes Unknown."""


@dataclass(frozen=True)
class _Col:
    name: str


@dataclass(frozen=True)
class _Lit:
    value: Bound


@dataclass(frozen=True)
class _Len:
    column: str
    bytes: bool


@dataclass(frozen=True)
class _Array:
    values: tuple[Bound, ...]


_Operand = Union[_Col, _Lit, _Len, _Array]


def parse_check(sqltext: str, columns: Collection[str], *, mysql: bool | None = None) -> Check:
    """Read one CHECK constraint's text against the table's ``columns``; what cannot be read becomes Unknown.

    ``mysql`` says the text comes from MariaDB/MySQL, where ``length()`` counts bytes and strings escape with a
    backslash; None guesses so from backtick-quoted names, which only those servers print.
    """
    try:
        return _Reader(sqltext, columns, mysql).read()
    except Exception:  # the promise is "never raises": any surprise in odd input is an Unknown, not a crash
        return Unknown(sqltext.strip())


def _tokens(text: str, mysql: bool) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKENS[mysql].match(text, position)
        if match is None:
            raise _Unreadable(text[position:])
        kind = match.lastgroup or ""
        if kind != "space":
            raw = match.group()
            if kind == "string":
                tokens.append(_Token("string", _unquote_string(raw, mysql), match.start(), match.end()))
            elif kind == "dquote":
                tokens.append(_Token("ident", raw[1:-1].replace('""', '"'), match.start(), match.end()))
            elif kind == "btick":
                tokens.append(_Token("ident", raw[1:-1].replace("``", "`"), match.start(), match.end()))
            elif raw == "[" and not _opens_array(tokens, text, match.end()):
                close = text.find("]", match.end())  # SQLite's [quoted name]
                if close < 0:
                    raise _Unreadable(text[position:])
                tokens.append(_Token("ident", text[match.end():close], match.start(), close + 1))
                position = close + 1
                continue
            else:
                tokens.append(_Token(kind, raw, match.start(), match.end()))
        position = match.end()
    return tokens


def _opens_array(tokens: list[_Token], text: str, after: int) -> bool:
    """Whether a ``[`` is PostgreSQL's ARRAY[...] or a type's ``[]``, rather than SQLite's quoted name."""
    return bool(tokens) and (tokens[-1].is_word("array") or text[after:after + 1] == "]")


def _unquote_string(raw: str, mysql: bool) -> str:
    body = raw[raw.index("'") + 1:-1]
    if not mysql:
        return body.replace("''", "'")
    simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "Z": "\x1a"}
    return re.sub(r"''|\\(.)", lambda m: "'" if m.group() == "''" else simple.get(m.group(1), m.group(1)), body)


class _Reader:
    def __init__(self, text: str, columns: Collection[str], mysql: bool | None) -> None:
        self.text = text
        self.columns = list(columns)
        self.mysql = "`" in text if mysql is None else mysql
        self.tokens = _tokens(text, self.mysql)

    def read(self) -> Check:
        lo, hi = 0, len(self.tokens)
        if hi and self.tokens[0].is_word("check"):
            lo += 1
        return self._or(lo, hi)

    def _source(self, lo: int, hi: int) -> str:
        if lo >= hi:
            return self.text.strip()
        return self.text[self.tokens[lo].start:self.tokens[hi - 1].end]

    def _split(self, lo: int, hi: int, word: str) -> list[tuple[int, int]]:
        """The pieces of tokens[lo:hi] between the top-level ``word`` (AND or OR), not counting BETWEEN's AND."""
        pieces, depth, start, between = [], 0, lo, False
        for index in range(lo, hi):
            token = self.tokens[index]
            if token.text in ("(", "["):
                depth += 1
            elif token.text in (")", "]"):
                depth -= 1
            elif depth == 0 and token.is_word("between"):
                between = True
            elif depth == 0 and token.is_word(word):
                if word == "and" and between:
                    between = False
                    continue
                pieces.append((start, index))
                start = index + 1
        pieces.append((start, hi))
        return pieces

    def _or(self, lo: int, hi: int) -> Check:
        pieces = self._split(lo, hi, "or")
        if len(pieces) == 1:
            return self._and(lo, hi)
        return Or(_flatten(Or, [self._and(a, b) for a, b in pieces]))

    def _and(self, lo: int, hi: int) -> Check:
        pieces = self._split(lo, hi, "and")
        if len(pieces) == 1:
            return self._not(lo, hi)
        return And(_flatten(And, [self._not(a, b) for a, b in pieces]))

    def _not(self, lo: int, hi: int) -> Check:
        if lo < hi and self.tokens[lo].is_word("not"):
            inner = self._not(lo + 1, hi)
            return Unknown(self._source(lo, hi)) if isinstance(inner, Unknown) else Not(inner)
        if lo < hi and self.tokens[lo].text == "(" and self._closing(lo) == hi - 1:
            return self._or(lo + 1, hi - 1)
        try:
            return _Predicate(self, lo, hi).read()
        except (_Unreadable, ValueError, ArithmeticError, IndexError):
            return Unknown(self._source(lo, hi))

    def _closing(self, index: int) -> int:
        depth = 0
        for position in range(index, len(self.tokens)):
            text = self.tokens[position].text
            depth += text in ("(", "[")
            depth -= text in (")", "]")
            if depth == 0:
                return position
        return -1

    def column(self, token: _Token) -> str:
        """The table's column that ``token`` names: exactly, or else ignoring case when that is unambiguous."""
        if token.text in self.columns:
            return token.text
        folded = [name for name in self.columns if name.lower() == token.text.lower()]
        if len(folded) == 1:
            return folded[0]
        raise _Unreadable(token.text)


class _Predicate:
    """One comparison, BETWEEN, IN or IS NULL over tokens[lo:hi], read left to right."""

    def __init__(self, reader: _Reader, lo: int, hi: int) -> None:
        self.reader, self.position, self.hi = reader, lo, hi

    def peek(self, ahead: int = 0) -> _Token | None:
        index = self.position + ahead
        return self.reader.tokens[index] if index < self.hi else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _Unreadable("end of text")
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text.lower() != text:
            raise _Unreadable(token.text)

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token is not None and token.kind in ("word", "op") and token.text.lower() in texts

    def read(self) -> Check:
        left = self.operand()
        negated = self.at("not")
        if negated:
            self.take()
        if self.at("between"):
            self.take()
            low = self.operand()
            self.expect("and")
            high = self.operand()
            result: Check = _length_between(left, low, high, negated) if isinstance(left, _Len) else \
                Between(_column(left), _literal(low), _literal(high), negated)
        elif self.at("in"):
            self.take()
            self.expect("(")
            values = [_literal(self.operand())]
            while self.at(","):
                self.take()
                values.append(_literal(self.operand()))
            self.expect(")")
            result = InList(_column(left), tuple(values), negated)
        elif self.at("is") and not negated:
            self.take()
            is_not = self.at("not")
            if is_not:
                self.take()
            self.expect("null")
            result = IsNull(_column(left), is_not)
        elif not negated and (token := self.peek()) is not None and token.kind == "op" and token.text in OPS:
            self.take()
            result = self.comparison(left, OPS[token.text])
        else:
            raise _Unreadable("not a predicate")
        if self.peek() is not None:
            raise _Unreadable("trailing text")
        return result

    def comparison(self, left: _Operand, op: Op) -> Check:
        if self.at("any", "some", "all"):
            quantifier = self.take().text.lower()
            self.expect("(")
            array = self.operand()
            self.expect(")")
            if not isinstance(array, _Array) or (op, quantifier == "all") not in (("=", False), ("<>", True)):
                raise _Unreadable("quantified comparison")
            return InList(_column(left), array.values, op == "<>")
        right = self.operand()
        if isinstance(left, _Lit) and not isinstance(right, _Lit):
            left, right, op = right, left, FLIPPED[op]
        if isinstance(left, _Col) and isinstance(right, _Col):
            return ColumnCompare(left.name, op, right.name)
        if isinstance(left, _Col) and isinstance(right, _Lit):
            return Compare(left.name, op, right.value)
        if isinstance(left, _Len) and isinstance(right, _Lit) and type(right.value) is int:
            return Length(left.column, op, right.value, left.bytes)
        raise _Unreadable("comparison")

    def operand(self) -> _Operand:
        if self.at("-", "+"):
            sign = -1 if self.take().text == "-" else 1
            inner = self.operand()
            if not isinstance(inner, _Lit) or not isinstance(inner.value, (int, float, Decimal)):
                raise _Unreadable("sign")
            return _Lit(inner.value * sign)
        result = self.primary()
        while self.at("::"):
            self.take()
            result = _cast(result, self.type_name())
        return result

    def primary(self) -> _Operand:
        token = self.take()
        following = self.peek()
        if token.text == "(":
            inner = self.operand()
            self.expect(")")
            return inner
        if token.kind == "number":
            return _Lit(_number(token.text))
        if token.kind == "string":
            return _Lit(token.text)
        if token.kind == "ident":
            return self.qualified(token)
        if token.kind != "word":
            raise _Unreadable(token.text)
        word = token.text.lower()
        if word in ("true", "false"):
            return _Lit(word == "true")
        if word in ("date", "time", "timestamp", "datetime") and following is not None and following.kind == "string":
            self.take()
            return _cast(_Lit(following.text), word)
        if following is not None and following.text == "(":
            return self.call(word)
        if word == "array" and following is not None and following.text == "[":
            self.take()
            values: list[Bound] = []
            while not self.at("]"):
                if values:
                    self.expect(",")
                values.append(_literal(self.operand()))
            self.take()
            return _Array(tuple(values))
        if word == "null":
            raise _Unreadable("NULL")
        return self.qualified(token)

    def qualified(self, token: _Token) -> _Col:
        # table.column names the column; only the last part matters within one table's CHECK
        while self.at("."):
            self.take()
            token = self.take()
        return _Col(self.reader.column(token))

    def call(self, function: str) -> _Operand:
        self.expect("(")
        inner = self.operand()
        if function == "cast":
            self.expect("as")
            inner = _cast(inner, self.type_name())
        elif function in _LENGTHS and isinstance(inner, _Col):
            counts_bytes = _LENGTHS[function] or (function == "length" and self.reader.mysql)
            inner = _Len(inner.name, counts_bytes)
        else:
            raise _Unreadable(function)
        self.expect(")")
        return inner

    def type_name(self) -> str:
        """A type after ``::`` or ``AS``: its first word, lowercased (``double precision`` is ``double``)."""
        token = self.take()
        if token.kind not in ("word", "ident"):
            raise _Unreadable(token.text)
        name = token.text.lower()
        while (following := self.peek()) is not None and following.is_word(*_TYPE_WORDS):
            self.take()
        if self.at("("):
            while not self.at(")"):
                self.take()
            self.take()
        while self.at("[") and (after := self.peek(1)) is not None and after.text == "]":
            self.position += 2
        return name


def _flatten(kind: type[And] | type[Or], parts: list[Check]) -> tuple[Check, ...]:
    flat: list[Check] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, kind) else (part,))
    return tuple(flat)


def _length_between(left: _Len, low: _Operand, high: _Operand, negated: bool) -> Check:
    """``length(c) [NOT] BETWEEN m AND n`` as the two length comparisons it means."""
    lo, hi = _literal(low), _literal(high)
    if type(lo) is not int or type(hi) is not int:
        raise _Unreadable("length between non-integers")
    if negated:
        return Or((Length(left.column, "<", lo, left.bytes), Length(left.column, ">", hi, left.bytes)))
    return And((Length(left.column, ">=", lo, left.bytes), Length(left.column, "<=", hi, left.bytes)))


def _column(operand: _Operand) -> str:
    if not isinstance(operand, _Col):
        raise _Unreadable("expected a column")
    return operand.name


def _literal(operand: _Operand) -> Bound:
    if not isinstance(operand, _Lit):
        raise _Unreadable("expected a literal")
    return operand.value


def _number(text: str) -> int | float | Decimal:
    if "e" in text.lower():
        return float(text)
    if "." in text:
        return Decimal(text)
    return int(text)


_CONVERSIONS: list[tuple[Collection[str], Callable[[Bound], Bound]]] = [
    (_INTEGERS, lambda v: int(Decimal(str(v)))),
    (_DECIMALS, lambda v: Decimal(str(v))),
    (_FLOATS, lambda v: float(str(v))),
    ({"date"}, lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))),
    ({"timestamp", "timestamptz", "datetime"},
     lambda v: v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))),
    ({"time", "timetz"}, lambda v: v if isinstance(v, dt.time) else dt.time.fromisoformat(str(v))),
    (_TEXTS, lambda v: v if isinstance(v, str) else str(v)),
    ({"bool", "boolean"}, lambda v: str(v).lower() in ("t", "true", "1", "y", "yes", "on")),
]


def _cast(operand: _Operand, type_name: str) -> _Operand:
    """A cast turns a literal into that type's value; on a column or an array it changes nothing we compare."""
    if not isinstance(operand, _Lit):
        return operand
    for names, convert in _CONVERSIONS:
        if type_name in names:
            try:
                return _Lit(convert(operand.value))
            except (ValueError, ArithmeticError, InvalidOperation) as exc:
                raise _Unreadable(f"{operand.value!r}::{type_name}") from exc
    return operand
