"""Failure-impact answers (affects, whatif) built from an Outcome."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

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


def failure_paths(graph: CompiledGraph, sprd: Spread, nodes: IntArray) -> list[tuple[str, ...]]:
    """For each node, a shortest path along which the failure reached it, failed first.

    Down nodes follow the chain of down nodes; groups are left out of the names. All chains
    are walked together, one vectorised step per dependency level.
    """
    if len(nodes) == 0:
        return []
    down = sprd.level[nodes] == DOWN
    # impact predecessors are searched for only when a degraded node needs them
    any_pred = sprd.down_pred if down.all() else sprd.any_pred
    steps = [nodes.astype(np.int64)]
    current = steps[0]
    while len(steps) <= graph.n:
        before = np.where(down, sprd.down_pred[current], any_pred[current]).astype(np.int64)
        before[(before < 0) | (before >= graph.n) | (steps[-1] < 0)] = -1
        if (before < 0).all():
            break
        steps.append(before)
        current = np.maximum(before, 0)
    chains = np.stack(steps, axis=1)[:, ::-1]
    keep = (chains >= 0) & (chains < graph.n_components)  # gates and padding left out
    labels = graph.name_array[chains[keep]].tolist()  # row by row
    paths, start = [], 0
    for count in np.count_nonzero(keep, axis=1).tolist():
        paths.append(tuple(labels[start : start + count]))
        start += count
    return paths


def by_business_impact(
    graph: CompiledGraph, codes: npt.NDArray[np.int8], nodes: npt.NDArray[np.signedinteger[Any]]
) -> IntArray:
    """Nodes sorted worst state first, then tier, revenue, name."""
    order = np.lexsort((graph.rank[nodes], -codes[nodes].astype(np.int64)))
    ranked: IntArray = nodes[order].astype(np.int32)
    return ranked


def affects_result(graph: CompiledGraph, outcome: Outcome, failed: Sequence[int]) -> AffectsResult:
    """The AffectsResult for an outcome in which `failed` were made to fail."""
    codes, sprd = outcome.codes, outcome.spread
    business = graph.business_nodes
    hit = by_business_impact(graph, codes, business[codes[business] >= CODE[State.DEGRADED]])
    paths = failure_paths(graph, sprd, hit)
    impacts = [
        service_impact(graph, outcome, v, path) for v, path in zip(hit.tolist(), paths, strict=True)
    ]
    down = tuple(s for s in impacts if s.state == State.DOWN)
    # failing (down, degraded or maintenance) is exactly "reached by the combined spread"
    impacted = int(np.count_nonzero(sprd.level[: graph.n_components]))
    return AffectsResult(
        failed=tuple(graph.names[i] for i in failed),
        down=down,
        degraded=tuple(s for s in impacts if s.state == State.DEGRADED),
        protected=protected_services(graph, outcome),
        groups=group_impacts(graph, sprd),
        components_impacted=impacted - int(np.count_nonzero(sprd.level[list(failed)])),
        revenue_at_risk=float(sum(s.revenue_per_hour for s in down)),
    )


def service_impact(
    graph: CompiledGraph, outcome: Outcome, node: int, path: tuple[str, ...]
) -> ServiceImpact:
    c = graph.components[node]
    return ServiceImpact(
        name=c.name,
        title=c.title,
        state=outcome.state(node),
        tier=c.tier,
        owner=c.owner,
        channel=c.channel,
        revenue_per_hour=float(c.revenue_per_hour or 0.0),
        path=path,
    )


def protected_services(graph: CompiledGraph, outcome: Outcome) -> tuple[str, ...]:
    """Business services that would be down if every group needed all of its members."""
    sprd = outcome.spread
    level = sprd.level[graph.gate_nodes]
    held = graph.gate_nodes[(sprd.members_down > 0) & (level != DOWN)]
    if len(held) == 0:
        return ()
    reach = graph.reach()
    if reach is not None:  # strict closure of the down seeds, minus what is down
        saved = reach.of(sprd.down_seeds)
    else:
        with graph.strict.walk() as walk:
            walk.block_where(sprd.level == DOWN)
            saved = walk.extend(held)
        saved = saved[graph.business[saved]]
    saved = saved[sprd.level[saved] != DOWN]
    return tuple(graph.names[v] for v in by_business_impact(graph, outcome.codes, saved).tolist())


def group_impacts(graph: CompiledGraph, sprd: Spread) -> tuple[GroupImpact, ...]:
    """Groups that lost members: fallen ones first, then by name (gates are in name order)."""
    lost = sprd.members_down
    hit = np.flatnonzero(lost > 0)
    if len(hit) == 0:
        return ()
    fallen = graph.gate_sizes[hit] - lost[hit] < graph.gate_required[hit]
    ordered = np.concatenate([hit[fallen], hit[~fallen]])
    flags = sprd.level[graph.member_of] == DOWN  # per membership, gates contiguous
    if graph.member_bit is None:  # groups too large for one integer key: per-group tuples
        starts = graph.member_start.tolist()
        return tuple(
            _group_impact(graph, g, tuple(flags[starts[g] : starts[g + 1]].tolist()))
            for g in ordered.tolist()
        )
    # one integer per group for its lost members; each group keeps its latest row, checked
    # for all groups at once, so a repeat of the same loss costs a gather, not a dict get
    masks = np.bincount(graph.member_gate[flags], weights=graph.member_bit[flags])
    lost_now = masks[ordered].astype(np.int64)
    stale = graph.group_row_mask[ordered] != lost_now
    if stale.any():
        starts = graph.member_start.tolist()
        for g, mask in zip(ordered[stale].tolist(), lost_now[stale].tolist(), strict=True):
            graph.group_rows[g] = _group_impact(
                graph, g, tuple(flags[starts[g] : starts[g + 1]].tolist())
            )
            graph.group_row_mask[g] = mask
    return tuple(graph.group_rows[ordered].tolist())


def _group_impact(graph: CompiledGraph, offset: int, flags: tuple[bool, ...]) -> GroupImpact:
    """The same loss of the same group is the same value: keep it (bounded memo)."""
    memo = graph.group_memo
    found = memo.get((offset, flags))
    if found is not None:
        return found
    gate = graph.gates[offset]
    lost = [m for m, flag in zip(gate.members, flags, strict=True) if flag]
    impact = GroupImpact(
        name=gate.group.name,
        dependant=graph.names[gate.dependant],
        members=tuple(graph.names[m] for m in gate.members),
        up=len(gate.members) - len(lost),
        required=gate.required,
        failed_members=tuple(graph.names[m] for m in lost),
    )
    if len(memo) > 4 * len(graph.gates) + 1000:
        memo.clear()
    memo[(offset, flags)] = impact
    return impact


def state_changes(graph: CompiledGraph, before: Outcome, after: Outcome) -> tuple[StateChange, ...]:
    """Business services whose effective state differs, by business impact (after)."""
    business = graph.business_nodes
    differ = business[before.codes[business] != after.codes[business]].tolist()
    differ.sort(key=lambda v: business_key(graph.components[v], after.state(v)))
    return tuple(StateChange(graph.names[v], before.state(v), after.state(v)) for v in differ)


def indices(graph: CompiledGraph, names: Iterable[str]) -> list[int]:
    """Resolve names to sorted unique indices (raises UnknownComponent)."""
    return sorted({graph.lookup(name) for name in names})


def as_array(nodes: Iterable[int]) -> IntArray:
    return np.array(sorted(nodes), dtype=np.int32)
