"""Single points of failure: components whose failure alone takes a subject down.

Exact and fast on acyclic maps: walking the subject's hard closure dependencies-first, the set
of single failures that take a node down is
    S(v)    = {v} | S(hard deps of v) | S(gates of v)
    S(gate) = failures that take down more than `slack` of its members
with sets as integer bitsets. Maps with a cycle in that closure fall back to one simulation
per candidate, which is the definition itself.
"""

from __future__ import annotations

import numpy as np

from impact.graph import SOFT, CompiledGraph
from impact.propagation import DOWN, spread


def spof_nodes(graph: CompiledGraph, subject: int) -> list[int]:
    """Components (subject excluded) whose failure alone takes `subject` down, by name."""
    deps = _hard_closure(graph, subject)
    order = _dependencies_first(deps)
    if order is None:
        found = _by_simulation(graph, deps, subject)
    else:
        found = _by_bitsets(graph, deps, order, subject)
    found.discard(subject)
    return sorted(found, key=lambda v: graph.names[v])


def _hard_closure(graph: CompiledGraph, subject: int) -> dict[int, list[int]]:
    """Node -> its hard/gate/member dependencies, for everything the subject hard-needs."""
    deps: dict[int, list[int]] = {}
    todo = [subject]
    while todo:
        node = todo.pop()
        if node in deps:
            continue
        kinds = graph.edge_kinds(node)
        deps[node] = sorted(t for t, kind in kinds.items() if kind != SOFT)
        todo.extend(t for t in deps[node] if t not in deps)
    return deps


def _dependencies_first(deps: dict[int, list[int]]) -> list[int] | None:
    """Topological order (dependencies before dependants), or None on a cycle."""
    waiting = {node: len(targets) for node, targets in deps.items()}
    dependants: dict[int, list[int]] = {node: [] for node in deps}
    for node, targets in deps.items():
        for target in targets:
            dependants[target].append(node)
    ready = sorted(node for node, count in waiting.items() if count == 0)
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in dependants[node]:
            waiting[parent] -= 1
            if waiting[parent] == 0:
                ready.append(parent)
    return order if len(order) == len(deps) else None


def _by_bitsets(
    graph: CompiledGraph, deps: dict[int, list[int]], order: list[int], subject: int
) -> set[int]:
    position = {node: i for i, node in enumerate(order)}
    killers: dict[int, int] = {}
    for node in order:
        if graph.is_gate(node):
            needed = graph.gate(node).slack + 1
            killers[node] = _in_at_least(needed, [killers[m] for m in deps[node]])
        else:
            bits = 1 << position[node]
            for target in deps[node]:
                bits |= killers[target]
            killers[node] = bits
    subject_bits = killers[subject]
    return {
        node for node in order if not graph.is_gate(node) and subject_bits >> position[node] & 1
    }


def _in_at_least(needed: int, masks: list[int]) -> int:
    """Bits set in at least `needed` of `masks`."""
    if needed > len(masks):
        return 0
    at_least = [-1] + [0] * needed  # at_least[j]: bits seen in >= j masks so far
    for mask in masks:
        for j in range(needed, 0, -1):
            at_least[j] |= at_least[j - 1] & mask
    return at_least[needed]


def _by_simulation(graph: CompiledGraph, deps: dict[int, list[int]], subject: int) -> set[int]:
    empty = np.empty(0, dtype=np.int32)
    found = set()
    for node in deps:
        if graph.is_gate(node):
            continue
        level = spread(graph, np.array([node], dtype=np.int32), empty).level
        if level[subject] == DOWN:
            found.add(node)
    return found
