"""``seedkit seeds init``: the zero-config plan written as an ordinary seeds module. Run with the same seed and
counts, the module writes what ``seed --auto`` writes, on every backend; an edited field changes only its column;
a module that no longer matches the schema fails with a line naming the table and column; and the command refuses
to overwrite a file it was not told to."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import secrets
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import seedkit
from backends import run_statements
from helpers import cli_args, config_for
from seedkit.seeding import Factory, Reference, Seeds
from seedkit.seeding.auto import Inferred
from test_cli import run_main

from .app_schema import app_schema
from .hard_schemas import SCHEMAS
from .test_auto_seed import foreign_key_violations, row_counts

SEED = 5


class Modules:
    """Seeds modules written into a folder on ``sys.path``, each under a name no other test (or edit) uses."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: list[str] = []

    def _new(self) -> tuple[str, Path]:
        name = f"ejected_{secrets.token_hex(6)}"
        self.names.append(name)
        return name, self.folder / f"{name}.py"

    def eject(self, url: str, config, **options) -> tuple[str, str]:
        """``seeds_init`` for ``url`` into a new module: its import name and its source."""
        name, path = self._new()
        report = seedkit.seeds_init(path, db=url, config=config, **options)
        assert report.path == path.resolve()
        importlib.invalidate_caches()
        return name, path.read_text(encoding="utf-8")

    def write(self, source: str) -> str:
        """``source`` as a new module (never the old name: its cached bytecode could be reused): its name."""
        name, path = self._new()
        path.write_text(source, encoding="utf-8")
        importlib.invalidate_caches()
        return name

    def load(self, name: str):
        return importlib.import_module(name)


@pytest.fixture
def modules(tmp_path, monkeypatch):
    folder = tmp_path / "seed_modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    made = Modules(folder)
    yield made
    for name in made.names:
        sys.modules.pop(name, None)


def schema_of(kind: str, backend_name: str) -> list[str]:
    return SCHEMAS[backend_name]() if kind == "hard" else app_schema(backend_name)


def database_with(new_database, statements: list[str]) -> str:
    url = new_database()
    run_statements(url, *statements)
    return url


def seed_module(url: str, config, module: str, seed: int = SEED):
    report = seedkit.seed(url, config=dataclasses.replace(config, seeds=module), seed=seed)
    assert report.ok, report.errors
    return report


def snapshot_hash(url: str, config, name: str) -> str:
    return seedkit.snapshot(url, name, config=config).content_hash


def columns_of(url: str) -> dict[str, dict[str, list[object]]]:
    """Every table's values, column by column, rows in key order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            found = {}
            for name in sa.inspect(conn).get_table_names():
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                order = list(table.primary_key.columns) or list(table.columns)
                rows = conn.execute(sa.select(table).order_by(*order)).mappings().all()
                found[name] = {column.name: [row[column.name] for row in rows] for column in table.columns}
            return found
    finally:
        engine.dispose()


def edit_field(source: str, table: str, column: str, new: str | None) -> str:
    """``source`` with ``column``'s line in ``table``'s factory replaced by ``"column": new`` (None: removed)."""
    start = source.index(f"= Factory({json.dumps(table)}, {{\n")
    end = source.index("})\n", start)
    block = source[start:end]
    line = re.compile(rf"^    {re.escape(json.dumps(column))}: .*\n", re.MULTILINE)
    assert line.search(block), f"no field {column!r} in the {table} factory"
    replacement = "" if new is None else f"    {json.dumps(column)}: {new},\n"
    return source[:start] + line.sub(lambda _: replacement, block, count=1) + source[end:]


def importing(source: str, names: str) -> str:
    return source.replace("from __future__ import annotations\n",
                          f"from __future__ import annotations\n\nfrom seedkit.seeding import {names}\n", 1)


# ---------------------------------------------------------------------- the promise: the same rows as --auto
@pytest.mark.parametrize("kind, rows", [("hard", 1), ("hard", 40), ("app", 20)])
def test_the_ejected_module_writes_what_seed_auto_writes(backend, new_database, snapshot_dirs, modules, kind, rows):
    statements = schema_of(kind, backend.name)
    target = database_with(new_database, statements)
    config = config_for(snapshot_dirs, target)
    module, _ = modules.eject(target, config, rows=rows)

    report = seed_module(target, config, module)
    assert set(report.created.values()) == {rows}
    ejected = snapshot_hash(target, config, "ejected")

    auto = database_with(new_database, statements)
    seedkit.seed_auto(auto, config=config, rows=rows, seed=SEED)
    assert ejected == snapshot_hash(auto, config, "auto")

    # Run again into the same database: the cycles' and trees' keys are cleared first, and the same rows come back.
    seed_module(target, config, module)
    assert snapshot_hash(target, config, "again") == ejected
    assert foreign_key_violations(target) == []
    if (kind, rows) == ("hard", 40):  # a different seed is different data: the module follows the seed given
        seed_module(target, config, module, seed=SEED + 1)
        assert snapshot_hash(target, config, "other") != ejected


# ---------------------------------------------------------------------- an ordinary seeds module
GROUPS = [
    "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    ("CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id), "
     "title VARCHAR(80) NOT NULL)"),
    "CREATE TABLE reviews (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES books (id), stars INTEGER)",
    "CREATE TABLE teams (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    ("CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id), "
     "mentor_id INTEGER REFERENCES members (id), email VARCHAR(80) NOT NULL UNIQUE)"),
    "CREATE TABLE settings (name VARCHAR(20) PRIMARY KEY, value TEXT)",
]


def test_one_area_per_connected_group_and_the_profile_has_the_rows_asked(sqlite_backend, database_factory,
                                                                         snapshot_dirs, modules):
    url = database_factory(sqlite_backend)
    run_statements(url, *GROUPS)
    config = config_for(snapshot_dirs, url)
    module = f"by_cli_{secrets.token_hex(6)}"
    path = modules.folder / f"{module}.py"
    modules.names.append(module)
    code, out, err = run_main(*cli_args(url, config, "seeds", "init", "--out", str(path), "--rows", "7",
                                        "--rows", "books=12", "--json"))
    assert code == 0, err
    assert json.loads(out)["tables"] == 6 and json.loads(out)["areas"] == 3
    source = path.read_text(encoding="utf-8")
    compile(source, str(path), "exec")
    importlib.invalidate_caches()
    seeds = modules.load(module).SEEDS
    assert isinstance(seeds, Seeds) and seeds.create_tables is False
    assert sorted(sorted(area.owned_tables) for area in seeds.areas) == [
        ["authors", "books", "reviews"], ["members", "teams"], ["settings"]]
    expected = {"authors": 7, "books": 12, "reviews": 7, "teams": 7, "members": 7, "settings": 7}
    assert seeds.profiles.default == "auto"
    assert dict(seeds.profiles.by_name["auto"].counts) == expected

    report = seed_module(url, config, module)
    assert report.created == expected and row_counts(url) == expected
    assert foreign_key_violations(url) == []


def test_every_column_the_plan_names_is_a_field_with_the_plans_generator(backend, new_database, snapshot_dirs,
                                                                         modules):
    url = database_with(new_database, SCHEMAS[backend.name]())
    config = config_for(snapshot_dirs, url)
    module, source = modules.eject(url, config, rows=9)
    factories = {value.table: value.fields for value in vars(modules.load(module)).values()
                 if isinstance(value, Factory)}
    plan = seedkit.plan_auto(url, config=config, rows=9)
    assert set(factories) == {table.table.key for table in plan.tables}
    computed = 0
    for table in plan.tables:
        fields = factories[table.table.key]
        database_fills = {name for name, _ in table.table.computed}
        computed += len(database_fills)
        keys = {column for fk in table.table.foreign_keys for column in fk.columns}
        lines = [line for line in table.lines if line.column != "(check)"]
        assert {line.column for line in lines} - database_fills == set(fields), table.table.key
        for line in lines:
            if line.column in keys:
                assert isinstance(fields[line.column], Reference)
            elif line.column not in database_fills:
                assert fields[line.column] == Inferred(line.generator), (table.table.key, line.column)
    assert (computed > 0) is (backend.name == "postgresql")  # the identity GENERATED ALWAYS is the database's
    compile(source, module, "exec")


# ---------------------------------------------------------------------- editing a field
EDITS = [  # (table, column, the new declaration, what every value must then be)
    ("products", "status", 'Choice(("draft", "retired"))', lambda row: row["status"] in ("draft", "retired")),
    ("orders", "currency", '"EUR"', lambda row: row["currency"] == "EUR"),
    ("staff", "last_name", 'LazyAttribute(lambda row: row["first_name"] + "!")',
     lambda row: row["last_name"] == row["first_name"] + "!"),
]


def test_an_edited_field_changes_only_its_column(backend, new_database, snapshot_dirs, modules):
    statements = SCHEMAS[backend.name]()
    edited = database_with(new_database, statements)
    config = config_for(snapshot_dirs, edited)
    _, source = modules.eject(edited, config, rows=40)
    for table, column, declaration, _ in EDITS:
        source = edit_field(source, table, column, declaration)
    seed_module(edited, config, modules.write(importing(source, "Choice, LazyAttribute")))
    auto = database_with(new_database, statements)
    seedkit.seed_auto(auto, config=config, rows=40, seed=SEED)

    got, expected = columns_of(edited), columns_of(auto)
    assert got.keys() == expected.keys()
    changed = {(table, column): holds for table, column, _, holds in EDITS}
    for table, columns in expected.items():
        assert got[table].keys() == columns.keys()
        for column, values in columns.items():
            if (table, column) not in changed:
                assert got[table][column] == values, f"{table}.{column} changed"
    for (table, column), holds in changed.items():
        rows = [dict(zip(got[table], values)) for values in zip(*got[table].values())]
        assert len(rows) == 40 and all(holds(row) for row in rows), (table, column)
        assert got[table][column] != expected[table][column]
    assert set(got["products"]["status"]) == {"draft", "retired"}  # both options are drawn


# ---------------------------------------------------------------------- a module that no longer fits the schema
BROKEN = [  # (edit of the ejected source, words the error line must hold: the table first)
    (lambda s: edit_field(s, "customers", "phone", 'Inferred(""),\n    "fax": "0"'), ["customers", "'fax'"]),
    (lambda s: edit_field(s, "customers", "email", None), ["customers", "NOT NULL", "email"]),
    (lambda s: edit_field(s, "orders", "customer_id", "7"), ["orders", "'customer_id'", "customers.id", "Reference"]),
    (lambda s: edit_field(s, "orders", "currency", 'Reference("customers", "id")'),
     ["orders", "currency", "not a foreign key"]),
    (lambda s: s.replace('Factory("profiles", {', 'Factory("ghosts", {', 1), ["ghosts", "no table"]),
]


@pytest.mark.parametrize("case", range(len(BROKEN)), ids=["missing-column", "not-null-removed", "key-not-reference",
                                                          "reference-not-key", "missing-table"])
def test_a_module_that_no_longer_fits_fails_with_one_line_naming_it(sqlite_backend, database_factory, snapshot_dirs,
                                                                     modules, case):
    url = database_factory(sqlite_backend)
    run_statements(url, *SCHEMAS["sqlite"]())
    config = config_for(snapshot_dirs, url)
    _, source = modules.eject(url, config, rows=5)
    edit, words = BROKEN[case]
    broken = edit(source)
    assert broken != source
    module = modules.write(broken)

    report = seedkit.seed(url, config=dataclasses.replace(config, seeds=module), seed=SEED)
    words = [f"Factory({words[0]!r}", *words]  # seedkit's own check names it, not the database's refusal
    assert len(report.errors) == 1 and all(word in report.errors[0] for word in words), report.errors

    Path("pyproject.toml").write_text(f'[tool.seedkit]\nseeds = "{module}"\n', encoding="utf-8")
    code, out, err = run_main(*cli_args(url, config, "seed", "--seed", str(SEED)))
    assert code == 1 and "Traceback" not in out + err, out + err
    errors = [line for line in out.splitlines() if line.startswith("error ")]
    assert len(errors) == 1 and all(word in errors[0] for word in words), out


# ---------------------------------------------------------------------- [tool.seedkit.auto] columns
def test_configured_columns_are_written_as_their_declarations(backend, new_database, snapshot_dirs, modules):
    statements = SCHEMAS[backend.name]()
    target = database_with(new_database, statements)
    helper = f"values_{secrets.token_hex(6)}"
    (modules.folder / f"{helper}.py").write_text("def note(seed, ordinal):\n    return f'note {ordinal} {seed % 97}'\n",
                                                 encoding="utf-8")
    modules.names.append(helper)
    importlib.invalidate_caches()
    config = dataclasses.replace(config_for(snapshot_dirs, target), auto={"columns": {
        "products.status": {"choices": ["draft", "live"], "weights": [1, 3]},
        "orders.currency": {"constant": "EUR"},
        "customers.full_name": "faker:name",
        "products.description": "skip",
        "line_notes.body": f"python:{helper}:note",
    }})
    module, source = modules.eject(target, config, rows=30)
    for written in ['"status": Choice(("draft", "live"), (1, 3)),', '"currency": "EUR",',
                    '"full_name": FakerPool("name", 1024),', '# "description": left out',
                    f'"body": Call("{helper}:note"),']:
        assert written in source, written
    assert '"description": Inferred' not in source

    seed_module(target, config, module)
    auto = database_with(new_database, statements)
    seedkit.seed_auto(auto, config=config, rows=30, seed=SEED)
    assert snapshot_hash(target, config, "ejected") == snapshot_hash(auto, config, "auto")
    values = columns_of(target)
    assert set(values["orders"]["currency"]) == {"EUR"} and set(values["products"]["status"]) == {"draft", "live"}
    assert set(values["products"]["description"]) == {None}
    assert values["line_notes"]["body"][0].startswith("note 0 ")
    # Without the configuration, the module infers those columns again.
    _, plain = modules.eject(target, config_for(snapshot_dirs, target), rows=30)
    assert '"currency": Inferred(' in plain and "Choice((" not in plain and "FakerPool(\"name\"" not in plain


# ---------------------------------------------------------------------- the command
def test_seeds_init_writes_refuses_to_overwrite_and_replaces_with_force(sqlite_backend, database_factory,
                                                                        snapshot_dirs):
    url = database_factory(sqlite_backend)
    run_statements(url, *GROUPS)
    config = config_for(snapshot_dirs, url)
    path = Path.cwd() / "shop_seeds.py"  # the project root: no pyproject.toml, so the current folder

    code, out, err = run_main(*cli_args(url, config, "seeds", "init", "--out", str(path), "--rows", "4"))
    assert code == 0, err
    assert str(path) in out and "6 table(s) in 3 area(s)" in out
    assert 'seeds = "shop_seeds"' in out
    first = path.read_text(encoding="utf-8")
    assert 'Profile("auto", {' in first and '"settings": 4' in first

    code, out, err = run_main(*cli_args(url, config, "seeds", "init", "--out", str(path), "--rows", "9"))
    assert code == 2 and "Traceback" not in err
    assert any(str(path) in line and "exists" in line for line in err.strip().splitlines()), err
    assert path.read_text(encoding="utf-8") == first

    code, out, err = run_main(*cli_args(url, config, "seeds", "init", "--out", str(path), "--rows", "9",
                                        "--force", "--json"))
    assert code == 0, err
    assert json.loads(out) == {"path": str(path), "module": "shop_seeds", "tables": 6, "areas": 3}
    replaced = path.read_text(encoding="utf-8")
    assert replaced != first and '"settings": 9' in replaced

    for bad, words in [("seeds.txt", "not a Python file"), ("missing/seeds.py", "not a folder")]:
        code, out, err = run_main(*cli_args(url, config, "seeds", "init", "--out", bad))
        assert code == 2 and words in err and "Traceback" not in err, err
        assert not (Path.cwd() / bad).exists()

    # The default: seeds.py in the project root.
    code, out, err = run_main(*cli_args(url, config, "seeds", "init", "--json"))
    assert code == 0, err
    assert json.loads(out)["path"] == str(Path.cwd() / "seeds.py") and (Path.cwd() / "seeds.py").is_file()


def test_a_database_without_tables_gets_no_module(sqlite_backend, database_factory, snapshot_dirs):
    url = database_factory(sqlite_backend)
    run_statements(url, "CREATE TABLE scratch (a INTEGER)", "DROP TABLE scratch")  # the file exists, empty
    config = config_for(snapshot_dirs, url)
    code, out, err = run_main(*cli_args(url, config, "seeds", "init"))
    assert code == 1 and "has no tables to write seeds for" in err and "run the migrations" in err
    assert len(err.strip().splitlines()) == 1 and not (Path.cwd() / "seeds.py").exists()
