"""Questions about the shape of the map: dependency trees and dependency paths."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import numpy.typing as npt

from impact.graph import GATE, MEMBER, SOFT, CompiledGraph
from impact.propagation import Outcome
from impact.results import DependencyNode, DependsResult, PathResult
from impact.rootcause import closure

MAX_TREE_NODES = 500  # a tree is read by people: cut it before it floods the channel
MAX_PATHS = 5
_RELATION = {SOFT: "soft", MEMBER: "member"}
_CHILD_ORDER = {0: 0, GATE: 1, SOFT: 2, MEMBER: 0}


def depends(graph: CompiledGraph, outcome: Outcome, subject: int, depth: int) -> DependsResult:
    """What `subject` depends on, as a tree `depth` levels deep (a group and its members
    count as one level), plus every component of the full closure."""
    budget = [MAX_TREE_NODES]
    tree = _tree(graph, outcome, subject, "hard", depth, frozenset(), budget)
    everything = [graph.names[v] for v in closure(graph, subject).tolist() if not graph.is_gate(v)]
    return DependsResult(graph.names[subject], tree, tuple(sorted(everything)), depth)


def _tree(
    graph: CompiledGraph,
    outcome: Outcome,
    node: int,
    relation: str,
    depth: int,
    above: frozenset[int],
    budget: list[int],
) -> DependencyNode:
    budget[0] -= 1
    kinds = graph.edge_kinds(node)
    children = sorted(kinds.items(), key=lambda item: (_CHILD_ORDER[item[1]], graph.label(item[0])))
    gate = graph.is_gate(node)
    can_expand = (depth > 0 or gate) and node not in above and budget[0] > 0
    expanded: tuple[DependencyNode, ...] = ()
    if can_expand:
        below = depth if gate else depth - 1
        expanded = tuple(
            _tree(graph, outcome, child, _RELATION.get(kind, "hard"), below, above | {node}, budget)
            for child, kind in children
        )
    return DependencyNode(
        name=graph.label(node),
        kind="group" if gate else graph.components[node].kind,
        state=outcome.state(node),
        relation=relation,
        group=_group_label(graph, node) if gate else None,
        children=expanded,
        truncated=bool(children) and not can_expand,
    )


def _group_label(graph: CompiledGraph, node: int) -> str:
    gate = graph.gate(node)
    return f"{gate.required} of {len(gate.members)}"


def paths(graph: CompiledGraph, source: int, target: int) -> PathResult:
    """Shortest dependency paths source -> ... -> target; tries target -> source when the
    first direction has none (the result's source/target then say which way it runs)."""
    found = _shortest(graph, source, target)
    if found:
        return PathResult(graph.names[source], graph.names[target], found)
    found = _shortest(graph, target, source)
    if found:
        return PathResult(graph.names[target], graph.names[source], found)
    return PathResult(graph.names[source], graph.names[target], ())


def _shortest(graph: CompiledGraph, source: int, target: int) -> tuple[tuple[str, ...], ...]:
    """Breadth-first over dependencies, a group being transparent (dependant -> member).

    Only the nodes that depend on `target` at all (one search up from it, over the
    reversed edges) can lie on a path to it, and every node on a shortest path to such a
    node is one of them: the search keeps to those, so its levels and parents are those
    of the whole map, and a source that does not depend on the target costs one search.
    """
    if source == target:
        return ()
    return _shortest_within(graph, source, target, _depending_on(graph, target))


def paths_to(
    graph: CompiledGraph, sources: Sequence[int], target: int
) -> list[tuple[tuple[str, ...], ...]]:
    """For each of `sources`, its shortest dependency paths to `target` (source first), or
    none when it does not depend on it: `_shortest` of each, with the one search up from
    the target shared (the affects answer traces its shown services to the subject). The
    map's structure alone: each kept until the graph is edited (`CompiledGraph.kept`), so
    the same answer asked again in a storm searches nothing."""
    within: list[npt.NDArray[np.bool_]] = []

    def search(source: int) -> tuple[tuple[str, ...], ...]:
        if not within:  # the search up from the target, for the sources not kept only
            within.append(_depending_on(graph, target))
        return _shortest_within(graph, source, target, within[0])

    return [
        graph.kept("paths", (source, target), partial(search, source)) if source != target else ()
        for source in sources
    ]


def _depending_on(graph: CompiledGraph, target: int) -> npt.NDArray[np.bool_]:
    """The nodes that depend on `target` at all (one search up from it)."""
    with graph.all.walk() as walk:
        above = walk.extend(np.array([target], dtype=np.int32))
    within = np.zeros(graph.n, dtype=bool)
    within[above] = True
    return within


def _shortest_within(
    graph: CompiledGraph, source: int, target: int, within: npt.NDArray[np.bool_]
) -> tuple[tuple[str, ...], ...]:
    if not within[source]:
        return ()
    parents: dict[int, list[int]] = {source: []}
    frontier = [source]
    while frontier and target not in parents:
        reached: dict[int, list[int]] = {}
        for node in frontier:
            for child in _component_deps(graph, node, within):
                if child not in parents:
                    reached.setdefault(child, []).append(node)
        parents.update(reached)
        frontier = sorted(reached)
    if target not in parents:
        return ()
    return tuple(_unwind(graph, parents, target))


def _component_deps(
    graph: CompiledGraph, node: int, within: npt.NDArray[np.bool_] | None = None
) -> list[int]:
    """The dependencies of `node`, a group's members in place of the group; with `within`,
    only those where it is set."""
    out: list[int] = []
    for child in graph.forward.row(node).tolist():
        out.extend(graph.forward.row(child).tolist() if graph.is_gate(child) else [child])
    if within is None:
        return out
    return [v for v in out if within[v]]


def _unwind(
    graph: CompiledGraph, parents: dict[int, list[int]], target: int
) -> list[tuple[str, ...]]:
    """Up to MAX_PATHS paths ending at target, in name order."""
    done: list[tuple[str, ...]] = []
    stack: list[tuple[int, tuple[str, ...]]] = [(target, (graph.names[target],))]
    while stack and len(done) < MAX_PATHS:
        node, suffix = stack.pop()
        if not parents[node]:
            done.append(suffix)
            continue
        for parent in sorted(parents[node], key=lambda v: graph.names[v], reverse=True):
            stack.append((parent, (graph.names[parent], *suffix)))
    return sorted(done)
