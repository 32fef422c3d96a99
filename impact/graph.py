"""The service map compiled to integer-indexed arrays.

Nodes are the components (sorted by name) followed by one virtual gate node per redundancy
group (sorted by group name). A group compiles to `dependant --hard--> gate --member--> members`.
Edges are stored reversed (dependency -> dependant: the direction a failure travels) in three
adjacencies: `all` (every edge), `hard` (hard and gate->dependant edges: what carries "down"),
`strict` (hard plus member edges: "down" if every group needed all of its members).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from impact.errors import MapError, UnknownComponent, close_names
from impact.mapdiff import respelled
from impact.memo import remembered
from impact.model import (
    BUSINESS_KIND,
    Component,
    Dependency,
    DependencyKind,
    RedundancyGroup,
    ServiceMap,
    name_key,
)
from impact.reach import BusinessReach, business_reach
from impact.results import GroupImpact
from impact.snapshot import (
    ComponentColumns,
    component_columns,
    dense_columns,
    group_rows,
    groups_from_rows,
)
from impact.traversal import Adjacency

HARD, SOFT, GATE, MEMBER = 0, 1, 2, 3
REACH_REBUILD_AFTER = 100  # questions answered by search before a stale table is rebuilt
T = TypeVar("T")
KEPT = 20_000  # values of the structure kept (`CompiledGraph.kept`): reached services, paths
# which adjacency carries each edge kind (forward: source depends on target)
_CARRIERS = {HARD: ("all", "hard", "strict"), SOFT: ("all",), GATE: ("all", "hard", "strict")}


@dataclass(frozen=True, slots=True)
class Gate:
    """A compiled redundancy group."""

    node: int
    group: RedundancyGroup
    dependant: int
    members: tuple[int, ...]
    required: int

    @property
    def slack(self) -> int:
        """How many members may be down before the group falls."""
        return len(self.members) - self.required


class CompiledGraph:
    """Arrays for propagation plus the name <-> index tables of one service map."""

    def __init__(self, service_map: ServiceMap) -> None:
        self.components: list[Component] | ComponentColumns = sorted(
            service_map.components.values(), key=lambda c: c.name
        )
        self.names = [c.name for c in self.components]
        self.index = dict(zip(self.names, range(len(self.names)), strict=True))
        self._folded: dict[str, int] | None = None  # built on the first case-insensitive miss
        self.n_components = len(self.names)
        self.business = np.array([c.is_business for c in self.components], dtype=bool)
        self.gates = self._compile_gates(service_map.groups)
        self.n = self.n_components + len(self.gates)
        self.business = np.concatenate([self.business, np.zeros(len(self.gates), dtype=bool)])
        self._edges = self._compile_edges(service_map.dependencies)
        self._added: list[tuple[int, int, int]] = []
        self._dropped: set[tuple[int, int]] = set()  # plain pairs whose rows in _edges went
        self.rank = self._business_rank()
        self._build_adjacencies()
        self._build_gate_arrays()
        self._reach: BusinessReach | None = business_reach(self.strict, self.business_nodes)
        self._reach_current = True
        self._reach_misses = 0
        self.name_array = np.array(self.names, dtype=object)

    # ---- snapshot ----------------------------------------------------------------------
    ADJACENCIES = ("all", "hard", "strict", "forward")

    def to_arrays(
        self, groups: Sequence[RedundancyGroup]
    ) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
        """Everything `from_arrays` needs: numpy arrays and JSON values (`impact.snapshot`).

        `groups` are the map's groups in the map's order (the gates hold them sorted).
        """
        arrays: dict[str, npt.NDArray[Any]] = {"edges": self.edges, "rank": self.rank}
        for name in self.ADJACENCIES:
            arrays[f"{name}.indptr"], arrays[f"{name}.indices"] = getattr(self, name).arrays()
        reach = self.reach() if self._reach_current else None
        if reach is not None:
            arrays["reach.label"], arrays["reach.bits"], arrays["reach.business"] = reach.arrays()
        meta = {"components": component_columns(self.components), "groups": group_rows(groups)}
        return arrays, meta

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any]
    ) -> tuple[CompiledGraph, list[RedundancyGroup]]:
        """The graph of `to_arrays` (nothing recompiled), and the map's groups in order."""
        graph = object.__new__(cls)
        columns = dense_columns(meta["components"])
        graph.components = ComponentColumns(columns)  # each built when first read
        graph.names = columns["name"]  # the names the components hold
        graph.index = dict(zip(graph.names, range(len(graph.names)), strict=True))
        graph._folded = None
        graph.n_components = len(graph.names)
        groups = groups_from_rows(meta["groups"])
        graph.gates = graph._compile_gates(groups)
        graph.n = graph.n_components + len(graph.gates)
        graph.business = np.concatenate(
            [
                np.array([k == BUSINESS_KIND for k in columns["kind"]], dtype=bool),
                np.zeros(len(graph.gates), dtype=bool),
            ]
        )
        graph._edges = np.asarray(arrays["edges"], dtype=np.int64).reshape(-1, 3)
        graph._added, graph._dropped = [], set()
        graph.rank = np.asarray(arrays["rank"], dtype=np.int64)
        for name in cls.ADJACENCIES:
            indptr, indices = arrays[f"{name}.indptr"], arrays[f"{name}.indices"]
            if len(indptr) != graph.n + 2:
                raise MapError(f"snapshot adjacency {name!r} does not fit {graph.n} nodes")
            adjacency = Adjacency.from_arrays(graph.n, indptr, indices)
            setattr(graph, name if name != "forward" else "_forward", adjacency)
        graph._build_gate_arrays()
        graph._reach = None
        if "reach.label" in arrays:
            graph._reach = BusinessReach(  # read-only views of the snapshot: never written
                np.asarray(arrays["reach.label"], dtype=np.int32),
                np.asarray(arrays["reach.bits"], dtype=np.uint64),
                np.asarray(arrays["reach.business"], dtype=np.int32),
            )
        else:
            graph._reach = business_reach(graph.strict, graph.business_nodes)
        graph._reach_current, graph._reach_misses = True, 0
        graph.name_array = np.array(graph.names, dtype=object)
        return graph, groups

    def plain_dependencies(self) -> list[Dependency]:
        """The map's dependencies (not the groups' edges), in the map's order."""
        plain = self.edges[self.edges[:, 2] <= SOFT].tolist()
        names, kinds = self.names, (DependencyKind.HARD, DependencyKind.SOFT)
        return [Dependency(names[source], names[target], kinds[k]) for source, target, k in plain]

    # ---- names -------------------------------------------------------------------------
    def find(self, name: str) -> int | None:
        """Index of a component name (exact, then case-insensitive), None when unknown."""
        found = self.index.get(name)
        return found if found is not None else self._casefolded().get(name.casefold())

    def nodes_of(self, keys: Iterable[str]) -> set[int]:
        """The nodes of the components named by `keys` (name keys) that this graph holds."""
        return {node for key in keys if (node := self.find(key)) is not None}

    def lookup(self, name: str) -> int:
        """Index of a component name (exact, then case-insensitive); raises UnknownComponent."""
        found = self.index.get(name)
        if found is None:
            found = self._casefolded().get(name.casefold())
        if found is None:
            raise UnknownComponent(name, close_names(name, self.names))
        return found

    def _casefolded(self) -> dict[str, int]:
        """Casefolded name -> index (the last of names folding alike), built when first
        asked: names people type exactly, as resolved by the name index, never need it.
        Two threads may both build it; either table is the same."""
        folded = self._folded
        if folded is None:
            names = self.names
            joined = "\0".join(names).casefold().split("\0")  # one call: ~10^5 names
            keys = joined if len(joined) == len(names) else [n.casefold() for n in names]
            folded = self._folded = dict(zip(keys, range(len(names)), strict=True))
        return folded

    def label(self, node: int) -> str:
        """Component name, or the group name for a gate node."""
        if node < self.n_components:
            return self.names[node]
        return self.gates[node - self.n_components].group.name

    def is_gate(self, node: int) -> bool:
        return node >= self.n_components

    def gate(self, node: int) -> Gate:
        return self.gates[node - self.n_components]

    # ---- compile -----------------------------------------------------------------------
    def _business_rank(self) -> npt.NDArray[np.int64]:
        """Static business order per node (tier 1 first, none last, revenue desc, name)."""

        def key(i: int) -> tuple[int, float, str]:
            c = self.components[i]
            return (c.tier if c.tier is not None else 99, -(c.revenue_per_hour or 0.0), c.name)

        rank = np.zeros(self.n, dtype=np.int64)
        ordered = sorted(np.flatnonzero(self.business).tolist(), key=key)
        rank[ordered] = np.arange(len(ordered))
        return rank

    def _compile_gates(self, groups: Sequence[RedundancyGroup]) -> list[Gate]:
        gates = []
        for offset, group in enumerate(sorted(groups, key=lambda g: (g.name, g.dependant))):
            members = tuple(sorted({self._known(m, group.name) for m in group.members}))
            required = min(max(group.required, 0), len(members))
            node = self.n_components + offset
            dependant = self._known(group.dependant, group.name)
            gates.append(Gate(node, group, dependant, members, required))
        return gates

    def _compile_edges(self, deps: Sequence[Dependency]) -> npt.NDArray[np.int64]:
        """Forward edges as rows (source, target, kind), gates included."""
        plain = np.empty((len(deps), 3), dtype=np.int64)
        index, count = self.index, len(deps)
        try:  # exact names: one dict get each, no per-edge function calls (millions of edges)
            plain[:, 0] = np.fromiter((index[d.source] for d in deps), np.int64, count)
            plain[:, 1] = np.fromiter((index[d.target] for d in deps), np.int64, count)
        except KeyError:  # case-insensitive names or an unknown one (reported by _known)
            plain[:, 0] = [self._known(d.source, d.source) for d in deps]
            plain[:, 1] = [self._known(d.target, d.source) for d in deps]
        soft = DependencyKind.SOFT
        plain[:, 2] = np.fromiter((d.kind == soft for d in deps), bool, count)
        plain[:, 2] *= SOFT - HARD
        plain[:, 2] += HARD
        rows: list[tuple[int, int, int]] = []
        for g in self.gates:
            rows.append((g.dependant, g.node, GATE))
            rows.extend((g.node, m, MEMBER) for m in g.members)
        grouped = np.array(rows, dtype=np.int64).reshape(-1, 3)
        return np.concatenate([plain, grouped]) if len(grouped) else plain

    def _known(self, name: str, where: str) -> int:
        try:
            return self.lookup(name)
        except UnknownComponent as error:
            raise MapError(f"{where!r} refers to unknown component {name!r}. {error}") from None

    def _build_adjacencies(self) -> None:
        src, dst, kind = self.edges[:, 1], self.edges[:, 0], self.edges[:, 2]
        self.all = Adjacency(self.n, src, dst)
        hard = (kind == HARD) | (kind == GATE)
        self.hard = Adjacency(self.n, src[hard], dst[hard])
        strict = hard | (kind == MEMBER)
        self.strict = Adjacency(self.n, src[strict], dst[strict])
        # built now: a question with most of the map down reads it (see propagation)
        self._forward: Adjacency | None = Adjacency(self.n, self.edges[:, 0], self.edges[:, 1])

    def _build_gate_arrays(self) -> None:
        members = [(m, g.node) for g in self.gates for m in g.members]
        pairs = np.array(members, dtype=np.int64).reshape(-1, 2)
        self.member_of = pairs[:, 0]  # member node of each membership
        self.member_gate = pairs[:, 1] - self.n_components  # gate offset of each membership
        self.is_member = np.zeros(self.n, dtype=bool)  # per node: member of some group
        self.is_member[self.member_of] = True
        self.business_nodes = np.flatnonzero(self.business).astype(np.int32)
        self.gate_slack = np.array([g.slack for g in self.gates], dtype=np.int64)
        self.gate_nodes = np.arange(self.n_components, self.n, dtype=np.int32)
        self.gate_sizes = np.array([len(g.members) for g in self.gates], dtype=np.int64)
        self.gate_required = np.array([g.required for g in self.gates], dtype=np.int64)
        self.member_start = np.concatenate([[0], np.cumsum(self.gate_sizes)])
        self.group_memo: dict[tuple[int, tuple[bool, ...]], GroupImpact] = {}
        self.group_rows = np.empty(len(self.gates), dtype=object)  # per group: latest row
        self.group_row_mask = np.full(len(self.gates), -1, dtype=np.int64)  # its lost mask
        self._build_member_bits()

    def _build_member_bits(self) -> None:
        """Per membership 1 << its position in the group, when a group's lost set fits a mask."""
        largest = int(self.gate_sizes.max()) if len(self.gates) else 0
        self.member_bit: npt.NDArray[np.float64] | None = None
        if largest <= 52:  # bincount sums float64 weights: exact below 2**53
            position = np.arange(len(self.member_of)) - self.member_start[self.member_gate]
            self.member_bit = np.ldexp(1.0, position)

    @property
    def edges(self) -> npt.NDArray[np.int64]:
        """Forward edges as rows (source, target, kind), updates included (an edit keeps
        its changes aside, `rewire`: the array, shared with the graph it was copied from,
        is made anew only when read)."""
        if self._dropped:
            edges, n = self._edges, self.n
            keys = edges[:, 0] * n + edges[:, 1]
            gone = np.fromiter((s * n + t for s, t in self._dropped), np.int64)
            self._edges = edges[~(np.isin(keys, gone) & (edges[:, 2] <= SOFT))]
            self._dropped = set()
        if self._added:
            added = np.array(self._added, dtype=np.int64)
            self._edges, self._added = np.vstack([self._edges, added]), []
        return self._edges

    def reach(self) -> BusinessReach | None:
        """Business services reached per node over strict edges, None while out of date.

        An edit makes the table stale; callers then search. A rebuild costs about a hundred
        searches, so it waits until that many questions have needed it: a burst of edits
        (a sync) does not pay it per edit.
        """
        if not self._reach_current:
            self._reach_misses += 1
            if self._reach_misses < REACH_REBUILD_AFTER:
                return None
            self._reach = business_reach(self.strict, self.business_nodes)
            self._reach_current, self._reach_misses = True, 0
        return self._reach

    def business_above(self, node: int) -> list[int]:
        """The business services a failure of `node` reaches (over every edge kind), by
        node index in search order: the map's structure only, so kept per node until the
        graph is edited. A status in a storm asks it of the same failing components again
        and again."""

        def reached() -> list[int]:
            with self.all.walk() as walk:
                reach = walk.extend(np.array([node], dtype=np.int32))
            found: list[int] = reach[self.business[reach]].tolist()
            return found

        return self.kept("above", node, reached)

    def replace_component(self, node: int, component: Component) -> None:
        """`component` in place of `node`'s (its fields anew, its place in the compiled
        order the same): what is kept of the map (`kept`: answers naming owners) anew."""
        self.components[node] = component
        self._forget_kept()

    def _forget_kept(self) -> None:
        """Start what `kept` holds anew: the graph (its structure, or a component) changed."""
        self.__dict__["_kept"] = {}

    def kept(self, kind: str, key: Hashable, compute: Callable[[], T], at_most: int = KEPT) -> T:
        """`compute()`, a value of the map's structure alone (never of states), kept under
        `key` until the graph is edited; at most `at_most` values of each `kind` (then
        that kind starts anew)."""
        kept = cast("dict[str, dict[Hashable, T]]", self.__dict__.setdefault("_kept", {}))
        values = kept.get(kind)
        if values is None:
            values = kept.setdefault(kind, {})
        return remembered(values, key, compute, at_most)  # a storm's failures fit many times

    @property
    def forward(self) -> Adjacency:
        """Forward edges (dependant -> dependency, every kind), built on first use."""
        if self._forward is None:
            self._forward = Adjacency(self.n, self.edges[:, 0], self.edges[:, 1])
        return self._forward

    def edge_kinds(self, source: int) -> dict[int, int]:
        """Forward edges of one node: target -> kind (hard wins over soft)."""
        kinds: dict[int, int] = {}
        for target in self.forward.row(source).tolist():
            if self.is_gate(source):
                kinds[target] = MEMBER
            elif self.is_gate(target):
                kinds[target] = GATE
            else:
                kinds[target] = HARD if self.hard.has_edge(target, source) else SOFT
        return kinds

    # ---- incremental updates -------------------------------------------------------------
    def copy(self) -> CompiledGraph:
        """A graph equal to this one whose edits leave this one alone (copy on write).

        The adjacencies and the tables an edit changes are copied; what edits replace
        rather than change (the edge array, the business-reach table, the gates and their
        arrays, which a group change compiles anew) is shared.
        """
        graph = object.__new__(CompiledGraph)
        graph.__dict__.update(self.__dict__)
        graph.components = self.components.copy()  # columns: nothing built
        graph._added, graph._dropped = list(self._added), set(self._dropped)
        graph._forget_kept()  # kept apart: an edit of the copy clears its own
        for name in ("all", "hard", "strict"):
            setattr(graph, name, getattr(self, name).copy())
        graph._forward = self._forward.copy() if self._forward is not None else None
        return graph

    def patched(
        self,
        components: Mapping[str, Component],
        dependencies: Sequence[Dependency],
        groups: Sequence[RedundancyGroup],
    ) -> CompiledGraph:
        """A new graph: this one with the components `components` (by name key: added, or
        re-described whole with their own `dependencies` and the `groups` they are the
        dependant of) in place of what it held for them; this one is left alone.

        Built from this graph's arrays, not from a map: the edges kept are renumbered in
        numpy and the adjacencies sorted anew, no dependency object is made. The
        business-reach table is left to be rebuilt when questions need it (`reach`).
        Raises MapError when a dependency or group names an unknown component.
        """
        touched = set(components)
        old_names, count = self.names, self.n_components
        gone = self.nodes_of(touched)  # re-described: their rows are replaced
        # the names kept and the new ones, in order, without reading a component
        kept = [name for i, name in enumerate(old_names[:count]) if i not in gone]
        names = sorted([*kept, *(c.name for c in components.values())])  # two sorted runs
        new_at = {bisect_left(names, c.name): c for c in components.values()}
        source = np.full(len(names), -1, dtype=np.int64)  # new position -> old node
        held = np.ones(len(names), dtype=bool)
        held[list(new_at)] = False
        source[held] = np.delete(np.arange(count, dtype=np.int64), sorted(gone))
        sources = source.tolist()
        graph = object.__new__(CompiledGraph)
        graph.components = _renumbered(self.components, sources, new_at)
        graph.names = names
        graph.index = {name: i for i, name in enumerate(graph.names)}
        graph._folded = {name.casefold(): i for i, name in enumerate(graph.names)}
        graph.n_components = len(graph.names)
        held_groups = respelled(
            [g.group for g in self.gates if name_key(g.group.dependant) not in touched], components
        )
        graph.gates = graph._compile_gates([*held_groups, *groups])
        graph.n = graph.n_components + len(graph.gates)
        graph.business = np.zeros(graph.n, dtype=bool)
        graph.business[: graph.n_components][held] = self.business[source[held]]
        for at, component in new_at.items():
            graph.business[at] = component.is_business
        # old component index -> new (NULL for a touched one: its edges are replaced)
        renumber = np.full(count, -1, dtype=np.int64)
        renumber[source[held]] = np.flatnonzero(held)
        edges = self.edges
        plain = edges[edges[:, 2] <= SOFT]
        plain = plain[renumber[plain[:, 0]] >= 0]
        moved = np.column_stack([renumber[plain[:, 0]], renumber[plain[:, 1]], plain[:, 2]])
        if (moved[:, 1] < 0).any():  # an edge into a touched component keeps its target
            targets = plain[:, 1][moved[:, 1] < 0]
            moved[moved[:, 1] < 0, 1] = [graph._known(old_names[t], old_names[t]) for t in targets]
        added = graph._compile_edges(dependencies)  # the new plain edges, then every gate's
        graph._edges = np.concatenate([moved.astype(np.int64), added])
        graph._added, graph._dropped = [], set()
        graph.rank = graph._business_rank()
        graph._build_adjacencies()
        graph._build_gate_arrays()
        graph._reach, graph._reach_current, graph._reach_misses = None, False, 0
        graph.name_array = np.array(graph.names, dtype=object)
        return graph

    def add_edge(self, dep: Dependency) -> None:
        """Add one plain dependency in place (the adjacency rows stay sorted)."""
        source, target, kind = self.lookup(dep.source), self.lookup(dep.target), _kind(dep)
        self._forget_kept()  # the structure changed
        self._added.append((source, target, kind))
        for name in _CARRIERS[kind]:
            adjacency: Adjacency = getattr(self, name)
            adjacency.add_edge(target, source)
        self._reach_current &= kind == SOFT  # soft edges are not strict
        if self._forward is not None:
            self._forward.add_edge(source, target)

    def rewire(
        self, sources: Collection[int], wanted: Mapping[tuple[int, int], int]
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
        """Make the plain dependencies of the nodes `sources` exactly `wanted` ((source,
        target) -> kind, each source among `sources`) in place; returns the pairs removed
        and the edges (source, target, kind) added (a pair whose kind changed is both).

        The sources' edges are read from the forward adjacency, not the edge array: the
        array is left as it is, its changes kept aside (`edges`), and only the adjacency
        rows of the pairs that changed are edited.
        """
        held = {
            (source, target): kind
            for source in sources
            for target, kind in self.edge_kinds(source).items()
            if kind <= SOFT
        }
        removed = [pair for pair, kind in held.items() if wanted.get(pair) != kind]
        added = [(s, t, k) for (s, t), k in wanted.items() if held.get((s, t)) != k]
        # the edge array's rows of the sources give way to `wanted`, changed or not
        self._dropped.update(held)
        self._added = [row for row in self._added if row[0] not in sources]
        self._added.extend((s, t, k) for (s, t), k in wanted.items())
        if not removed and not added:
            return removed, added
        self._forget_kept()  # the structure changed
        strict = any(held[pair] != SOFT for pair in removed)
        for source, target in removed:
            for adjacency in (self.all, self.hard, self.strict):
                adjacency.remove_edge(target, source)
            self.forward.remove_edge(source, target)
        for source, target, kind in added:
            for name in _CARRIERS[kind]:
                adjacency = getattr(self, name)
                adjacency.add_edge(target, source)
            self.forward.add_edge(source, target)
            strict |= kind != SOFT
        if strict:  # the business-reach table reads the strict edges only
            self._reach_current = False
        return removed, added

    def remove_edges(self, source_name: str, target_name: str) -> bool:
        """Remove every plain dependency source -> target; False when there was none."""
        source, target = self.lookup(source_name), self.lookup(target_name)
        doomed = (self.edges[:, 0] == source) & (self.edges[:, 1] == target)
        doomed &= self.edges[:, 2] <= SOFT
        if not doomed.any():
            return False
        self._forget_kept()
        self._edges = self.edges[~doomed]
        for adjacency in (self.all, self.hard, self.strict):
            adjacency.remove_edge(target, source)
        self._reach_current = False
        if self._forward is not None:
            self._forward.remove_edge(source, target)
        return True


def _renumbered(
    components: list[Component] | ComponentColumns,
    sources: Sequence[int],
    added: Mapping[int, Component],
) -> list[Component] | ComponentColumns:
    """Item k: `components[sources[k]]`, or `added[k]` where `sources[k]` is negative."""
    if isinstance(components, ComponentColumns):
        return components.renumbered(sources, added)
    return [components[s] if s >= 0 else added[k] for k, s in enumerate(sources)]


def _kind(dep: Dependency) -> int:
    return SOFT if dep.kind == DependencyKind.SOFT else HARD
