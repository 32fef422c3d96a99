"""ImpactModel: the one object the rest of the product asks impact questions.

Compile a ServiceMap once (`ImpactModel.from_map`), feed it observed states (`set_states`),
then ask. Answers reflect every update made before the call. Calls are serialised by a lock,
so one model may be shared between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from impact.errors import ImpactError, MapError, UnknownComponent
from impact.graph import GATE, MEMBER, SOFT, CompiledGraph
from impact.mapdiff import MapDelta, respelled
from impact.memo import remembered
from impact.model import (
    Component,
    Dependency,
    DependencyKind,
    RedundancyGroup,
    ServiceMap,
    State,
    name_key,
)
from impact.propagation import CODE, Outcome, evaluate, raised_by
from impact.queries import (
    affects_result,
    by_business_impact,
    failure_paths,
    group_impacts,
    indices,
    service_impact,
    state_changes,
)
from impact.results import (
    AffectsResult,
    DependsResult,
    GroupImpact,
    PathResult,
    ServiceImpact,
    SpofResult,
    StatusResult,
    WhatIfResult,
    WhyResult,
)
from impact.rootcause import status, why
from impact.snapshot import ComponentMap, SnapshotError, pack, unpack
from impact.spof import spof_nodes
from impact.structure import depends, paths, paths_to

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["ImpactError", "ImpactModel", "MapError", "SnapshotError", "UnknownComponent"]

NEWLY_KEPT = 64  # subjects whose `newly_down` is kept per states
AFFECTS_KEPT = 64  # subjects whose `affects` (on a healthy map) is kept per map
P = ParamSpec("P")
# an edit from the change log: the touched nodes re-described, their dependencies by pair
_Edit = tuple[list[tuple[int, Component]], dict[tuple[int, int], Dependency]]
R = TypeVar("R")


def _locked(method: Callable[P, R]) -> Callable[P, R]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0]._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    wrapper.__doc__ = method.__doc__
    wrapper.__name__ = method.__name__
    return wrapper


class ImpactModel:
    """A compiled service map plus the current observed states."""

    def __init__(self, service_map: ServiceMap) -> None:
        self._map = ServiceMap(
            dict(service_map.components), list(service_map.dependencies), list(service_map.groups)
        )
        self._graph = CompiledGraph(self._map)
        self._observed: dict[int, State] = {}
        self._current: Outcome | None = None
        self._memo: tuple[Outcome, dict[str, Any]] | None = None  # `kept` values, per outcome
        self._removed: set[tuple[int, int]] = set()  # dependencies removed since the last read
        self._lock = threading.RLock()

    @classmethod
    def from_map(
        cls, service_map: ServiceMap, states: Mapping[str, State] | None = None
    ) -> ImpactModel:
        """Compile `service_map`; optional observed `states` as for `set_states`."""
        model = cls(service_map)
        if states:
            model.set_states(states)
        return model

    def to_snapshot(self, attached: Mapping[str, Any] | None = None) -> bytes:
        """The compiled model as bytes (`impact.snapshot`: numpy arrays and JSON, no pickle).

        Meant right after compiling: the states are not part of it. `attached`: JSON values
        derived from the same map that a reader keeps beside the model (a name index's
        tables), given back by `from_snapshot_attached`.
        """
        with self._lock:
            self._apply_removals()
            arrays, meta = self._graph.to_arrays(self._map.groups)
            return pack(arrays, {**meta, "attached": dict(attached or {})})

    @classmethod
    def from_snapshot(cls, data: bytes | memoryview) -> ImpactModel:
        """The model `to_snapshot` wrote, without compiling; raises SnapshotError on bad bytes.

        The map's dependencies are rebuilt from the arrays only when first read.
        """
        return cls.from_snapshot_attached(data)[0]

    @classmethod
    def from_snapshot_attached(cls, data: bytes | memoryview) -> tuple[ImpactModel, dict[str, Any]]:
        """`from_snapshot`, and the values attached to the snapshot (JSON, unchecked)."""
        arrays, meta = unpack(data)
        try:
            graph, groups = CompiledGraph.from_arrays(arrays, meta)
            attached = meta.get("attached", {})
            if not isinstance(attached, dict):
                raise TypeError(f"attached values of type {type(attached).__name__}")
        except (KeyError, TypeError, IndexError, ValueError) as error:
            raise SnapshotError(f"snapshot does not fit its format: {error!r}") from None
        model = object.__new__(cls)
        components = ComponentMap(graph.index, graph.components)  # each built when read
        model._map = DeferredMap(components, groups, graph.plain_dependencies)
        model._graph = graph
        model._observed, model._current, model._memo = {}, None, None
        model._removed, model._lock = set(), threading.RLock()
        return model, attached

    def fork(self) -> ImpactModel:
        """A model over the same compiled graph with states of its own (nothing recompiled).

        For replays and what-ifs that set many states: the fork's `set_states` leaves this
        model's states alone. The graph is shared, so a fork is meant to be short-lived: a
        dependency added to either later is seen by both.
        """
        with self._lock:
            self._apply_removals()
            fork = object.__new__(ImpactModel)
            fork._map, fork._graph = self._map, self._graph
            fork._observed, fork._current = dict(self._observed), self._current
            fork._removed, fork._lock, fork._memo = set(), threading.RLock(), self._memo
            return fork

    def edited(self, delta: MapDelta) -> ImpactModel | None:
        """A new model: this one with the change log's `delta` applied (`apply_delta`), this
        one left as it was (copy on write: the graph's arrays are copied, not recompiled);
        None when the delta needs a compile (see `apply_delta`), found before any copy."""
        with self._lock:
            edit = self._edit(delta)
            if edit is None:
                return None
            copy = object.__new__(ImpactModel)
            copy._graph = self._graph.copy()
            held = self._map  # its dependencies, when read, are the copy's graph edges
            components: MutableMapping[str, Component] = (
                held.components.over(copy._graph.index, copy._graph.components)
                if isinstance(held.components, ComponentMap)
                else dict(held.components)
            )
            copy._map = DeferredMap(components, list(held.groups), copy._graph.plain_dependencies)
            copy._observed, copy._current, copy._memo = dict(self._observed), None, None
            copy._removed, copy._lock = set(), threading.RLock()
        copy._apply(*edit)  # nobody else holds the copy yet
        return copy

    def patched(self, delta: MapDelta) -> ImpactModel | None:
        """A new model: this one with the change log's `delta` applied when it adds or
        re-describes components (`CompiledGraph.patched`: renumbered from this graph's
        arrays, not compiled from a map), this one left as it was; the observed states
        follow by name. None when the delta removes a component: compile then.
        """
        if any(key not in delta.components for key in delta.touched):
            return None
        touched = delta.touched
        with self._lock:
            self._apply_removals()
            graph, held, observed = self._graph, self._map, dict(self._observed)
            groups = respelled(
                [g for g in held.groups if name_key(g.dependant) not in touched], delta.components
            )
            held_components = held.components
            # re-described (a new spelling: a new key)
            dropped = [graph.names[old] for old in graph.nodes_of(touched)]
            if not isinstance(held_components, ComponentMap):
                held_components = dict(held_components)
                for name in dropped:
                    held_components.pop(name, None)
        try:
            new_graph = graph.patched(delta.components, delta.dependencies, delta.groups)
        except (MapError, UnknownComponent):
            return None
        components: MutableMapping[str, Component]
        if isinstance(held_components, ComponentMap):  # the new graph holds the delta's
            fresh = [*dropped, *(c.name for c in delta.components.values())]
            components = held_components.over(new_graph.index, new_graph.components, fresh)
        else:
            components = held_components
            components.update((c.name, c) for c in delta.components.values())
        model = object.__new__(ImpactModel)
        model._graph = new_graph
        model._map = DeferredMap(components, groups + delta.groups, new_graph.plain_dependencies)
        states = {graph.names[i]: s for i, s in observed.items() if i < graph.n_components}
        model._observed = {
            node: s for name, s in states.items() if (node := new_graph.find(name)) is not None
        }
        model._current, model._memo = None, None
        model._removed, model._lock = set(), threading.RLock()
        return model

    # ---- states ------------------------------------------------------------------------
    @_locked
    def set_states(self, states: Mapping[str, State]) -> None:
        """Replace the observed states: name -> State; components not listed are OK."""
        observed = {self._graph.lookup(name): State(state) for name, state in states.items()}
        self._observed = {i: s for i, s in observed.items() if s != State.OK}
        self._current = None

    @_locked
    def observed(self) -> dict[str, State]:
        """The observed (reported) states that are not OK, by component name."""
        return {self._graph.names[i]: s for i, s in self._observed.items()}

    @_locked
    def state_of(self, name: str) -> State:
        """Effective (propagated) state of a component or business service."""
        return self._outcome().state(self._graph.lookup(name))

    def _outcome(self) -> Outcome:
        if self._current is None:
            self._current = evaluate(self._graph, self._observed)
        return self._current

    # ---- impact --------------------------------------------------------------------------
    @_locked
    def affects(self, names: Sequence[str]) -> AffectsResult:
        """What fails if `names` fail on an otherwise healthy map: the map's structure
        alone, so kept until the graph is edited (`CompiledGraph.kept`, `AFFECTS_KEPT`
        subjects): asked again in a storm, nothing is evaluated again."""
        graph, failed = self._graph, indices(self._graph, names)

        def alone() -> AffectsResult:
            outcome = evaluate(graph, dict.fromkeys(failed, State.DOWN))
            return affects_result(graph, outcome, failed)

        return graph.kept("affects", tuple(failed), alone, AFFECTS_KEPT)

    @_locked
    def whatif(self, names: Sequence[str]) -> WhatIfResult:
        """What fails if `names` go down on top of the current states, and what changes."""
        failed = indices(self._graph, names)
        now = self._outcome()
        after = evaluate(self._graph, {**self._observed, **dict.fromkeys(failed, State.DOWN)})
        result = affects_result(self._graph, after, failed)
        return WhatIfResult(result.failed, result, state_changes(self._graph, now, after))

    def newly_down(self, names: Sequence[str]) -> tuple[ServiceImpact, ...]:
        """The business services `whatif(names)` takes down that are not down now, as its
        `affects.down` lists them (worst first), without building the rest of the what-if:
        in a storm a thousand services are failing, and the affects answer given now shows
        only those it adds. Kept per states (`kept`, for `NEWLY_KEPT` subjects): asked
        again of the same states, it is not evaluated again."""
        with self._lock:  # the states cannot move meanwhile: what is kept is of them
            failed = tuple(indices(self._graph, names))
            return self.kept_each(
                "newly down", failed, lambda: self._newly_down(failed), NEWLY_KEPT
            )

    def _newly_down(self, failed: Sequence[int]) -> tuple[ServiceImpact, ...]:
        graph = self._graph
        now = self._outcome()
        after = evaluate(graph, {**self._observed, **dict.fromkeys(failed, State.DOWN)})
        business = graph.business_nodes
        down = CODE[State.DOWN]
        moved = business[(after.codes[business] == down) & (now.codes[business] != down)]
        hit = by_business_impact(graph, after.codes, moved)
        paths = failure_paths(graph, after.spread, hit)
        return tuple(
            service_impact(graph, after, v, path)
            for v, path in zip(hit.tolist(), paths, strict=True)
        )

    @_locked
    def standing(self) -> tuple[frozenset[str], frozenset[str], tuple[GroupImpact, ...]]:
        """The business services down and degraded now, and the groups that lost members:
        the names and groups `whatif([]).affects` lists, without evaluating the states
        again or tracing a path for each service (the groups at their minimum read it
        after every reconcile)."""
        outcome, graph = self._outcome(), self._graph
        states = [(graph.names[v], outcome.state(v)) for v in graph.business_nodes.tolist()]
        down = frozenset(name for name, state in states if state == State.DOWN)
        degraded = frozenset(name for name, state in states if state == State.DEGRADED)
        return down, degraded, group_impacts(graph, outcome.spread)

    @_locked
    def worsened_by(
        self, names: Sequence[str], *, pause: Callable[[], object] | None = None
    ) -> dict[str, frozenset[str]]:
        """For each of `names`: the business services whose state would worsen should it
        go down on top of the current states (those `whatif([name])` finds down that are
        not down now, or degraded that are not failing now), without the rest of the
        answer. The groups at their minimum ask it of every member left; `pause` is called
        between members (see `raised_by`)."""
        outcome = self._outcome()
        graph = self._graph
        if any(s in (State.MAINTENANCE, State.UNKNOWN) for s in self._observed.values()):
            return {name: self._worsened_whatif(name) for name in names}
        nodes = [graph.lookup(name) for name in names]
        raised = raised_by(graph, outcome.spread, nodes, pause)
        return {
            name: frozenset(graph.names[v] for v in up[graph.business[up]])
            for name, up in zip(names, raised, strict=True)
        }

    def _worsened_whatif(self, name: str) -> frozenset[str]:
        """`worsened_by` from a whole what-if: planned work and unknowns change the rules."""
        result = self.whatif([name])
        before = self.status().services
        down = {s.name for s in before if s.state is State.DOWN}
        hit = down | {s.name for s in before if s.state is State.DEGRADED}
        worse = {s.name for s in result.affects.down} - down
        return frozenset(worse | ({s.name for s in result.affects.degraded} - hit))

    @_locked
    def status(self) -> StatusResult:
        """Every business service with its effective state, worst first (kept until the
        states or the map change: a storm of questions pays it once per change)."""
        outcome = self._outcome()
        return self.kept("status", lambda model: status(model._graph, outcome))

    def kept_each(self, kind: str, key: Hashable, compute: Callable[[], R], at_most: int) -> R:
        """`compute()` kept per states (`kept`) under `key`, for at most `at_most` keys of
        `kind` at a time (`impact.memo.remembered`): one answer of several subjects."""
        values: dict[Hashable, R] = self.kept(kind, lambda _: {})
        return remembered(values, key, compute, at_most)

    def kept(self, key: str, compute: Callable[[ImpactModel], R]) -> R:
        """`compute(self)`, computed once per states and map: kept under `key` until they
        change, and shared with the forks taken meanwhile (which start with the same
        states). For derived answers every question and reconcile asks again (status, the
        groups at their minimum). `compute` runs outside the model's lock and must not set
        states; a value computed while the states moved is returned, not kept."""
        with self._lock:
            outcome = self._outcome()
            memo = self._memo
            if memo is not None and memo[0] is outcome and key in memo[1]:
                return memo[1][key]  # type: ignore[no-any-return]
        value = compute(self)
        with self._lock:
            if self._current is outcome:
                if self._memo is None or self._memo[0] is not outcome:
                    self._memo = (outcome, {})
                self._memo[1][key] = value
        return value

    @_locked
    def why(self, name: str) -> WhyResult:
        """Root causes of a component's current effective state."""
        return why(self._graph, self._outcome(), self._graph.lookup(name))

    @_locked
    def spof(self, name: str) -> SpofResult:
        """Components whose failure alone takes `name` down (on a healthy map)."""
        node = self._graph.lookup(name)
        found = spof_nodes(self._graph, node)
        return SpofResult(self._graph.names[node], tuple(self._graph.names[v] for v in found))

    # ---- structure -----------------------------------------------------------------------
    @_locked
    def depends(self, name: str, depth: int = 3) -> DependsResult:
        """Dependency tree of `name`, `depth` levels deep, with current states."""
        if depth < 0:
            raise ImpactError(f"depth must be 0 or more, got {depth}; try depth=3.")
        return depends(self._graph, self._outcome(), self._graph.lookup(name), depth)

    @_locked
    def path(self, a: str, b: str) -> PathResult:
        """Shortest dependency paths a -> ... -> b (or b -> ... -> a when only that exists)."""
        return paths(self._graph, self._graph.lookup(a), self._graph.lookup(b))

    @_locked
    def paths_to(self, names: Sequence[str], target: str) -> list[tuple[tuple[str, ...], ...]]:
        """For each of `names`, its shortest dependency paths to `target` (the name first),
        none when it does not depend on it: `path(name, target)` one way only, the search
        up from the target made once for all of them."""
        graph = self._graph
        sources = [graph.lookup(name) for name in names]
        return paths_to(graph, sources, graph.lookup(target))

    @_locked
    def component(self, name: str) -> Component:
        return self._graph.components[self._graph.lookup(name)]

    @_locked
    def names(self) -> list[str]:
        """Every component and business service name, sorted."""
        return list(self._graph.names)

    @property
    def service_map(self) -> ServiceMap:
        """The map as the model currently holds it (updates included)."""
        with self._lock:
            self._apply_removals()
            return self._map

    def _apply_removals(self) -> None:
        if not self._removed:
            return
        if isinstance(self._map, DeferredMap) and self._map.pending:
            self._removed = set()  # the list, when built, is read from the graph's edges
            return
        lookup, removed = self._graph.lookup, self._removed
        self._map.dependencies = [
            d for d in self._map.dependencies if (lookup(d.source), lookup(d.target)) not in removed
        ]
        self._removed = set()

    # ---- updates -------------------------------------------------------------------------
    @_locked
    def add_dependency(self, dep: Dependency | RedundancyGroup) -> None:
        """Add a dependency (in place) or a redundancy group (recompiles the map)."""
        if isinstance(dep, RedundancyGroup):
            self._map.groups.append(dep)
            self._recompile()
            return
        self._graph.add_edge(dep)
        if (self._graph.lookup(dep.source), self._graph.lookup(dep.target)) in self._removed:
            self._apply_removals()  # the pending filter must not drop this new edge
        if not (isinstance(self._map, DeferredMap) and self._map.pending):
            self._map.dependencies.append(dep)  # else: built from the graph's edges when read
        self._current = None

    @_locked
    def remove_dependency(self, source: str, target: str) -> None:
        """Remove source -> target: plain dependencies, or the group named `target` of source."""
        groups = [g for g in self._map.groups if not _is_group_of(g, source, target)]
        if len(groups) < len(self._map.groups):
            self._map.groups = groups
            self._recompile()
            return
        if not self._graph.remove_edges(source, target):
            raise ImpactError(
                f"{source!r} does not depend on {target!r}; "
                f"see depends({source!r}) for its dependencies."
            )
        # the map's own list is filtered when next read: keeps an update O(edges) in numpy
        self._removed.add((self._graph.lookup(source), self._graph.lookup(target)))
        self._current = None

    @_locked
    def apply_delta(self, delta: MapDelta) -> bool:
        """Apply the change log's `delta` in place when it only changes dependencies or
        fields that leave the compiled order alone; False (nothing changed) when it adds,
        removes, renames or re-kinds a component, or changes a group: compile then.
        """
        edit = self._edit(delta)
        if edit is not None:
            self._apply(*edit)
        return edit is not None

    def _edit(self, delta: MapDelta) -> _Edit | None:
        """What `apply_delta` changes (the touched nodes with their new descriptions, and
        their dependencies by node pair), or None when `delta` needs a compile."""
        graph = self._graph
        touched: list[tuple[int, Component]] = []
        for key in sorted(delta.touched):
            node = graph.find(key)
            new = delta.components.get(key)
            if node is None or new is None:
                return None
            old = graph.components[node]
            # the compiled order and business rank, and what indexes keyed by the map
            # (alert rules from labels) read once: a change of these compiles anew
            if (new.name, new.kind, new.tier, new.revenue_per_hour, new.labels) != (
                old.name,
                old.kind,
                old.tier,
                old.revenue_per_hour,
                old.labels,
            ):
                return None
            touched.append((node, new))
        sources = {node for node, _ in touched}
        names = {graph.names[node] for node in sources}
        held_groups = sorted(
            (g for g in self._map.groups if g.dependant in names), key=lambda g: g.name
        )
        if held_groups != sorted(delta.groups, key=lambda g: g.name):
            return None
        try:
            lookup = graph.lookup
            wanted = {(lookup(d.source), lookup(d.target)): d for d in delta.dependencies}
        except UnknownComponent:
            return None
        if any(source not in sources for source, _ in wanted):
            return None
        return touched, wanted

    def _apply(
        self, touched: list[tuple[int, Component]], wanted: dict[tuple[int, int], Dependency]
    ) -> None:
        graph = self._graph
        sources = {node for node, _ in touched}
        removed, added = graph.rewire(sources, {pair: _code(d) for pair, d in wanted.items()})
        if not (isinstance(self._map, DeferredMap) and self._map.pending):
            self._removed.update(removed)  # the map's own list, filtered when next read
            if any((s, t) in self._removed for s, t, _ in added):
                self._apply_removals()  # the pending filter must not drop these new edges
            self._map.dependencies.extend(wanted[s, t] for s, t, _ in added)
        self._current = None
        for node, new in touched:
            graph.replace_component(node, new)
            self._map.components[new.name] = new

    def _recompile(self) -> None:
        self._apply_removals()
        names = {i: self._graph.names[i] for i in self._observed}
        self._graph = CompiledGraph(self._map)
        self._observed = {self._graph.index[n]: self._observed[i] for i, n in names.items()}
        self._current = None

    # ---- modelling -----------------------------------------------------------------------
    @_locked
    def to_networkx(self) -> nx.DiGraph:
        """The map as a DiGraph: edge source -> target means "source depends on target".

        Groups are nodes with `kind="group"`; edges carry `kind` (hard, soft, group, member).
        Node attributes: kind, state (effective), business (bool). Meant for small maps.
        """
        import networkx as nx  # here: a start of `bsm serve` never needs it

        graph, outcome = self._graph, self._outcome()
        digraph = nx.DiGraph()
        for node in range(graph.n):
            kind = "group" if graph.is_gate(node) else graph.components[node].kind
            digraph.add_node(
                graph.label(node),
                kind=kind,
                state=outcome.state(node),
                business=bool(graph.business[node]),
            )
        for source in range(graph.n):
            for target, edge_kind in graph.edge_kinds(source).items():
                digraph.add_edge(
                    graph.label(source), graph.label(target), kind=_EDGE_NAMES[edge_kind]
                )
        return digraph


class DeferredMap(ServiceMap):
    """A ServiceMap whose dependencies are built on first read (a snapshot holds them as arrays).

    Components and groups are there at once: most readers want only those.
    """

    __slots__ = ("_pending", "_pending_lock")

    def __init__(
        self,
        components: MutableMapping[str, Component],
        groups: list[RedundancyGroup],
        build: Callable[[], list[Dependency]],
    ) -> None:
        self._pending_lock = threading.Lock()
        super().__init__(components, [], groups)
        self._pending: Callable[[], list[Dependency]] | None = build

    @property
    def pending(self) -> bool:
        """Whether the dependencies are still to be built (from the graph's edges)."""
        return self._pending is not None

    @property
    def dependencies(self) -> list[Dependency]:
        if self._pending is not None:
            with self._pending_lock:
                if self._pending is not None:
                    _DEPENDENCIES.__set__(self, self._pending())
                    self._pending = None
        found: list[Dependency] = _DEPENDENCIES.__get__(self, ServiceMap)
        return found

    @dependencies.setter
    def dependencies(self, value: list[Dependency]) -> None:
        with self._pending_lock:
            self._pending = None
            _DEPENDENCIES.__set__(self, value)


_DEPENDENCIES: Any = ServiceMap.__dict__["dependencies"]  # the slot behind DeferredMap's property

_EDGE_NAMES: dict[int, str] = {
    0: DependencyKind.HARD.value,
    SOFT: DependencyKind.SOFT.value,
    GATE: "group",
    MEMBER: "member",
}


def _code(dependency: Dependency) -> int:
    return SOFT if dependency.kind == DependencyKind.SOFT else 0


def _is_group_of(group: RedundancyGroup, source: str, target: str) -> bool:
    return (
        group.dependant.casefold() == source.casefold()
        and group.name.casefold() == target.casefold()
    )
