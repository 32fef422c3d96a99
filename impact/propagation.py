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

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from impact.graph import CompiledGraph
from impact.model import State
from impact.traversal import IntArray

OK, DEGRADED, DOWN = 0, 1, 2
# State codes are State.severity values so that "worse" is simply "greater".
STATE_BY_CODE = sorted(State, key=lambda s: s.severity)
CODE = {s: s.severity for s in State}
_CODE_BY_LEVEL = np.array([CODE[State.OK], CODE[State.DEGRADED], CODE[State.DOWN]], np.int8)
Int8Array = npt.NDArray[np.int8]


@dataclass(frozen=True, slots=True)
class Spread:
    """Where failures from a set of seeds travel."""

    level: Int8Array  # per node: OK, DEGRADED or DOWN
    down_pred: IntArray  # per node: the node its "down" came from (n for seeds)
    any_pred: IntArray  # per node: the node its impact came from (n for seeds)
    members_down: npt.NDArray[np.int64]  # per gate: members down


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
    down_nodes, down_pred, members_down = _down_closure(graph, down)
    with graph.all.walk() as walk:
        impacted = walk.extend(np.concatenate([down, degraded]).astype(np.int32))
        any_pred = walk.predecessors()
    level = np.zeros(graph.n, dtype=np.int8)
    level[impacted] = DEGRADED
    level[down_nodes] = DOWN
    return Spread(level, down_pred, any_pred, members_down)


def _down_closure(
    graph: CompiledGraph, seeds: IntArray
) -> tuple[IntArray, IntArray, npt.NDArray[np.int64]]:
    is_down = np.zeros(graph.n, dtype=bool)
    found: list[IntArray] = []
    with graph.hard.walk() as walk:
        fresh = walk.extend(seeds.astype(np.int32))
        while len(fresh):
            found.append(fresh)
            is_down[fresh] = True
            counts = _members_down(graph, is_down)
            tripped = (counts > graph.gate_slack) & ~is_down[graph.gate_nodes]
            fresh = walk.extend(graph.gate_nodes[tripped])
        pred = walk.predecessors()
    _credit_gates(graph, is_down, pred)
    nodes = np.concatenate(found) if found else np.empty(0, dtype=np.int32)
    return nodes, pred, _members_down(graph, is_down)


def _members_down(graph: CompiledGraph, is_down: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    hit = graph.member_gate[is_down[graph.member_of]]
    return np.bincount(hit, minlength=len(graph.gates))


def _credit_gates(graph: CompiledGraph, is_down: npt.NDArray[np.bool_], pred: IntArray) -> None:
    """A fallen gate's "down" came from its first down member (for paths)."""
    mask = is_down[graph.member_of]
    gates, first = np.unique(graph.member_gate[mask], return_index=True)
    nodes = graph.gate_nodes[gates]
    fallen = is_down[nodes]
    pred[nodes[fallen]] = graph.member_of[mask][first[fallen]]


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
        codes = _CODE_BY_LEVEL[combined.level]
    else:
        combined = spread(graph, np.concatenate([down, planned]), degraded)
        unplanned = spread(graph, down, degraded).level
        only_planned = spread(graph, planned, np.empty(0, np.int32)).level
        codes = _resolve(combined.level, unplanned, only_planned)
    unknown = _seeds(observed, State.UNKNOWN)
    codes[unknown] = np.maximum(codes[unknown], CODE[State.UNKNOWN])
    return Outcome(codes, combined, dict(observed))


def _resolve(combined: Int8Array, unplanned: Int8Array, planned: Int8Array) -> Int8Array:
    codes = _CODE_BY_LEVEL[combined]
    is_planned = (combined != OK) & (unplanned != combined) & (planned == combined)
    codes[is_planned] = CODE[State.MAINTENANCE]
    return codes


def _seeds(observed: Mapping[int, State], state: State) -> IntArray:
    return np.array(sorted(i for i, s in observed.items() if s == state), dtype=np.int32)
