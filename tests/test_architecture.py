"""The layout holds: imports only go down the layers, the import graph has no cycles, and only the dialects know
which database they are talking to.

Layers, lowest first (docs/architecture.md draws them): the base modules (errors, names, config, atomic, faults);
the data model; the dialects; the engine; seeding; travel (store, rebuild, pins, diff); the bundled demo; the API;
and the faces (the CLI, the pytest plugin and its test databases). A module may import its own layer and the ones
below. Every import counts, including those inside functions (the lazy ones that keep start-up light); imports made
only for type checking must go down the layers too, but may point back at a module that imports them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "seedkit"
LAYERS = [
    # The package itself is the public facade (its __version__ is base; it names the API lazily, by string).
    ("base", ["seedkit.errors", "seedkit.names", "seedkit.config", "seedkit.atomic", "seedkit.faults", "seedkit.guard",
              "seedkit.pipeline"]),
    ("model", ["seedkit.model"]),
    ("dialects", ["seedkit.dialects"]),
    ("engine", ["seedkit.engine"]),
    ("seeding", ["seedkit.seeding"]),
    ("travel", ["seedkit.travel"]),
    ("demo", ["seedkit.demo"]),
    ("api", ["seedkit.api"]),
    ("faces", ["seedkit.cli", "seedkit.pytest_plugin", "seedkit.testing", "seedkit.__main__"]),
]
DIALECT_NAMES = {"sqlite", "postgresql", "postgres", "mysql", "mariadb"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def layer(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {__file__}")


def imports(path: Path) -> tuple[set[str], set[str]]:
    """(modules imported at run time, modules imported only for type checking) by ``path``, within seedkit."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for child in ast.walk(node))
    runtime, typing = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found = {name for name in names if name in MODULES}
        (typing if id(node) in typing_only else runtime).update(found)
    return runtime, typing


GRAPH = {name: imports(path) for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(set(MODULES) - {"seedkit"}))
def test_imports_go_down_the_layers(module: str) -> None:
    # seedkit/__init__.py is the public facade: it names the API lazily and imports it only for type checkers.
    runtime, typing = GRAPH[module]
    upward = sorted(name for name in (runtime | typing) - {"seedkit"} if layer(name) > layer(module))
    assert not upward, f"{module} ({LAYERS[layer(module)][0]}) imports from higher layers: {upward}"


def test_the_import_graph_has_no_cycles() -> None:
    # A module's own packages are not edges: importing seedkit.x.y imports seedkit and seedkit.x first, whatever
    # seedkit.x.y then imports from them, and that is no cycle.
    edges = {module: {name for name in runtime if name != module and not module.startswith(name + ".")}
             for module, (runtime, _) in GRAPH.items()}
    visiting, done, cycles = [], set(), []

    def visit(module: str) -> None:
        if module in done:
            return
        if module in visiting:
            cycles.append(visiting[visiting.index(module):] + [module])
            return
        visiting.append(module)
        for name in sorted(edges.get(module, ())):
            visit(name)
        visiting.pop()
        done.add(module)

    for module in sorted(edges):
        visit(module)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize("module", sorted(name for name in MODULES if not name.startswith("seedkit.dialects")))
def test_only_the_dialects_ask_which_database_it_is(module: str) -> None:
    # Comparing a dialect's name with a literal (`if dialect.name == "sqlite"`) is a dialect's job: elsewhere the
    # difference is a dialect attribute, a dialect method, or a registry keyed by name.
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            literals = [part for part in [node.left, *node.comparators]
                        if isinstance(part, ast.Constant) and part.value in DIALECT_NAMES]
            literals += [element for part in node.comparators if isinstance(part, (ast.Tuple, ast.Set, ast.List))
                         for element in part.elts if isinstance(element, ast.Constant) and element.value in DIALECT_NAMES]
            if literals:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    assert not found, f"{module} tests for a database by name: {found}"


MAX_LINES = 450


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small_enough_to_read(module: str) -> None:
    # Past ~450 lines a module holds more than one role: split it by role, as dialects/postgresql/ is.
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most {MAX_LINES}): split it by role"


@pytest.mark.parametrize("module", sorted(name for name in MODULES
                                          if name == "seedkit" or name == "seedkit.api"
                                          or name.startswith(("seedkit.cli", "seedkit.engine"))))
def test_the_api_cli_and_engine_signatures_name_no_any(module: str) -> None:
    # mypy checks these modules (strictly, for the API and the engine); Any in a signature would switch it off
    # for every caller. JSON data is model/jsondata's JSONValue, a database handle is str | Engine.
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, node.args.vararg,
                         node.args.kwarg]
            annotations = [a.annotation for a in arguments if a is not None] + [node.returns]
            found += [f"line {node.lineno} {node.name}: {ast.unparse(a)}" for a in annotations
                      if a is not None and "Any" in _names(a)]
    assert not found, f"{module} has Any in its signatures: {found}"


def _names(annotation: ast.expr) -> set[str]:
    """Every name an annotation mentions, inside quoted parts too."""
    names: set[str] = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.update(re.findall(r"\w+", node.value))
    return names
