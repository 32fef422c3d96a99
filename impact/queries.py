"""Failure-impact answers (affects, whatif) built from an Outcome."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from impact.graph import CompiledGraph
from impact.model import Component, State
from impact.propagation import CODE, DOWN, Outcome, Spread
from impact.results import AffectsResult, GroupImpact, ServiceImpact, StateChange
from impact.traversal import IntArray

_NO_TIER = 99


def business_key(component: Component, state: State) -> tuple[int, int, float, str]:
    """Business-impact order: worst state, then tier 1 first (none last), revenue, name."""
    tier = component.tier if component.tier is not None else _NO_TIER
    return (-state.severity, tier, -(component.revenue_per_hour or 0.0), component.name)


def failure_path(graph: CompiledGraph, sprd: Spread, node: int) -> tuple[str, ...]:
    """A shortest path along which the failure reached `node`, failed component first.

    Down nodes follow the chain of down nodes; gates (groups) are left out of the names.
    """
    pred = sprd.down_pred if sprd.level[node] == DOWN else sprd.any_pred
    chain = [node]
    while len(chain) <= graph.n:
        before = int(pred[chain[-1]])
        if before < 0 or before >= graph.n:
            break
        chain.append(before)
    return tuple(graph.label(v) for v in reversed(chain) if not graph.is_gate(v))


def affects_result(graph: CompiledGraph, outcome: Outcome, failed: Sequence[int]) -> AffectsResult:
    """The AffectsResult for an outcome in which `failed` were made to fail."""
    codes = outcome.codes
    hit = np.flatnonzero(graph.business & (codes >= CODE[State.DEGRADED]))
    impacts = sorted(
        (_service_impact(graph, outcome, int(v)) for v in hit),
        key=lambda s: business_key(graph.components[graph.index[s.name]], s.state),
    )
    down = tuple(s for s in impacts if s.state == State.DOWN)
    failing = codes[: graph.n_components] >= CODE[State.MAINTENANCE]
    return AffectsResult(
        failed=tuple(graph.names[i] for i in failed),
        down=down,
        degraded=tuple(s for s in impacts if s.state == State.DEGRADED),
        protected=protected_services(graph, outcome),
        groups=group_impacts(graph, outcome.spread),
        components_impacted=int(failing.sum()) - int(failing[list(failed)].sum()),
        revenue_at_risk=float(sum(s.revenue_per_hour for s in down)),
    )


def _service_impact(graph: CompiledGraph, outcome: Outcome, node: int) -> ServiceImpact:
    c = graph.components[node]
    return ServiceImpact(
        name=c.name,
        title=c.title,
        state=outcome.state(node),
        tier=c.tier,
        owner=c.owner,
        channel=c.channel,
        revenue_per_hour=float(c.revenue_per_hour or 0.0),
        path=failure_path(graph, outcome.spread, node),
    )


def protected_services(graph: CompiledGraph, outcome: Outcome) -> tuple[str, ...]:
    """Business services that would be down if every group needed all of its members."""
    sprd = outcome.spread
    level = sprd.level[graph.gate_nodes]
    held = graph.gate_nodes[(sprd.members_down > 0) & (level != DOWN)]
    if len(held) == 0:
        return ()
    with graph.strict.walk() as walk:
        walk.block(np.flatnonzero(sprd.level == DOWN).astype(np.int32))
        saved = walk.extend(held)
    saved = saved[graph.business[saved] & (outcome.codes[saved] != CODE[State.DOWN])]
    ranked = sorted(
        saved.tolist(), key=lambda v: business_key(graph.components[v], outcome.state(v))
    )
    return tuple(graph.names[v] for v in ranked)


def group_impacts(graph: CompiledGraph, sprd: Spread) -> tuple[GroupImpact, ...]:
    """Groups that lost members: fallen ones first, then by name."""
    hit = np.flatnonzero(sprd.members_down > 0).tolist()
    found = [_group_impact(graph, sprd, graph.gates[g].node) for g in hit]
    return tuple(sorted(found, key=lambda g: (g.holds, g.name, g.dependant)))


def _group_impact(graph: CompiledGraph, sprd: Spread, node: int) -> GroupImpact:
    gate = graph.gate(node)
    lost = [m for m in gate.members if sprd.level[m] == DOWN]
    return GroupImpact(
        name=gate.group.name,
        dependant=graph.names[gate.dependant],
        members=tuple(graph.names[m] for m in gate.members),
        up=len(gate.members) - len(lost),
        required=gate.required,
        failed_members=tuple(graph.names[m] for m in lost),
    )


def state_changes(graph: CompiledGraph, before: Outcome, after: Outcome) -> tuple[StateChange, ...]:
    """Business services whose effective state differs, by business impact (after)."""
    differ = np.flatnonzero(graph.business & (before.codes != after.codes)).tolist()
    differ.sort(key=lambda v: business_key(graph.components[v], after.state(v)))
    return tuple(StateChange(graph.names[v], before.state(v), after.state(v)) for v in differ)


def indices(graph: CompiledGraph, names: Iterable[str]) -> list[int]:
    """Resolve names to sorted unique indices (raises UnknownComponent)."""
    return sorted({graph.lookup(name) for name in names})


def as_array(nodes: Iterable[int]) -> IntArray:
    return np.array(sorted(nodes), dtype=np.int32)
