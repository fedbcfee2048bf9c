"""A snapshot's foreign-key graph as a picture: Mermaid (renders in GitHub, GitLab and most wikis) or Graphviz DOT.

Built from the metadata alone, so a snapshot can be drawn without its files or a database: tables in load order
(parents first), one edge per foreign key from the referencing table to the referenced one, labelled by the
referencing columns where the metadata's schema names them, and the tables of each foreign-key cycle grouped,
since they are loaded together. Only text comes out; printing it is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from seedkit.engine.graph import cycles
from seedkit.engine.metadata import SnapshotMetadata

GraphFormat = Literal["mermaid", "dot"]
GRAPH_FORMATS: tuple[GraphFormat, ...] = ("mermaid", "dot")


@dataclass(frozen=True)
class Edge:
    """A foreign key: ``child`` references ``parent`` through ``columns`` (empty when the metadata has no names)."""

    child: str
    parent: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignKeyGraph:
    """What a picture of a snapshot shows: its tables in load order, its foreign keys, its cycles, and the tables
    referenced from outside the snapshot (a snapshot of some schemas only)."""

    name: str
    tables: tuple[str, ...]
    edges: tuple[Edge, ...]
    cycles: tuple[tuple[str, ...], ...]
    outside: tuple[str, ...] = ()


def foreign_key_graph(meta: SnapshotMetadata) -> ForeignKeyGraph:
    """The graph of ``meta``: edges from its normalised schema's foreign keys, else from ``depends_on``."""
    tables = tuple(entry.name for entry in meta.tables)
    edges: list[Edge] = []
    for entry in meta.tables:
        keys = (meta.schema.get(entry.name) or {}).get("foreign_keys")
        if keys is None:  # no schema entry to name the columns: the load order's dependencies still draw the edges
            edges += [Edge(entry.name, parent) for parent in entry.depends_on]
        else:
            edges += [Edge(entry.name, str(parent), tuple(str(c) for c in columns)) for columns, parent, _ in keys]
    known = set(tables)
    outside = tuple(sorted({edge.parent for edge in edges} - known))
    groups = cycles({entry.name: entry.depends_on for entry in meta.tables})
    return ForeignKeyGraph(meta.name, tables, tuple(edges), tuple(tuple(group) for group in groups), outside)


def render_graph(graph: ForeignKeyGraph, fmt: GraphFormat = "mermaid") -> str:
    """``graph`` as Mermaid or DOT source, ending with a newline."""
    return _dot(graph) if fmt == "dot" else _mermaid(graph)


def _mermaid(graph: ForeignKeyGraph) -> str:
    # Node ids are positions (t1 is loaded first): table names may hold spaces, dots, quotes or any letter.
    ids = {name: f"t{index}" for index, name in enumerate(graph.tables, start=1)}
    ids.update({name: f"x{index}" for index, name in enumerate(graph.outside, start=1)})
    lines = ["flowchart LR", f"    %% snapshot {_mermaid_text(graph.name)}: foreign keys point from the referencing "
                             "table to the referenced one; tables in load order"]
    for block in _blocks(graph):
        if len(block) > 1:
            number = graph.cycles.index(block) + 1
            lines.append(f'    subgraph cycle{number}["foreign-key cycle, loaded together"]')
            lines += [f'        {ids[name]}["{_mermaid_text(name)}"]' for name in block]
            lines.append("    end")
        else:
            lines.append(f'    {ids[block[0]]}["{_mermaid_text(block[0])}"]')
    lines += [f'    {ids[name]}["{_mermaid_text(name)} (not in the snapshot)"]' for name in graph.outside]
    for edge in graph.edges:
        label = f'|"{_mermaid_text(", ".join(edge.columns))}"|' if edge.columns else ""
        lines.append(f"    {ids[edge.child]} -->{label} {ids[edge.parent]}")
    if graph.outside:
        lines.append("    classDef outside stroke-dasharray: 4 4")
        lines.append(f"    class {','.join(ids[name] for name in graph.outside)} outside")
    return "\n".join(lines) + "\n"


def _dot(graph: ForeignKeyGraph) -> str:
    lines = [f"digraph {_dot_id(graph.name)} {{",
             "    // foreign keys point from the referencing table to the referenced one; tables in load order",
             "    rankdir=LR;", "    node [shape=box];"]
    for block in _blocks(graph):
        if len(block) > 1:
            number = graph.cycles.index(block) + 1
            lines += [f"    subgraph cluster_cycle{number} {{",
                      '        label="foreign-key cycle, loaded together";', "        style=dashed;"]
            lines += [f"        {_dot_id(name)};" for name in block]
            lines.append("    }")
        else:
            lines.append(f"    {_dot_id(block[0])};")
    lines += [f"    {_dot_id(name)} [style=dashed, label={_dot_id(name + ' (not in the snapshot)')}];"
              for name in graph.outside]
    for edge in graph.edges:
        label = f" [label={_dot_id(', '.join(edge.columns))}]" if edge.columns else ""
        lines.append(f"    {_dot_id(edge.child)} -> {_dot_id(edge.parent)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _blocks(graph: ForeignKeyGraph) -> list[tuple[str, ...]]:
    """The tables in load order, each cycle as one block where its first member comes (the load order keeps a
    cycle's members together), every other table a block of its own."""
    cycle_of = {name: group for group in graph.cycles for name in group}
    blocks: list[tuple[str, ...]] = []
    for name in graph.tables:
        group = cycle_of.get(name)
        if group is None:
            blocks.append((name,))
        elif group not in blocks:
            blocks.append(group)
    return blocks


MERMAID_SPECIAL = frozenset('#"<>|`')


def _mermaid_text(text: str) -> str:
    # Inside a quoted Mermaid label these would end the label, or be read as markup, an entity or a line break: each
    # becomes its numeric entity (#35; for #), which Mermaid shows as the character itself.
    return "".join(f"#{ord(c)};" if c in MERMAID_SPECIAL or not c.isprintable() else c for c in text)


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
