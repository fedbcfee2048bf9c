"""``seedkit show NAME --graph``: the snapshot's foreign-key graph in Mermaid or DOT.

Each picture is read back by a small parser of its own format, and what it says must be exactly what the metadata
says: every table once, in load order; every foreign key as one edge labelled by its columns; each cycle grouped;
tables referenced from outside the snapshot marked. On the case schema of every backend (a NOT NULL cycle, a
self-reference, a composite key, names with spaces and accents), and on generated graphs whose names hold every
character a label could choke on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seedkit
from helpers import cli_args
from seedkit.engine.diagram import GRAPH_FORMATS, Edge, ForeignKeyGraph, foreign_key_graph, render_graph
from seedkit.engine.graph import cycles, load_order
from seedkit.engine.metadata import SnapshotMetadata, TableEntry
from test_cli import run_main


@dataclass
class Picture:
    """What a rendered graph says, read back from its text."""

    tables: list[str] = field(default_factory=list)
    edges: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    cycles: list[set[str]] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


MERMAID_NODE = re.compile(r'^\s*(\w+)\["(.*)"\]$')
MERMAID_EDGE = re.compile(r'^\s*(\w+) -->(?:\|"(.*)"\|)? (\w+)$')
MERMAID_ENTITY = re.compile(r"#(\d+);")
OUTSIDE = " (not in the snapshot)"


def read_mermaid(text: str) -> Picture:
    def unescape(label: str) -> str:
        assert '"' not in label and "<" not in label and "\n" not in label, label
        return MERMAID_ENTITY.sub(lambda m: chr(int(m.group(1))), label)

    picture, names, group = Picture(), {}, None
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    for line in lines[1:]:
        if line.strip().startswith(("%%", "classDef", "class ")):
            continue
        if line.strip().startswith("subgraph "):
            group = set()
            continue
        if line.strip() == "end":
            picture.cycles.append(group)
            group = None
            continue
        if node := MERMAID_NODE.match(line):
            ident, label = node.group(1), unescape(node.group(2))
            assert ident not in names, f"node {ident} drawn twice"
            if label.endswith(OUTSIDE):
                names[ident] = label[: -len(OUTSIDE)]
                picture.outside.append(names[ident])
            else:
                names[ident] = label
                picture.tables.append(label)
            if group is not None:
                group.add(label)
            continue
        edge = MERMAID_EDGE.match(line)
        assert edge, f"not a Mermaid node or edge: {line!r}"
        columns = tuple(unescape(edge.group(2)).split(", ")) if edge.group(2) is not None else ()
        picture.edges.append((names[edge.group(1)], names[edge.group(3)], columns))
    assert group is None, "a subgraph is not closed"
    return picture


DOT_STRING = r'"((?:[^"\\]|\\.)*)"'
DOT_NODE = re.compile(rf"^\s*{DOT_STRING}( \[style=dashed, label={DOT_STRING}\])?;$", re.DOTALL)
DOT_EDGE = re.compile(rf"^\s*{DOT_STRING} -> {DOT_STRING}(?: \[label={DOT_STRING}\])?;$", re.DOTALL)


def read_dot(text: str) -> Picture:
    def unescape(quoted: str) -> str:
        return re.sub(r"\\(.)", r"\1", quoted, flags=re.DOTALL)

    picture, group = Picture(), None
    # A statement ends a line, outside quotes: a name may hold a newline, so lines are joined until one ends.
    statements, pending = [], ""
    lines = text.split("\n")
    assert lines[0].startswith("digraph ") and lines[0].endswith("{") and text.endswith("}\n")
    for line in lines[1:-2]:
        pending = f"{pending}\n{line}" if pending else line
        if _balanced(pending) and pending.endswith((";", "{", "}")):
            statements.append(pending)
            pending = ""
    assert not pending, pending
    for statement in statements:
        stripped = statement.strip()
        if stripped.startswith(("//", "rankdir", "node [", "label=", "style=")):
            continue
        if stripped.startswith("subgraph cluster_cycle"):
            group = set()
            continue
        if stripped == "}":
            picture.cycles.append(group)
            group = None
            continue
        if edge := DOT_EDGE.match(statement):
            columns = tuple(unescape(edge.group(3)).split(", ")) if edge.group(3) is not None else ()
            picture.edges.append((unescape(edge.group(1)), unescape(edge.group(2)), columns))
            continue
        node = DOT_NODE.match(statement)
        assert node, f"not a DOT node or edge: {statement!r}"
        name = unescape(node.group(1))
        if node.group(2):
            assert unescape(node.group(3)) == name + OUTSIDE
            picture.outside.append(name)
        else:
            picture.tables.append(name)
            if group is not None:
                group.add(name)
    return picture


def _balanced(statement: str) -> bool:
    """True when every double quote in ``statement`` that is not escaped has its pair."""
    return len(re.findall(r'(?<!\\)(?:\\\\)*"', statement)) % 2 == 0


READERS = {"mermaid": read_mermaid, "dot": read_dot}


def expected_picture(graph: ForeignKeyGraph) -> Picture:
    return Picture(list(graph.tables), [(e.child, e.parent, e.columns) for e in graph.edges],
                   [set(group) for group in graph.cycles], list(graph.outside))


def schema_edges(meta: SnapshotMetadata) -> list[tuple[str, str, tuple[str, ...]]]:
    """The foreign keys the metadata's schema records, read independently of the diagram module."""
    return [(entry.name, parent, tuple(columns))
            for entry in meta.tables for columns, parent, _ in meta.schema[entry.name]["foreign_keys"]]


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_show_graph_draws_every_foreign_key_of_the_case_schema(backend, shared, snapshot_dirs, fmt):
    config, _ = shared.copy_into(backend, snapshot_dirs)
    code, out, err = run_main(*cli_args("sqlite:///unused.db", config, "show", "cases", "--graph", "--format", fmt))
    assert code == 0, err
    meta = seedkit.show("cases", config=config)
    picture = READERS[fmt](out)

    assert picture.tables == [entry.name for entry in meta.tables]  # each table once, in load order
    assert sorted(picture.edges) == sorted(schema_edges(meta))
    assert picture.outside == []
    by_name = {entry.name: entry for entry in meta.tables}
    qualified = {name.rsplit(".", 1)[-1]: name for name in by_name}  # PostgreSQL's case schema has a second schema
    departments, employees = qualified["departments"], qualified["employees"]
    assert {departments, employees} in picture.cycles  # the NOT NULL cycle, loaded together
    assert all(len(group) > 1 for group in picture.cycles)
    assert (qualified["categories"], qualified["categories"], ("parent_id",)) in picture.edges  # a self-reference
    assert (qualified["line_notes"], qualified["order_lines"], ("order_id", "line_no")) in picture.edges
    assert any("Café Ünits" in name for name in picture.tables)


def test_show_graph_json_carries_the_source(backend, shared, snapshot_dirs):
    config, _ = shared.copy_into(backend, snapshot_dirs)
    code, out, err = run_main(*cli_args("sqlite:///unused.db", config, "show", "cases", "--graph", "--format", "dot",
                                        "--json"))
    assert code == 0, err
    document = json.loads(out)
    assert document["name"] == "cases" and document["format"] == "dot"
    meta = seedkit.show("cases", config=config)
    assert read_dot(document["graph"]) == expected_picture(foreign_key_graph(meta))


def test_show_graph_of_a_missing_snapshot_is_one_line(sqlite_backend, snapshot_dirs):
    from helpers import config_for

    code, out, err = run_main(*cli_args("sqlite:///unused.db", config_for(snapshot_dirs), "show", "nope", "--graph"))
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "nope" in err and "Traceback" not in err


# Names with every character that could end a label, open markup or break a line in either format.
NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(
    list('"#<>|`\\\n\t;{}[]()-> &')), min_size=1, max_size=12)


def metadata_of(keys: dict[str, list[list[object]]]) -> SnapshotMetadata:
    """Metadata of tables with these foreign keys (``[columns, parent, parent columns]``), in load order."""
    names = list(keys)
    depends = {name: sorted({str(k[1]) for k in keys[name]} & set(names) - {name}) for name in names}
    entries = [TableEntry(name, f"{i}.parquet", 0, 0, "", "", [], [], depends[name])
               for i, name in enumerate(load_order(depends))]
    return SnapshotMetadata(name="generated", created_at="", seedkit_version="", source={}, schema_fingerprint="",
                            schema={name: {"foreign_keys": keys[name]} for name in names}, tables=entries,
                            content_hash="")


@st.composite
def graphs(draw: st.DrawFn) -> SnapshotMetadata:
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    outside = draw(st.lists(NAMES.filter(lambda n: n not in names), max_size=2, unique=True))
    keys: dict[str, list[list[object]]] = {name: [] for name in names}
    for name in names:
        for parent in draw(st.lists(st.sampled_from(names + outside), max_size=3)):
            columns = draw(st.lists(NAMES.filter(lambda c: ", " not in c), min_size=1, max_size=2))
            keys[name].append([columns, parent, columns])
    return metadata_of(keys)


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_names_that_look_like_markup_read_back_as_themselves(fmt):
    # An entity written out (#35;), quotes, a pipe that would end an edge label, a backtick that would start
    # Markdown, a line break, a backslash before a quote: each must come back as the very name.
    odd = ["#35;", 'say "hi"', "a|b", "`md`", "two\nlines", "back\\nslash", '\\"', "<b>"]
    keys = {name: [[[name], odd[index - 1], ["id"]]] if index else [] for index, name in enumerate(odd)}
    meta = metadata_of(keys)
    picture = READERS[fmt](render_graph(foreign_key_graph(meta), fmt))
    assert picture.tables == odd
    assert sorted(picture.edges) == sorted(schema_edges(meta))


@settings(max_examples=150, deadline=None)
@given(meta=graphs(), fmt=st.sampled_from(GRAPH_FORMATS))
def test_any_graph_reads_back_as_it_was_drawn(meta, fmt):
    graph = foreign_key_graph(meta)
    picture = READERS[fmt](render_graph(graph, fmt))
    assert picture.tables == [entry.name for entry in meta.tables]
    assert sorted(picture.edges) == sorted(schema_edges(meta))
    groups = cycles({entry.name: entry.depends_on for entry in meta.tables})
    assert sorted(map(sorted, picture.cycles)) == sorted(map(sorted, groups))
    assert sorted(picture.outside) == sorted({edge.parent for edge in graph.edges} - set(graph.tables))


def test_edges_come_from_depends_on_when_the_schema_names_no_columns():
    entries = [TableEntry("a", "a.parquet", 0, 0, "", "", [], [], []),
               TableEntry("b", "b.parquet", 0, 0, "", "", [], [], ["a"])]
    meta = SnapshotMetadata(name="old", created_at="", seedkit_version="", source={}, schema_fingerprint="",
                            schema={}, tables=entries, content_hash="")
    graph = foreign_key_graph(meta)
    assert graph.edges == (Edge("b", "a"),)
    assert read_mermaid(render_graph(graph)).edges == [("b", "a", ())]
