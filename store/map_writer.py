"""Writing a service map into the database as a diff against what is stored.

Merge: components in the map are added or updated; a component *declared* in the map is
described fully by it, so its outgoing dependencies and groups become exactly the map's.
Components only referenced (`ImportedMap.implied`) are created when missing, never
overwritten. Replace: additionally everything the map does not hold is removed.
Writes go out in batches (executemany), so 100k components and 500k edges take seconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import JSON, Connection, bindparam, delete, insert, select, update

from impact.model import ServiceMap, name_key
from store.codec import COMPONENT_COLUMNS, component_values
from store.records import ChangeCount, ImportedMap, Progress
from store.schema import ComponentRow, DependencyRow, GroupMemberRow, GroupRow

BATCH = 5000
COPY_THRESHOLD = 1000
T = TypeVar("T")
EdgeKey = tuple[str, str]
GroupSpec = tuple[str, str, int | None, float | None, tuple[str, ...]]


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

    insert_components: list[dict[str, Any]] = field(default_factory=list)
    update_components: list[dict[str, Any]] = field(default_factory=list)
    remove_components: list[int] = field(default_factory=list)
    insert_edges: dict[EdgeKey, str] = field(default_factory=dict)
    update_edges: list[dict[str, Any]] = field(default_factory=list)
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
    keys = {key: row_id for key, (row_id, _) in stored.items()}
    implied = {name_key(name) for name in imported.implied}
    declared = {name_key(name) for name in imported.service_map.components} - implied
    plan = _Plan()
    _plan_components(plan, stored, imported, implied, replace)
    _plan_edges(plan, connection, keys, imported.service_map, declared, replace)
    _plan_groups(plan, connection, keys, imported.service_map, declared, replace)
    ticker = _Ticker(progress, plan.writes)
    _apply(connection, plan, imported.source, ticker)
    return plan.changes()


def _stored_components(connection: Connection) -> dict[str, tuple[int, dict[str, Any]]]:
    columns = [getattr(ComponentRow, column) for column in COMPONENT_COLUMNS]
    rows = connection.execute(select(ComponentRow.id, ComponentRow.name_key, *columns))
    return {
        row["name_key"]: (row["id"], {c: row[c] for c in COMPONENT_COLUMNS})
        for row in rows.mappings()
    }


def _plan_components(
    plan: _Plan,
    stored: dict[str, tuple[int, dict[str, Any]]],
    imported: ImportedMap,
    implied: set[str],
    replace: bool,
) -> None:
    incoming: set[str] = set()
    for name, component in imported.service_map.components.items():
        key = name_key(name)
        incoming.add(key)
        values = component_values(component)
        if key not in stored:
            plan.insert_components.append({**values, "name_key": key, "source": imported.source})
        elif key not in implied and stored[key][1] != values:
            row = {**values, "row_id": stored[key][0], "source": imported.source}
            plan.update_components.append(row)
    if replace:
        plan.remove_components = [
            row_id for key, (row_id, _) in stored.items() if key not in incoming
        ]


def _plan_edges(
    plan: _Plan,
    connection: Connection,
    keys: dict[str, int],
    service_map: ServiceMap,
    declared: set[str],
    replace: bool,
) -> None:
    by_id = {row_id: key for key, row_id in keys.items()}
    query = select(
        DependencyRow.id, DependencyRow.source_id, DependencyRow.target_id, DependencyRow.kind
    )
    existing = {
        (by_id[source], by_id[target]): (row_id, kind)
        for row_id, source, target, kind in connection.execute(query)
    }
    incoming = {
        (name_key(d.source), name_key(d.target)): str(d.kind) for d in service_map.dependencies
    }
    for edge, kind in incoming.items():
        if edge not in existing:
            plan.insert_edges[edge] = kind
        elif existing[edge][1] != kind:
            plan.update_edges.append({"row_id": existing[edge][0], "kind": kind})
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
    query = select(GroupMemberRow.group_id, GroupMemberRow.component_id)
    for group_id, component_id in connection.execute(
        query.order_by(GroupMemberRow.group_id, GroupMemberRow.position)
    ):
        members.setdefault(group_id, []).append(by_id[component_id])
    rows = connection.execute(
        select(
            GroupRow.id,
            GroupRow.name,
            GroupRow.name_key,
            GroupRow.dependant_id,
            GroupRow.min_up,
            GroupRow.min_percent,
        )
    )
    return {
        key: (row_id, (name, by_id[dependant], min_up, min_percent, tuple(members.get(row_id, ()))))
        for row_id, name, key, dependant, min_up, min_percent in rows
    }


def _apply(connection: Connection, plan: _Plan, source: str, ticker: _Ticker) -> None:
    _delete(connection, DependencyRow, plan.remove_edges, ticker)
    for chunk in _chunks(plan.remove_groups):
        connection.execute(delete(GroupMemberRow).where(GroupMemberRow.group_id.in_(chunk)))
    _delete(connection, GroupRow, plan.remove_groups, ticker)
    _delete(connection, ComponentRow, plan.remove_components, ticker)
    _executemany(connection, insert(ComponentRow), plan.insert_components, ticker)
    by_id = update(ComponentRow).where(ComponentRow.id == bindparam("row_id"))
    _executemany(connection, by_id, plan.update_components, ticker)
    keys = _ids(connection, ComponentRow)
    edges = [
        {"source_id": keys[s], "target_id": keys[t], "kind": kind, "origin": source}
        for (s, t), kind in plan.insert_edges.items()
    ]
    _executemany(connection, insert(DependencyRow), edges, ticker)
    edge_by_id = update(DependencyRow).where(DependencyRow.id == bindparam("row_id"))
    _executemany(
        connection, edge_by_id, [{**e, "origin": source} for e in plan.update_edges], ticker
    )
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
        {
            "name": name,
            "name_key": key,
            "dependant_id": keys[dependant],
            "min_up": min_up,
            "min_percent": min_percent,
            "origin": source,
        }
        for key, (name, dependant, min_up, min_percent, _) in groups.items()
    ]
    _executemany(connection, insert(GroupRow), rows, ticker)
    ids = _ids(connection, GroupRow)
    members = [
        {"group_id": ids[key], "component_id": keys[member], "position": position}
        for key, spec in groups.items()
        for position, member in enumerate(spec[4])
    ]
    _executemany(connection, insert(GroupMemberRow), members, None)


def _ids(connection: Connection, table: Any) -> dict[str, int]:
    """name_key -> id for every row of `table`."""
    return {key: row_id for key, row_id in connection.execute(select(table.name_key, table.id))}


def _delete(connection: Connection, table: Any, ids: Sequence[int], ticker: _Ticker) -> None:
    for chunk in _chunks(ids):
        connection.execute(delete(table).where(table.id.in_(chunk)))
        ticker.tick(len(chunk))


def _executemany(
    connection: Connection, statement: Any, rows: Sequence[dict[str, Any]], ticker: _Ticker | None
) -> None:
    if _copyable(connection, statement, rows):
        _copy(connection, statement.table, rows, ticker)
        return
    for chunk in _chunks(rows):
        connection.execute(statement, chunk)
        if ticker is not None:
            ticker.tick(len(chunk))


def _copyable(connection: Connection, statement: Any, rows: Sequence[dict[str, Any]]) -> bool:
    # Multi-row INSERTs reach ~10k rows/s on PostgreSQL; COPY is an order of magnitude faster.
    return (
        connection.dialect.name == "postgresql"
        and statement.is_insert
        and len(rows) >= COPY_THRESHOLD
    )


def _copy(
    connection: Connection, table: Any, rows: Sequence[dict[str, Any]], ticker: _Ticker | None
) -> None:
    """COPY rows into `table` on the transaction's own psycopg connection."""
    from psycopg.types.json import Jsonb

    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if c.type._type_affinity is JSON}
    names = ", ".join(f'"{c}"' for c in columns)
    raw: Any = connection.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for chunk in _chunks(rows):
            for row in chunk:
                copy.write_row(
                    [
                        Jsonb(row[c]) if c in json_columns and row[c] is not None else row[c]
                        for c in columns
                    ]
                )
            if ticker is not None:
                ticker.tick(len(chunk))


def _chunks(items: Sequence[T]) -> Iterator[list[T]]:
    items = list(items)
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]
