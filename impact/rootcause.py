"""Root causes: failing components whose own failure their dependencies do not explain."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from impact.graph import SOFT, CompiledGraph
from impact.model import State
from impact.propagation import DEGRADED, DOWN, OK, Outcome, evaluate
from impact.queries import business_key
from impact.results import RootCause, ServiceStatus, StatusResult, WhyResult
from impact.traversal import NULL, Adjacency, IntArray

FEW = 32  # observed failures tested one by one; more are tested in one pass over the edges
_OBSERVED_LEVEL = {State.DOWN: DOWN, State.MAINTENANCE: DOWN, State.DEGRADED: DEGRADED}


def root_nodes(
    graph: CompiledGraph, outcome: Outcome, within: npt.NDArray[np.bool_] | None = None
) -> list[int]:
    """Observed failures that are not explained by their dependencies (sorted indices).

    `within` (one flag per node) limits the search to those nodes: a question about one
    service tests only the failures in its closure, not every failure of the map.
    """
    candidates = []
    for node, state in sorted(outcome.observed.items()):
        wanted = _OBSERVED_LEVEL.get(state)
        if wanted is None or (within is not None and not within[node]):
            continue
        candidates.append((node, wanted))
    incoming = _incoming_levels(graph, outcome, [node for node, _ in candidates])
    return [
        node
        for node, wanted in candidates
        if incoming[node] < wanted or _is_root(graph, outcome, node, wanted)
    ]


def _incoming_levels(graph: CompiledGraph, outcome: Outcome, nodes: list[int]) -> IntArray:
    """Per node (of `nodes`; 0 elsewhere): the worst level its dependencies pass to it.

    Hard and gate edges pass a dependency's level as it is, soft edges at most DEGRADED.
    """
    incoming = np.zeros(graph.n, dtype=np.int32)
    level = outcome.spread.level
    if len(nodes) <= FEW:  # a few nodes: their own rows, not a pass over every edge
        for node in nodes:
            passed = [
                min(int(level[t]), DEGRADED) if kind == SOFT else int(level[t])
                for t, kind in graph.edge_kinds(node).items()
            ]
            incoming[node] = max(passed, default=0)
        return incoming
    edges = graph.edges
    wanted = np.zeros(graph.n, dtype=bool)
    wanted[nodes] = True
    rows = edges[wanted[edges[:, 0]]]
    passing = level[rows[:, 1]].astype(np.int32)
    soft = rows[:, 2] == SOFT
    passing[soft] = np.minimum(passing[soft], DEGRADED)
    np.maximum.at(incoming, rows[:, 0], passing)
    return incoming


def _is_root(graph: CompiledGraph, outcome: Outcome, node: int, wanted: int) -> bool:
    """Whether `node`, explained by its dependencies' levels, is still a root (a cycle)."""
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


def _level_of(outcome: Outcome, node: int) -> int:
    return int(outcome.spread.level[node])


def closure(graph: CompiledGraph, node: int) -> IntArray:
    """Everything `node` depends on (all kinds, all levels, gates included), node excluded."""
    with graph.forward.walk() as walk:
        return walk.extend(np.array([node], dtype=np.int32))[1:]


def why(graph: CompiledGraph, outcome: Outcome, subject: int) -> WhyResult:
    """Root causes of the subject's effective state: what produces that state first.

    When the subject is down, the causes that take it down (alone, or together as members
    of a group that needs them) come before those that only degrade it; then by how many
    failing nodes of the subject's closure each explains, then by name.
    """
    state = outcome.state(subject)
    if not (state.is_failing or state == State.MAINTENANCE):
        return WhyResult(graph.names[subject], state, ())
    scope = np.zeros(graph.n, dtype=bool)
    scope[closure(graph, subject)] = True
    scope[subject] = True
    level = outcome.spread.level
    scene = _Scene(graph, subject, scope & (level != OK), scope & (level == DOWN))
    causes = [scene.cause(outcome, r) for r in root_nodes(graph, outcome, within=scope)]
    causes.sort(key=lambda c: (c.effect != State.DOWN, -c.explains, c.name))
    return WhyResult(graph.names[subject], state, tuple(causes))


class _Scene:
    """The failing part of one subject's closure, where its causes are traced.

    A cause explains a down node when it reaches it through down nodes over edges that carry
    "down" (hard, and member edges into a fallen group); it explains a degraded node when it
    reaches it at all. Searches never leave the closure.
    """

    def __init__(
        self,
        graph: CompiledGraph,
        subject: int,
        failing: npt.NDArray[np.bool_],
        down: npt.NDArray[np.bool_],
    ) -> None:
        self.graph, self.subject = graph, subject
        self.failing, self.down = failing, down
        self.degraded = failing & ~down
        self.degraded[graph.n_components :] = False  # groups are not counted, only crossed

    def cause(self, outcome: Outcome, root: int) -> RootCause:
        graph, subject = self.graph, self.subject
        down_pred = self._search(graph.strict, self.down, root)
        any_pred = self._search(graph.all, self.failing, root)
        takes_down = self.down[subject] and _visited(down_pred[subject])
        explained = int(np.count_nonzero(_visited(down_pred[: graph.n_components])))
        explained += int(np.count_nonzero(_visited(any_pred[: graph.n]) & self.degraded))
        return RootCause(
            name=graph.names[root],
            state=outcome.state(root),
            explains=explained,
            path=self._path(down_pred if takes_down else any_pred, root),
            planned=outcome.observed.get(root) == State.MAINTENANCE,
            effect=State.DOWN if takes_down else State.DEGRADED,
        )

    def _search(self, adjacency: Adjacency, inside: npt.NDArray[np.bool_], root: int) -> IntArray:
        """Predecessors of a search from `root` that stays on the `inside` nodes."""
        if not inside[root]:
            return np.full(self.graph.n + 1, NULL, dtype=np.int32)
        walk = adjacency.walk()
        walk.block_where(~inside)
        walk.mark(np.array([root], dtype=np.int32))
        return walk.predecessors()

    def _path(self, pred: IntArray, root: int) -> tuple[str, ...]:
        graph = self.graph
        chain = [self.subject]
        while chain[-1] != root and 0 <= int(pred[chain[-1]]) < graph.n:
            chain.append(int(pred[chain[-1]]))
        return tuple(graph.label(v) for v in reversed(chain) if not graph.is_gate(v))


def _visited(pred: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Reached by the search that left `pred` (blocked and unvisited nodes are negative)."""
    return np.asarray(pred) >= 0


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
        name = graph.names[root]
        for node in graph.business_above(root):
            found.setdefault(node, []).append(name)
    return found
