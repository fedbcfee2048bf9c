"""``[tool.seedkit.auto]``: what a team tells zero-config seeding about its schema.

```toml
[tool.seedkit.auto]
rows = 200                     # rows per table (--rows N wins)
locale = "de_DE"               # Faker's locale for names, addresses, text
skip = ["audit_log"]           # tables left alone: not emptied, not filled

[tool.seedkit.auto.tables]     # rows for some tables (--rows TABLE=N wins)
users = 50

[tool.seedkit.auto.columns]    # a generator for some columns, keyed "table.column"
"users.email" = "faker:company_email"
"users.bio" = { faker = "paragraph", args = { nb_sentences = 2 } }
"users.role" = { choices = ["admin", "member"], weights = [1, 9] }
"orders.note" = { constant = "imported" }
"orders.code" = "python:myapp.seeding:order_code"   # called as order_code(seed, ordinal)
"users.nickname" = "skip"      # left out: NULL or the column's default

[tool.seedkit.auto.fanout]     # rows per parent row, for a foreign key named by one of its columns
"orders.customer_id" = [0, 12] # each customer gets 0 to 12 orders; the orders' count is their sum
```

Every table and column named here must exist: a misspelt one is an error that names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from seedkit.errors import ConfigError
from seedkit.seeding.auto.declared import Call
from seedkit.seeding.context import DEFAULT_FAKER_LOCALE
from seedkit.seeding.fields import Choice as OneOf, FakerPool

POOL = 1024  # Faker values made once per configured column; rows pick among them by their seed
KNOWN = {"rows", "locale", "skip", "tables", "columns", "fanout"}


@dataclass(frozen=True)
class AutoSettings:
    """The parsed ``[tool.seedkit.auto]`` table."""

    rows: int | None = None
    locale: str = DEFAULT_FAKER_LOCALE
    skip: tuple[str, ...] = ()
    tables: Mapping[str, int] = field(default_factory=dict)
    # "table.column" -> its generator (a field declaration or a constant), or None for a column left out.
    columns: Mapping[str, object | None] = field(default_factory=dict)
    source: str = "[tool.seedkit.auto]"
    fanout: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # "table.column" -> (fewest, most)


def parse_settings(raw: Mapping[str, object], source: str = "[tool.seedkit.auto]") -> AutoSettings:
    """Read the table as written, refusing what it cannot mean with the key to fix."""
    unknown = sorted(set(raw) - KNOWN)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)} in {source}",
                          hint=f"known keys: {', '.join(sorted(KNOWN))}")
    rows = raw.get("rows")
    if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 0):
        raise ConfigError(f"rows in {source} must be a whole number, not {rows!r}")
    locale = raw.get("locale", DEFAULT_FAKER_LOCALE)
    if not isinstance(locale, str):
        raise ConfigError(f"locale in {source} must be a string such as \"de_DE\"")
    skip = raw.get("skip", [])
    if not isinstance(skip, list) or not all(isinstance(name, str) for name in skip):
        raise ConfigError(f"skip in {source} must be a list of table names")
    tables = raw.get("tables", {})
    if not isinstance(tables, dict) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                               for n in tables.values()):
        raise ConfigError(f"[tables] in {source} maps table names to whole numbers of rows")
    columns = raw.get("columns", {})
    if not isinstance(columns, dict):
        raise ConfigError(f"[columns] in {source} maps \"table.column\" to a generator")
    generators = {key: _generator(str(key), value, locale, source) for key, value in columns.items()}
    return AutoSettings(rows, locale, tuple(skip), dict(tables), generators, source,
                        _fanout(raw.get("fanout", {}), source))


def _fanout(raw: object, source: str) -> dict[str, tuple[int, int]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"[fanout] in {source} maps \"table.column\" to [fewest, most]")
    found = {}
    for key, value in raw.items():
        if not (isinstance(value, list) and len(value) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)
                and value[0] <= value[1]):
            raise ConfigError(f"{source} fanout.{key!r} must be [fewest, most], two whole numbers, fewest <= most",
                              hint=f"e.g. \"{key}\" = [0, 12]")
        found[str(key)] = (value[0], value[1])
    return found


def check_names(settings: AutoSettings, columns: Mapping[str, set[str]]) -> None:
    """Refuse a table or column the settings name that the database does not have."""
    for table in [*settings.skip, *settings.tables]:
        if table not in columns:
            raise ConfigError(f"{settings.source} names table {table!r}, which the database does not have",
                              hint=f"the tables are: {', '.join(sorted(columns)) or 'none'}")
    for key in [*settings.columns, *settings.fanout]:
        table, _, column = key.rpartition(".")
        if table not in columns:
            raise ConfigError(f"{settings.source} names column {key!r}: the database has no table {table!r}",
                              hint="key columns as \"table.column\"")
        if column not in columns[table]:
            raise ConfigError(f"{settings.source} names column {key!r}: {table} has no column {column!r}",
                              hint=f"its columns are: {', '.join(sorted(columns[table]))}")


def _generator(key: str, value: object, locale: str, source: str) -> object | None:
    """The field declaration ``value`` means (None: skip), checked now so that a mistake names its line."""
    where = f"{source} columns.{key!r}"
    if value == "skip":
        return None
    if isinstance(value, str) and value.startswith("faker:"):
        return _faker(value[len("faker:"):], {}, locale, where)
    if isinstance(value, str) and value.startswith("python:"):
        try:
            return Call(value[len("python:"):])
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc.message}", hint=exc.hint) from exc
    if isinstance(value, dict) and "faker" in value:
        args = value.get("args", {})
        if not isinstance(args, dict):
            raise ConfigError(f"{where}: args must be a table of the provider's arguments")
        return _faker(str(value["faker"]), args, locale, where)
    if isinstance(value, dict) and "choices" in value:
        return _choices(value["choices"], value.get("weights"), where)
    if isinstance(value, dict) and "constant" in value:
        return value["constant"]
    raise ConfigError(f"{where} is not a generator",
                      hint='use "faker:<provider>", { faker = ..., args = {...} }, { choices = [...] }, '
                           '{ constant = ... }, "python:module:function" or "skip"')


def _faker(provider: str, args: Mapping[str, object], locale: str, where: str) -> FakerPool:
    from faker import Factory

    method = getattr(Factory.create(locale), provider, None)
    if method is None or not callable(method):
        raise ConfigError(f"{where}: Faker has no provider {provider!r} (locale {locale})",
                          hint="see https://faker.readthedocs.io/en/master/providers.html")
    # Lists become tuples: the run keeps one pool per (provider, arguments), so they must be hashable.
    arguments = {name: tuple(v) if isinstance(v, list) else v for name, v in args.items()}
    try:
        method(**arguments)
    except TypeError as exc:
        raise ConfigError(f"{where}: faker:{provider} does not take these arguments ({exc})") from exc
    return FakerPool(provider, POOL, **arguments)


def _choices(choices: object, weights: object, where: str) -> OneOf:
    if not isinstance(choices, list) or not choices:
        raise ConfigError(f"{where}: choices must be a non-empty list")
    if weights is not None and (
            not isinstance(weights, list) or len(weights) != len(choices)
            or not all(isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in weights)
            or sum(weights) <= 0):
        raise ConfigError(f"{where}: weights must be as many non-negative numbers as there are choices")
    return OneOf(tuple(choices), tuple(weights) if weights is not None else None)
