"""Propagation of observed failures to effective states (the least fixpoint, vectorised).

A spread from seeds gives each node a level: 0 ok, 1 degraded, 2 down.
- impacted (degraded or down) = every node reachable from any failing seed through the
  reversed edges of every kind: a failing dependency of any kind degrades its dependant;
- down = closure of the down seeds through hard edges, where a gate joins (and passes "down"
  on) once more than `slack` of its members are down; repeated until no further gate trips.
Both are least fixpoints, so cycles are harmless: a cycle never fails by itself.

Maintenance is resolved by comparing three spreads (all failures, unplanned only, planned
only); see `evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from impact.graph import CompiledGraph
from impact.model import State
from impact.traversal import NULL, IntArray

OK, DEGRADED, DOWN = 0, 1, 2
# State codes are State.severity values so that "worse" is simply "greater".
STATE_BY_CODE = sorted(State, key=lambda s: s.severity)
CODE = {s: s.severity for s in State}
assert (CODE[State.DEGRADED], CODE[State.DOWN]) == (DEGRADED + 2, DOWN + 2)  # see _codes
Int8Array = npt.NDArray[np.int8]


class Spread:
    """Where failures from a set of seeds travel."""

    __slots__ = (
        "_any_pred",
        "_graph",
        "_seeds",
        "down_pred",
        "down_seeds",
        "level",
        "members_down",
    )

    def __init__(
        self,
        graph: CompiledGraph,
        seeds: IntArray,
        level: Int8Array,
        down_pred: IntArray,
        members_down: npt.NDArray[np.int64],
        down_seeds: IntArray,
        any_pred: IntArray | None,
    ) -> None:
        self.level = level  # per node: OK, DEGRADED or DOWN
        self.down_pred = down_pred  # per node: the node its "down" came from (n for seeds)
        self.members_down = members_down  # per gate: members down
        self.down_seeds = down_seeds  # the seeds that were down (sorted)
        self._graph, self._seeds, self._any_pred = graph, seeds, any_pred

    @property
    def any_pred(self) -> IntArray:
        """Per node: the node its impact came from (n for seeds), on a shortest path.

        Only paths to degraded nodes need it, so it is searched for on first use when the
        spread did not get it for free. Outcomes are dropped on every map change, so the
        graph searched is the one the levels came from.
        """
        if self._any_pred is None:
            with self._graph.all.walk() as walk:
                walk.mark(self._seeds)
                self._any_pred = walk.predecessors()
        return self._any_pred


@dataclass(frozen=True, slots=True)
class Outcome:
    """Effective states for one set of observations."""

    codes: Int8Array  # per node: State.severity of the effective state
    spread: Spread  # the spread of all failures (maintenance counted as down)
    observed: Mapping[int, State]

    def state(self, node: int) -> State:
        return STATE_BY_CODE[int(self.codes[node])]


def spread(graph: CompiledGraph, down: IntArray, degraded: IntArray) -> Spread:
    """Levels reached from `down` and `degraded` seeds (component indices)."""
    seeds = np.concatenate([down, degraded]).astype(np.int32)
    down_pred, members_down = _down_closure(graph, down)
    is_down = _visited(down_pred)
    reached, any_pred = _impacted(graph, is_down, seeds, degraded)
    # D is inside I, so reached + down is 0, 1 or 2: vector adds, no scattered writes
    level = np.add(reached.view(np.int8), is_down.view(np.int8), dtype=np.int8)
    return Spread(graph, seeds, level, down_pred, members_down, down.astype(np.int32), any_pred)


def _visited(pred: IntArray) -> npt.NDArray[np.bool_]:
    """Per node (super source excluded): reached by the search that left `pred`."""
    visited: npt.NDArray[np.bool_] = pred[:-1] != NULL
    return visited


def _impacted(
    graph: CompiledGraph, is_down: npt.NDArray[np.bool_], seeds: IntArray, degraded: IntArray
) -> tuple[npt.NDArray[np.bool_], IntArray | None]:
    """Nodes degraded or down, plus the impact predecessors when they came for free.

    With few nodes down: one search over every edge from the seeds. With most of the map
    down, what is impacted but not down lies among the few nodes left: search from those
    of them that depend directly on a down node (or are degraded seeds), never entering
    the down nodes, whose edges the down search has already followed.
    """
    n_down = int(np.count_nonzero(is_down))
    with graph.all.walk() as walk:
        if 2 * n_down <= graph.n:
            walk.mark(seeds)
            pred = walk.predecessors()
            return _visited(pred), pred
        walk.block_where(is_down)
        walk.mark(np.concatenate([_next_to(graph, is_down), degraded]).astype(np.int32))
        return _visited(walk.predecessors()), None


def _next_to(graph: CompiledGraph, is_down: npt.NDArray[np.bool_]) -> IntArray:
    """Nodes not down with a dependency (of any kind) that is down."""
    outside = np.flatnonzero(~is_down).astype(np.int32)
    fwd = graph.forward
    starts = fwd.indptr[outside].astype(np.int64)
    lengths = fwd.indptr[outside + 1] - starts
    ends = np.cumsum(lengths)
    # positions of every forward edge of `outside`, row by row
    positions = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    positions += np.repeat(starts - (ends - lengths), lengths)
    hit = is_down[fwd.indices[positions]]
    found: IntArray = np.repeat(outside, lengths)[hit]
    unique: IntArray = found[np.concatenate((found[:1] >= 0, found[1:] != found[:-1]))]
    return unique  # rows come in node order, so repeats are adjacent


def _down_closure(graph: CompiledGraph, seeds: IntArray) -> tuple[IntArray, npt.NDArray[np.int64]]:
    """Hard closure of `seeds` with gates tripping: its predecessors and members down."""
    counts = np.zeros(len(graph.gates), dtype=np.int64)
    memberships = len(graph.member_of)
    with graph.hard.walk() as walk:
        fresh = walk.extend(seeds.astype(np.int32))
        while len(fresh):
            if len(fresh) < memberships and not graph.is_member[fresh].any():
                break  # no group lost a member in this round: none can trip
            is_down = _visited(walk.pred)
            counts = _members_down(graph, is_down)
            tripped = (counts > graph.gate_slack) & ~is_down[graph.gate_nodes]
            fresh = walk.extend(graph.gate_nodes[tripped])
        pred = walk.predecessors()
    if counts.any():  # counts are current: every round that could change them recounted
        _credit_gates(graph, _visited(pred), pred)
    return pred, counts


def _members_down(graph: CompiledGraph, is_down: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    hit = graph.member_gate[is_down[graph.member_of]]
    return np.bincount(hit, minlength=len(graph.gates))


def _credit_gates(graph: CompiledGraph, is_down: npt.NDArray[np.bool_], pred: IntArray) -> None:
    """A fallen gate's "down" came from its first down member (for paths)."""
    hit = np.flatnonzero(is_down[graph.member_of])  # memberships are grouped by gate
    if len(hit) == 0:
        return
    gates = graph.member_gate[hit]
    first = hit[np.concatenate(([True], gates[1:] != gates[:-1]))]
    nodes = graph.gate_nodes[graph.member_gate[first]]
    fallen = is_down[nodes]
    pred[nodes[fallen]] = graph.member_of[first[fallen]]


def evaluate(graph: CompiledGraph, observed: Mapping[int, State]) -> Outcome:
    """Effective states of every node given observed component states.

    ok if nothing reaches the node; else the unplanned result when unplanned failures alone
    explain it fully; else MAINTENANCE when maintenance alone explains it fully; else the
    combined result (any unplanned share makes it an outage).
    """
    down = _seeds(observed, State.DOWN)
    degraded = _seeds(observed, State.DEGRADED)
    planned = _seeds(observed, State.MAINTENANCE)
    if len(planned) == 0:
        combined = spread(graph, down, degraded)
        codes = _codes(combined.level)
    else:
        combined = spread(graph, np.concatenate([down, planned]), degraded)
        unplanned = spread(graph, down, degraded).level
        only_planned = spread(graph, planned, np.empty(0, np.int32)).level
        codes = _resolve(combined.level, unplanned, only_planned)
    unknown = _seeds(observed, State.UNKNOWN)
    codes[unknown] = np.maximum(codes[unknown], CODE[State.UNKNOWN])
    return Outcome(codes, combined, dict(observed))


def _codes(level: Int8Array) -> Int8Array:
    """Severity codes of levels: 0 -> ok, 1 -> degraded, 2 -> down (vector adds, no take)."""
    failing = (level != OK).view(np.int8)
    codes: Int8Array = np.add(level, failing, dtype=np.int8)
    codes += failing
    return codes


def _resolve(combined: Int8Array, unplanned: Int8Array, planned: Int8Array) -> Int8Array:
    codes = _codes(combined)
    is_planned = (combined != OK) & (unplanned != combined) & (planned == combined)
    codes[is_planned] = CODE[State.MAINTENANCE]
    return codes


def _seeds(observed: Mapping[int, State], state: State) -> IntArray:
    return np.array(sorted(i for i, s in observed.items() if s == state), dtype=np.int32)


def raised_by(
    graph: CompiledGraph,
    base: Spread,
    extras: Sequence[int],
    pause: Callable[[], object] | None = None,
) -> list[IntArray]:
    """For each component of `extras`: the nodes whose level rises when it goes down on
    top of `base`'s seeds (the spread of observations without maintenance), sorted.

    Levels only rise when a seed is added, and everything a down node reaches through hard
    edges is down already (everything an impacted node reaches, impacted), so only what
    the extra failure reaches past the failures of `base` is searched: the hard closure
    from it, gates tripping on the members it adds, then its impact beyond what was
    impacted. One more failure on top of a storm of them costs its own reach, not a whole
    evaluation. `pause`, when given, is called before each extra (background work stepping
    aside for questions between small steps).
    """
    level = base.level
    gate_down = level[graph.gate_nodes] == DOWN
    lost = np.zeros(graph.n, dtype=bool)
    found = []
    with graph.hard.walk() as hard, graph.all.walk() as every:
        hard.block_where(level == DOWN)
        every.block_where(level != OK)
        for extra in extras:
            if pause is not None:
                pause()
            seed = np.array([extra], dtype=np.int32)
            fresh = hard.extend(seed)
            newly = [fresh]
            while len(fresh) and graph.is_member[fresh].any():
                lost[fresh] = True
                hit = graph.member_gate[lost[graph.member_of]]
                added = np.bincount(hit, minlength=len(gate_down))
                tripped = (base.members_down + added > graph.gate_slack) & ~gate_down
                fresh = hard.extend(graph.gate_nodes[tripped])  # visited ones are left out
                newly.append(fresh)
            down = np.concatenate(newly)
            lost[down] = False
            reached = every.extend(np.concatenate([seed, down]))
            found.append(np.union1d(down, reached).astype(np.int32))
            hard.rewind()
            every.rewind()
    return found
