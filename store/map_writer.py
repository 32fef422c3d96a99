"""Writing a service map into the database as a diff against what is stored.

Merge: components in the map are added or updated; a component *declared* in the map is
described fully by it, so its outgoing dependencies and groups become exactly the map's.
Components only referenced (`ImportedMap.implied`) are created when missing, never
overwritten. Replace: additionally everything the map does not hold is removed.

Big maps (100k components, 500k edges) are the reason for the shape of this module: rows
travel as plain tuples, the diff compares tuples, and bulk writes skip SQLAlchemy's
per-row parameter processing (COPY on PostgreSQL, the driver's executemany elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, delete, select

from impact.model import DependencyKind, ServiceMap, name_key
from store.bulk import BATCH, foreign_keys_deferred, insert_rows, update_rows
from store.codec import COMPONENT_COLUMNS, component_row
from store.records import ChangeCount, ImportedMap, Progress
from store.schema import ComponentRow, DependencyRow, GroupMemberRow, GroupRow

T = TypeVar("T")
Row = tuple[Any, ...]
EdgeKey = tuple[str, str]
GroupSpec = tuple[str, str, int | None, float | None, tuple[str, ...]]
KIND_TEXT = {kind: kind.value for kind in DependencyKind}
EDGE_COLUMNS = ("source_id", "target_id", "kind", "origin")
GROUP_COLUMNS = ("name", "name_key", "dependant_id", "min_up", "min_percent", "origin")


@dataclass
class MapChanges:
    components: ChangeCount
    dependencies: ChangeCount
    groups: ChangeCount

    @property
    def changed(self) -> bool:
        return bool(self.components.total + self.dependencies.total + self.groups.total)


@dataclass
class _Plan:
    """Every row write an import needs, computed before anything is written."""

    insert_components: list[Row] = field(default_factory=list)
    update_components: list[Row] = field(default_factory=list)
    remove_components: list[int] = field(default_factory=list)
    insert_edges: list[tuple[str, str, str]] = field(default_factory=list)
    update_edges: list[tuple[str, int]] = field(default_factory=list)
    remove_edges: list[int] = field(default_factory=list)
    insert_groups: dict[str, GroupSpec] = field(default_factory=dict)
    remove_groups: list[int] = field(default_factory=list)
    updated_groups: int = 0

    @property
    def writes(self) -> int:
        return sum(
            len(part)
            for part in (
                self.insert_components,
                self.update_components,
                self.remove_components,
                self.insert_edges,
                self.update_edges,
                self.remove_edges,
                self.insert_groups,
                self.remove_groups,
            )
        )

    def changes(self) -> MapChanges:
        new_groups = len(self.insert_groups) - self.updated_groups
        return MapChanges(
            ChangeCount(
                len(self.insert_components),
                len(self.update_components),
                len(self.remove_components),
            ),
            ChangeCount(len(self.insert_edges), len(self.update_edges), len(self.remove_edges)),
            ChangeCount(
                new_groups, self.updated_groups, len(self.remove_groups) - self.updated_groups
            ),
        )


class _Ticker:
    """Reports written rows to the caller's progress callable."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def tick(self, count: int) -> None:
        self.done += count
        if self.progress is not None and self.total:
            self.progress(self.done, self.total)


def write_map(
    connection: Connection,
    imported: ImportedMap,
    *,
    replace: bool,
    progress: Progress | None = None,
) -> MapChanges:
    """Make the stored map agree with `imported` inside the caller's transaction."""
    stored = _stored_components(connection)
    keys = {key: row[0] for key, row in stored.items()}
    names = _name_keys(imported.service_map)
    implied = {name_key(name) for name in imported.implied}
    declared = set(names.values()) - implied
    plan = _Plan()
    _plan_components(plan, stored, imported, names, implied, replace)
    del stored
    _plan_edges(plan, connection, keys, imported.service_map, names, declared, replace)
    _plan_groups(plan, connection, keys, imported.service_map, declared, replace)
    ticker = _Ticker(progress, plan.writes)
    _apply(connection, plan, imported.source, ticker)
    return plan.changes()


def stored_names(connection: Connection) -> dict[str, str]:
    """name key -> name of every stored component."""
    rows = connection.execute(select(ComponentRow.c.name_key, ComponentRow.c.name))
    return {key: name for key, name in rows}


def _name_keys(service_map: ServiceMap) -> dict[str, str]:
    """name -> name key of every component: one casefold per name, not one per reference."""
    return {name: name_key(name) for name in service_map.components}


def _stored_components(connection: Connection) -> dict[str, Row]:
    """name key -> (id, *values in COMPONENT_COLUMNS order)."""
    columns = [ComponentRow.c[column] for column in COMPONENT_COLUMNS]
    rows = connection.execute(select(ComponentRow.c.name_key, ComponentRow.c.id, *columns))
    return {row[0]: tuple(row[1:]) for row in rows}


def _plan_components(
    plan: _Plan,
    stored: dict[str, Row],
    imported: ImportedMap,
    names: dict[str, str],
    implied: set[str],
    replace: bool,
) -> None:
    source = imported.source
    for name, component in imported.service_map.components.items():
        key = names[name]
        values = component_row(component)
        row = stored.get(key)
        if row is None:
            plan.insert_components.append((*values, key, source))
        elif key not in implied and row[1:] != values:
            plan.update_components.append((*values, source, row[0]))
    if replace:
        incoming = set(names.values())
        plan.remove_components = [row[0] for key, row in stored.items() if key not in incoming]


def _plan_edges(
    plan: _Plan,
    connection: Connection,
    keys: dict[str, int],
    service_map: ServiceMap,
    names: dict[str, str],
    declared: set[str],
    replace: bool,
) -> None:
    by_id = {row_id: key for key, row_id in keys.items()}
    query = select(
        DependencyRow.c.source_id,
        DependencyRow.c.target_id,
        DependencyRow.c.id,
        DependencyRow.c.kind,
    )
    existing = {
        (by_id[source], by_id[target]): (row_id, kind)
        for source, target, row_id, kind in connection.execute(query)
    }
    incoming: set[EdgeKey] = set()
    for dep in service_map.dependencies:
        # A reference may spell a name in another case than its component.
        edge = (
            names.get(dep.source) or name_key(dep.source),
            names.get(dep.target) or name_key(dep.target),
        )
        if edge in incoming:
            continue
        incoming.add(edge)
        kind = KIND_TEXT[dep.kind]
        found = existing.get(edge)
        if found is None:
            plan.insert_edges.append((*edge, kind))
        elif found[1] != kind:
            plan.update_edges.append((kind, found[0]))
    plan.remove_edges = [
        row_id
        for edge, (row_id, _) in existing.items()
        if edge not in incoming and (replace or edge[0] in declared)
    ]


def _plan_groups(
    plan: _Plan,
    connection: Connection,
    keys: dict[str, int],
    service_map: ServiceMap,
    declared: set[str],
    replace: bool,
) -> None:
    existing = _stored_groups(connection, keys)
    incoming: dict[str, GroupSpec] = {
        name_key(g.name): (
            g.name,
            name_key(g.dependant),
            g.min_up,
            None if g.min_percent is None else float(g.min_percent),
            tuple(name_key(m) for m in g.members),
        )
        for g in service_map.groups
    }
    for key, spec in incoming.items():
        if key not in existing:
            plan.insert_groups[key] = spec
        elif existing[key][1] != spec:
            plan.insert_groups[key] = spec
            plan.remove_groups.append(existing[key][0])
            plan.updated_groups += 1
    plan.remove_groups += [
        row_id
        for key, (row_id, spec) in existing.items()
        if key not in incoming and (replace or spec[1] in declared)
    ]


def _stored_groups(
    connection: Connection, keys: dict[str, int]
) -> dict[str, tuple[int, GroupSpec]]:
    by_id = {row_id: key for key, row_id in keys.items()}
    members: dict[int, list[str]] = {}
    query = select(GroupMemberRow.c.group_id, GroupMemberRow.c.component_id)
    for group_id, component_id in connection.execute(
        query.order_by(GroupMemberRow.c.group_id, GroupMemberRow.c.position)
    ):
        members.setdefault(group_id, []).append(by_id[component_id])
    rows = connection.execute(
        select(
            GroupRow.c.id,
            GroupRow.c.name,
            GroupRow.c.name_key,
            GroupRow.c.dependant_id,
            GroupRow.c.min_up,
            GroupRow.c.min_percent,
        )
    )
    return {
        key: (row_id, (name, by_id[dependant], min_up, min_percent, tuple(members.get(row_id, ()))))
        for row_id, name, key, dependant, min_up, min_percent in rows
    }


def _apply(connection: Connection, plan: _Plan, source: str, ticker: _Ticker) -> None:
    _delete(connection, DependencyRow, plan.remove_edges, ticker)
    for chunk in _chunks(plan.remove_groups):
        connection.execute(delete(GroupMemberRow).where(GroupMemberRow.c.group_id.in_(chunk)))
    _delete(connection, GroupRow, plan.remove_groups, ticker)
    _delete(connection, ComponentRow, plan.remove_components, ticker)
    component_columns = (*COMPONENT_COLUMNS, "name_key", "source")
    insert_rows(connection, ComponentRow, component_columns, plan.insert_components, ticker.tick)
    update_columns = (*COMPONENT_COLUMNS, "source")
    update_rows(connection, ComponentRow, update_columns, plan.update_components, ticker.tick)
    keys = _ids(connection, ComponentRow)
    edges = [(keys[s], keys[t], kind, source) for s, t, kind in plan.insert_edges]
    with foreign_keys_deferred(connection, DependencyRow, len(edges)):
        insert_rows(connection, DependencyRow, EDGE_COLUMNS, edges, ticker.tick)
    del edges
    edge_updates = [(kind, source, row_id) for kind, row_id in plan.update_edges]
    update_rows(connection, DependencyRow, ("kind", "origin"), edge_updates, ticker.tick)
    _insert_groups(connection, plan.insert_groups, keys, source, ticker)


def _insert_groups(
    connection: Connection,
    groups: dict[str, GroupSpec],
    keys: dict[str, int],
    source: str,
    ticker: _Ticker,
) -> None:
    if not groups:
        return
    rows = [
        (name, key, keys[dependant], min_up, min_percent, source)
        for key, (name, dependant, min_up, min_percent, _) in groups.items()
    ]
    insert_rows(connection, GroupRow, GROUP_COLUMNS, rows, ticker.tick)
    ids = _ids(connection, GroupRow)
    members = [
        (ids[key], keys[member], position)
        for key, spec in groups.items()
        for position, member in enumerate(spec[4])
    ]
    insert_rows(connection, GroupMemberRow, ("group_id", "component_id", "position"), members)


def _ids(connection: Connection, table: Table) -> dict[str, int]:
    """name_key -> id for every row of `table`."""
    return {key: row_id for key, row_id in connection.execute(select(table.c.name_key, table.c.id))}


def _delete(connection: Connection, table: Table, ids: Sequence[int], ticker: _Ticker) -> None:
    for chunk in _chunks(ids):
        connection.execute(delete(table).where(table.c.id.in_(chunk)))
        ticker.tick(len(chunk))


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]
