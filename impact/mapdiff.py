"""What changed between two service maps: added, removed and changed components and edges.

Pure and rendering-free: the store records a `MapDiff` in the audit log, handlers turn it
into answers. Names compare case-insensitively (`name_key`), like everywhere in the map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from impact.model import (
    Component,
    Dependency,
    DependencyKind,
    RedundancyGroup,
    ServiceMap,
    name_key,
)

EdgeKey = tuple[str, str]
# Fields a diff compares; `name` is the identity (a respelling is not a change).
COMPARED_FIELDS = tuple(f.name for f in fields(Component) if f.name != "name")


@dataclass(frozen=True, slots=True)
class ComponentChange:
    """One component present on both sides with different field values."""

    before: Component
    after: Component

    @property
    def name(self) -> str:
        return self.after.name

    @property
    def fields(self) -> tuple[str, ...]:
        return changed_fields(self.before, self.after)


@dataclass(frozen=True, slots=True)
class EdgeChange:
    """One dependency present on both sides whose kind (hard/soft) changed."""

    before: Dependency
    after: Dependency


@dataclass(frozen=True, slots=True)
class MapDiff:
    """The difference `old -> new`; every tuple is sorted by name for stable output."""

    added_components: tuple[Component, ...] = ()
    removed_components: tuple[Component, ...] = ()
    changed_components: tuple[ComponentChange, ...] = ()
    added_edges: tuple[Dependency, ...] = ()
    removed_edges: tuple[Dependency, ...] = ()
    changed_edges: tuple[EdgeChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())

    def counts(self) -> dict[str, int]:
        return {
            "components_added": len(self.added_components),
            "components_removed": len(self.removed_components),
            "components_changed": len(self.changed_components),
            "edges_added": len(self.added_edges),
            "edges_removed": len(self.removed_edges),
            "edges_changed": len(self.changed_edges),
        }

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        """JSON-ready form (for the audit log); `limit` caps each list, counts stay exact."""

        def cap(items: list[Any]) -> list[Any]:
            return items if limit is None else items[:limit]

        return {
            "counts": self.counts(),
            "components_added": cap([c.name for c in self.added_components]),
            "components_removed": cap([c.name for c in self.removed_components]),
            "components_changed": cap(
                [{"name": c.name, "fields": list(c.fields)} for c in self.changed_components]
            ),
            "edges_added": cap([_edge_json(e) for e in self.added_edges]),
            "edges_removed": cap([_edge_json(e) for e in self.removed_edges]),
            "edges_changed": cap([_edge_json(c.after) for c in self.changed_edges]),
        }


def diff_maps(old: ServiceMap, new: ServiceMap) -> MapDiff:
    """Components and dependencies of `new` compared with `old` (groups are not compared)."""
    return diff_parts(
        old.components.values(), new.components.values(), old.dependencies, new.dependencies
    )


def diff_parts(
    old_components: Iterable[Component],
    new_components: Iterable[Component],
    old_edges: Iterable[Dependency],
    new_edges: Iterable[Dependency],
) -> MapDiff:
    """The diff of two contributions given as component and edge lists."""
    before = {c.key: c for c in old_components}
    after = {c.key: c for c in new_components}
    old_by_key = _edges_by_key(old_edges)
    new_by_key = _edges_by_key(new_edges)
    return MapDiff(
        added_components=_sorted(after[k] for k in after.keys() - before.keys()),
        removed_components=_sorted(before[k] for k in before.keys() - after.keys()),
        changed_components=tuple(
            sorted(
                (
                    ComponentChange(before[k], after[k])
                    for k in before.keys() & after.keys()
                    if changed_fields(before[k], after[k])
                ),
                key=lambda c: c.after.key,
            )
        ),
        added_edges=_sorted_edges(new_by_key[k] for k in new_by_key.keys() - old_by_key.keys()),
        removed_edges=_sorted_edges(old_by_key[k] for k in old_by_key.keys() - new_by_key.keys()),
        changed_edges=tuple(
            EdgeChange(old_by_key[k], new_by_key[k])
            for k in sorted(old_by_key.keys() & new_by_key.keys())
            if old_by_key[k].kind != new_by_key[k].kind
        ),
    )


def changed_fields(before: Component, after: Component) -> tuple[str, ...]:
    """Names of the fields whose values differ (labels compare as plain dicts)."""
    return tuple(
        name
        for name in COMPARED_FIELDS
        if _plain(getattr(before, name)) != _plain(getattr(after, name))
    )


def edge_key(dependency: Dependency) -> EdgeKey:
    return (name_key(dependency.source), name_key(dependency.target))


def shrink_share(removed: int, base: int) -> float:
    """The share (0..1) of `base` items that `removed` represents; 0 when there was nothing."""
    return removed / base if base else 0.0


def diff_from_dict(data: Mapping[str, Any]) -> dict[str, int]:
    """The counts of a diff stored with `MapDiff.as_dict` (missing counts read 0)."""
    counts = data.get("counts", {})
    return {key: int(counts.get(key, 0)) for key in MapDiff().counts()}


def _edges_by_key(edges: Iterable[Dependency]) -> dict[EdgeKey, Dependency]:
    return {edge_key(e): e for e in edges}


def _sorted(components: Iterable[Component]) -> tuple[Component, ...]:
    return tuple(sorted(components, key=lambda c: c.key))


def _sorted_edges(edges: Iterable[Dependency]) -> tuple[Dependency, ...]:
    return tuple(sorted(edges, key=edge_key))


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def _edge_json(edge: Dependency) -> dict[str, str]:
    return {"source": edge.source, "target": edge.target, "kind": DependencyKind(edge.kind).value}


@dataclass(frozen=True, slots=True)
class MapDelta:
    """The map at `version`, told as the components touched since an earlier version.

    `touched` are name keys; each touched component is described whole as it is now: its
    fields (`components`, by name key; a touched key absent there was removed), its own
    dependencies and the groups it is the dependant of. Everything else is unchanged.
    """

    version: int
    touched: set[str]
    components: dict[str, Component]
    dependencies: list[Dependency]
    groups: list[RedundancyGroup]


def patched(service_map: ServiceMap, delta: MapDelta) -> ServiceMap | None:
    """`service_map` with `delta` applied (a new map; the old one is left alone), or None
    when the delta removes a component (edges into it live outside the delta)."""
    if any(key not in delta.components for key in delta.touched):
        return None
    touched = delta.touched
    components = {n: c for n, c in service_map.components.items() if name_key(n) not in touched}
    components.update((c.name, c) for c in delta.components.values())
    dependencies = [d for d in service_map.dependencies if name_key(d.source) not in touched]
    groups = [g for g in service_map.groups if name_key(g.dependant) not in touched]
    groups = respelled(groups, delta.components)
    return ServiceMap(components, dependencies + delta.dependencies, groups + delta.groups)


def respelled(
    groups: Iterable[RedundancyGroup], components: Mapping[str, Component]
) -> list[RedundancyGroup]:
    """`groups` naming each of `components` (by name key) as it is spelled there: a group
    kept by a delta names a component it re-described in another letter case as the map
    read back from the store does, in the new spelling."""
    found = []
    for group in groups:
        members = tuple(
            c.name if (c := components.get(name_key(m))) is not None else m for m in group.members
        )
        found.append(group if members == group.members else replace(group, members=members))
    return found
