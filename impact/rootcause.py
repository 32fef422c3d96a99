"""Root causes: failing components whose own failure their dependencies do not explain."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from impact.graph import SOFT, CompiledGraph
from impact.model import State
from impact.propagation import CODE, DEGRADED, DOWN, Outcome, evaluate
from impact.queries import business_key
from impact.results import RootCause, ServiceStatus, StatusResult, WhyResult
from impact.traversal import IntArray

_OBSERVED_LEVEL = {State.DOWN: DOWN, State.MAINTENANCE: DOWN, State.DEGRADED: DEGRADED}


def root_nodes(graph: CompiledGraph, outcome: Outcome) -> list[int]:
    """Observed failures that are not explained by their dependencies (sorted indices)."""
    roots = []
    for node, state in sorted(outcome.observed.items()):
        wanted = _OBSERVED_LEVEL.get(state)
        if wanted is not None and _is_root(graph, outcome, node, wanted):
            roots.append(node)
    return roots


def _is_root(graph: CompiledGraph, outcome: Outcome, node: int, wanted: int) -> bool:
    if _incoming(graph, outcome, node) < wanted:
        return True
    # Explained locally; on a cycle the explanation may be the node's own echo, so check what
    # the node would be without the observations of its whole cycle (strong component).
    cycle = set(_strong_component(graph, node))
    if len(cycle) == 1 and node not in graph.forward.row(node):
        return False
    rest = {k: v for k, v in outcome.observed.items() if k not in cycle}
    return _level_of(evaluate(graph, rest), node) < wanted


def _strong_component(graph: CompiledGraph, node: int) -> list[int]:
    seed = np.array([node], dtype=np.int32)
    with graph.forward.walk() as walk:
        below = walk.extend(seed)
    with graph.all.walk() as walk:
        above = walk.extend(seed)
    return sorted(set(below.tolist()) & set(above.tolist()))


def _incoming(graph: CompiledGraph, outcome: Outcome, node: int) -> int:
    level = outcome.spread.level
    worst = 0
    for target, kind in graph.edge_kinds(node).items():
        reached = int(level[target])
        worst = max(worst, min(reached, DEGRADED) if kind == SOFT else reached)
    return worst


def _level_of(outcome: Outcome, node: int) -> int:
    return int(outcome.spread.level[node])


def closure(graph: CompiledGraph, node: int) -> IntArray:
    """Everything `node` depends on (all kinds, all levels, gates included), node excluded."""
    with graph.forward.walk() as walk:
        return walk.extend(np.array([node], dtype=np.int32))[1:]


def why(graph: CompiledGraph, outcome: Outcome, subject: int) -> WhyResult:
    """Root causes of the subject's effective state, most explaining first."""
    state = outcome.state(subject)
    scope = np.zeros(graph.n, dtype=bool)
    scope[closure(graph, subject)] = True
    scope[subject] = True
    roots = (
        [r for r in root_nodes(graph, outcome) if scope[r]]
        if state.is_failing or (state == State.MAINTENANCE)
        else []
    )
    failing = scope & (outcome.codes >= CODE[State.MAINTENANCE])
    failing[graph.n_components :] = False
    causes = [_root_cause(graph, outcome, r, subject, failing) for r in roots]
    causes.sort(key=lambda c: (-c.explains, c.name))
    return WhyResult(graph.names[subject], state, tuple(causes))


def _root_cause(
    graph: CompiledGraph, outcome: Outcome, root: int, subject: int, failing: np.ndarray
) -> RootCause:
    with graph.all.walk() as walk:
        reach = walk.extend(np.array([root], dtype=np.int32))
        pred = walk.predecessors()
    chain = [subject]
    while chain[-1] != root and 0 <= int(pred[chain[-1]]) < graph.n:
        chain.append(int(pred[chain[-1]]))
    return RootCause(
        name=graph.names[root],
        state=outcome.state(root),
        explains=int(failing[reach].sum()),
        path=tuple(graph.label(v) for v in reversed(chain) if not graph.is_gate(v)),
        planned=outcome.observed.get(root) == State.MAINTENANCE,
    )


def status(graph: CompiledGraph, outcome: Outcome) -> StatusResult:
    """Every business service, worst first, with the root causes behind it."""
    causes = _causes_by_service(graph, outcome)
    services = []
    for node in np.flatnonzero(graph.business).tolist():
        c = graph.components[node]
        services.append(
            ServiceStatus(
                name=c.name,
                title=c.title,
                state=outcome.state(node),
                tier=c.tier,
                owner=c.owner,
                revenue_per_hour=float(c.revenue_per_hour or 0.0),
                causes=tuple(sorted(causes.get(node, ()))),
            )
        )
    services.sort(key=lambda s: business_key(graph.components[graph.index[s.name]], s.state))
    return StatusResult(tuple(services))


def _causes_by_service(graph: CompiledGraph, outcome: Outcome) -> Mapping[int, list[str]]:
    found: dict[int, list[str]] = {}
    for root in root_nodes(graph, outcome):
        with graph.all.walk() as walk:
            reach = walk.extend(np.array([root], dtype=np.int32))
        for node in reach[graph.business[reach]].tolist():
            found.setdefault(node, []).append(graph.names[root])
    return found
