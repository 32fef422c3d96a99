"""Planning one sync: what a source's new report does to the stored map, before any write.

Rules, in the order they matter to users:
- A source owns what it created (`components.source`, `dependencies.origin`); it updates
  and removes only those rows. Rows written by hand or by another source are not touched.
- Hand-written values win: on any component a source may fill an empty field, and later
  change a field only while it still holds what the source itself wrote. A field someone
  edited since is theirs. Edges inside a hand-written redundancy group are never added.
- What a source stops reporting is stale first and removed only after `grace`; a stale
  row reported again is simply current again. Expired rows that another source still
  reports change owner instead of disappearing; expired components still used by
  hand-written edges or groups are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from impact.mapdiff import ComponentChange, EdgeChange, MapDiff, diff_parts
from impact.model import Component, Dependency, DependencyKind, ServiceMap, name_key
from store.codec import COMPONENT_COLUMNS, component_from_values, component_values

EdgeKey = tuple[str, str]
ItemKey = tuple[str, str]  # ("component", name key) | ("edge", "source\ttarget")
SYNCED_FIELDS = tuple(c for c in COMPONENT_COLUMNS if c != "name")


@dataclass(frozen=True, slots=True)
class StoredComponent:
    id: int
    values: dict[str, Any]
    source: str


@dataclass(frozen=True, slots=True)
class StoredEdge:
    id: int
    source: str  # display names
    target: str
    kind: str
    origin: str


@dataclass(frozen=True, slots=True)
class Item:
    """A row of the source's previous contribution."""

    id: int
    payload: dict[str, Any]
    stale_since: datetime | None


@dataclass
class StoredState:
    """Everything a plan reads, loaded inside the sync's transaction."""

    components: dict[str, StoredComponent]
    edges: dict[EdgeKey, StoredEdge]
    group_pairs: set[EdgeKey]
    group_members: set[str]
    items: dict[ItemKey, Item]
    others: dict[ItemKey, str] = field(default_factory=dict)  # reported by another source


@dataclass
class Plan:
    """Row writes of one sync plus what users are told about them."""

    insert_components: list[dict[str, Any]] = field(default_factory=list)
    update_components: list[dict[str, Any]] = field(default_factory=list)
    owner_changes: list[dict[str, Any]] = field(default_factory=list)  # row_id, source
    delete_components: list[int] = field(default_factory=list)
    insert_edges: list[tuple[str, str, str]] = field(default_factory=list)
    update_edges: list[dict[str, Any]] = field(default_factory=list)
    origin_changes: list[dict[str, Any]] = field(default_factory=list)  # row_id, origin
    delete_edges: list[int] = field(default_factory=list)
    new_items: list[dict[str, Any]] = field(default_factory=list)
    changed_items: list[dict[str, Any]] = field(default_factory=list)
    gone_items: list[int] = field(default_factory=list)
    added: list[Component] = field(default_factory=list)
    removed: list[Component] = field(default_factory=list)
    changed: list[ComponentChange] = field(default_factory=list)
    added_edges: list[Dependency] = field(default_factory=list)
    removed_edges: list[Dependency] = field(default_factory=list)
    changed_edges: list[EdgeChange] = field(default_factory=list)
    newly_stale: list[str] = field(default_factory=list)
    still_stale: int = 0
    kept: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def effect(self) -> MapDiff:
        return MapDiff(
            tuple(self.added),
            tuple(self.removed),
            tuple(self.changed),
            tuple(self.added_edges),
            tuple(self.removed_edges),
            tuple(self.changed_edges),
        )

    @property
    def map_changed(self) -> bool:
        return not self.effect().is_empty or bool(self.owner_changes or self.origin_changes)

    @property
    def items_changed(self) -> bool:
        return bool(self.new_items or self.changed_items or self.gone_items)


def edge_item_key(source: str, target: str) -> str:
    return f"{name_key(source)}\t{name_key(target)}"


def with_implied(discovered: ServiceMap) -> ServiceMap:
    """`discovered` plus a plain component for every edge endpoint it does not declare."""
    components = dict(discovered.components)
    keys = {name_key(n) for n in components}
    for dep in discovered.dependencies:
        for name in (dep.source, dep.target):
            if name_key(name) not in keys:
                keys.add(name_key(name))
                components[name] = Component(name=name)
    return ServiceMap(components, list(discovered.dependencies), [])


def reported_diff(state: StoredState, discovered: ServiceMap) -> MapDiff:
    """How the new report differs from the source's previous one (stale rows included)."""
    old_components = [
        component_from_values(item.payload["values"])
        for (kind, _), item in state.items.items()
        if kind == "component"
    ]
    old_edges = [
        Dependency(i.payload["source"], i.payload["target"], DependencyKind(i.payload["kind"]))
        for (kind, _), i in state.items.items()
        if kind == "edge"
    ]
    return diff_parts(
        old_components, discovered.components.values(), old_edges, discovered.dependencies
    )


def shrink_share(state: StoredState, discovered: ServiceMap) -> float:
    """The largest share of the source's current edges (or components) the report drops."""
    reported = {("component", name_key(n)) for n in discovered.components}
    reported |= {("edge", edge_item_key(d.source, d.target)) for d in discovered.dependencies}
    shares = []
    for kind in ("edge", "component"):
        current = [k for k, i in state.items.items() if k[0] == kind and i.stale_since is None]
        dropped = sum(1 for k in current if k not in reported)
        shares.append(dropped / len(current) if current else 0.0)
    return max(shares)


def plan_sync(
    state: StoredState, discovered: ServiceMap, source: str, now: datetime, grace: timedelta
) -> Plan:
    """The writes that make the store reflect `discovered` as `source`'s contribution."""
    plan = Plan()
    reported: set[ItemKey] = set()
    for component in discovered.components.values():
        reported.add(("component", component.key))
        _plan_component(plan, state, component, source, now)
    for dep in discovered.dependencies:
        reported.add(("edge", edge_item_key(dep.source, dep.target)))
        _plan_edge(plan, state, dep, source, now)
    expired = _plan_missing(plan, state, reported, now, grace)
    _plan_expired(plan, state, expired, source)
    return plan


def _plan_component(
    plan: Plan, state: StoredState, component: Component, source: str, now: datetime
) -> None:
    new = component_values(component)
    item = state.items.get(("component", component.key))
    stored = state.components.get(component.key)
    if stored is None:
        plan.insert_components.append({**new, "name_key": component.key, "source": source})
        plan.added.append(component)
        filled = [f for f in SYNCED_FIELDS if not _empty(new[f])]
    else:
        merged, filled = merge_fields(stored.values, item.payload if item else None, new)
        if merged != stored.values:
            plan.update_components.append({**merged, "row_id": stored.id})
            before, after = component_from_values(stored.values), component_from_values(merged)
            plan.changed.append(ComponentChange(before, after))
    payload = {"values": new, "filled": filled}
    _keep_item(plan, item, ("component", component.key), payload, now)


def merge_fields(
    stored: dict[str, Any], previous: dict[str, Any] | None, new: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Stored values with the source's values applied where the source may write.

    Returns the merged values and the fields the source now holds (it wrote them).
    """
    merged = dict(stored)
    ours = set(previous["filled"]) if previous else set()
    before = previous["values"] if previous else {}
    filled = []
    for name in SYNCED_FIELDS:
        owned = name in ours and stored[name] == before.get(name)
        if not (owned or _empty(stored[name])):
            continue  # hand-written (or another source's): it wins
        if not _empty(new[name]):
            merged[name] = new[name]
            filled.append(name)
        elif owned and name != "kind":
            merged[name] = {} if name == "labels" else None
    return merged, filled


def _plan_edge(plan: Plan, state: StoredState, dep: Dependency, source: str, now: datetime) -> None:
    key = (name_key(dep.source), name_key(dep.target))
    kind = DependencyKind(dep.kind).value
    if key[0] == key[1]:
        return
    item = state.items.get(("edge", edge_item_key(*key)))
    payload = {"source": dep.source, "target": dep.target, "kind": kind}
    _keep_item(plan, item, ("edge", edge_item_key(*key)), payload, now)
    if key in state.group_pairs:
        plan.skipped.append(f"{dep.source} -> {dep.target}")
        return
    stored = state.edges.get(key)
    if stored is None:
        plan.insert_edges.append((key[0], key[1], kind))
        plan.added_edges.append(Dependency(dep.source, dep.target, DependencyKind(kind)))
    elif stored.origin == source and stored.kind != kind:
        plan.update_edges.append({"row_id": stored.id, "kind": kind})
        old = Dependency(stored.source, stored.target, DependencyKind(stored.kind))
        plan.changed_edges.append(
            EdgeChange(old, Dependency(old.source, old.target, DependencyKind(kind)))
        )


def _keep_item(
    plan: Plan, item: Item | None, key: ItemKey, payload: dict[str, Any], now: datetime
) -> None:
    if item is None:
        plan.new_items.append(
            {"item": key[0], "key": key[1], "payload": payload, "first_seen": now}
        )
    elif item.payload != payload or item.stale_since is not None:
        plan.changed_items.append({"row_id": item.id, "payload": payload, "stale_since": None})


def _plan_missing(
    plan: Plan, state: StoredState, reported: set[ItemKey], now: datetime, grace: timedelta
) -> list[ItemKey]:
    """Mark newly missing rows stale; return the ones stale for longer than `grace`."""
    expired = []
    for key, item in state.items.items():
        if key in reported:
            continue
        if item.stale_since is None:
            plan.changed_items.append(
                {"row_id": item.id, "payload": item.payload, "stale_since": now}
            )
            plan.newly_stale.append(_label(key, item))
        elif now - item.stale_since >= grace:
            expired.append(key)
        else:
            plan.still_stale += 1
    return expired


def _plan_expired(plan: Plan, state: StoredState, expired: list[ItemKey], source: str) -> None:
    edges_left = {k: e for k, e in state.edges.items()}
    for key in (k for k in expired if k[0] == "edge"):
        edge_key = tuple(key[1].split("\t"))
        stored = state.edges.get((edge_key[0], edge_key[1]))
        plan.gone_items.append(state.items[key].id)
        if stored is None or stored.origin != source:
            continue
        if heir := state.others.get(key):
            plan.origin_changes.append({"row_id": stored.id, "origin": heir})
            continue
        plan.delete_edges.append(stored.id)
        del edges_left[(edge_key[0], edge_key[1])]
        plan.removed_edges.append(
            Dependency(stored.source, stored.target, DependencyKind(stored.kind))
        )
    used = {k for edge in edges_left for k in edge} | state.group_members
    for key in (k for k in expired if k[0] == "component"):
        _expire_component(plan, state, key, source, used)


def _expire_component(
    plan: Plan, state: StoredState, key: ItemKey, source: str, used: set[str]
) -> None:
    stored = state.components.get(key[1])
    item = state.items[key]
    if stored is None or stored.source != source:
        plan.gone_items.append(item.id)
    elif heir := state.others.get(key):
        plan.owner_changes.append({"row_id": stored.id, "source": heir})
        plan.gone_items.append(item.id)
    elif key[1] in used:
        plan.kept.append(stored.values["name"])  # stays stale; removed once nothing uses it
    else:
        plan.delete_components.append(stored.id)
        plan.removed.append(component_from_values(stored.values))
        plan.gone_items.append(item.id)


def _label(key: ItemKey, item: Item) -> str:
    if key[0] == "edge":
        return f"{item.payload['source']} -> {item.payload['target']}"
    return str(item.payload["values"]["name"])


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == ""


def payload_map(payload: Mapping[str, Any]) -> ServiceMap:
    """The discovered map stored with a pending sync, back as a `ServiceMap`."""
    components = [component_from_values(v) for v in payload["components"]]
    edges = [Dependency(s, t, DependencyKind(k)) for s, t, k in payload["edges"]]
    return ServiceMap.build(components, edges)


def map_payload(discovered: ServiceMap) -> dict[str, Any]:
    """A JSON form of a discovered map, kept with a sync held for confirmation."""
    return {
        "components": [component_values(c) for c in discovered.components.values()],
        "edges": [
            [d.source, d.target, DependencyKind(d.kind).value] for d in discovered.dependencies
        ],
    }
