"""Load order: parents before children, with foreign-key cycles kept together and ordered deterministically."""

from __future__ import annotations

from typing import Mapping, Sequence


def load_order(dependencies: Mapping[str, Sequence[str]]) -> list[str]:
    """Tables ordered so that every table comes after the tables it references.

    ``dependencies`` maps each table to the tables it references. References to tables outside the mapping and
    self-references are ignored. Tables in a cycle cannot all come after each other; they are kept adjacent, in
    name order, and the loader relies on the dialect deferring or disabling foreign-key checks for them.
    """
    nodes = sorted(dependencies)
    edges = {node: sorted({d for d in dependencies[node] if d in dependencies and d != node}) for node in nodes}
    # Tarjan's algorithm yields components so that referenced components come first: the order we want.
    ordered: list[str] = []
    for members in _strongly_connected(nodes, edges):
        ordered.extend(sorted(members))
    return ordered


def cycles(dependencies: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """The groups of tables that reference each other in a cycle (self-references excluded)."""
    nodes = sorted(dependencies)
    edges = {node: sorted({d for d in dependencies[node] if d in dependencies and d != node}) for node in nodes}
    return [sorted(c) for c in _strongly_connected(nodes, edges) if len(c) > 1]


def _strongly_connected(nodes: list[str], edges: Mapping[str, list[str]]) -> list[list[str]]:
    # Iterative Tarjan, so deep chains of tables do not hit Python's recursion limit.
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = lowlink[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    advanced = True
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result
