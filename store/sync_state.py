"""Reading and writing the rows one sync touches, inside the sync's transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.sql.expression import Executable

from store.codec import COMPONENT_COLUMNS
from store.schema import ComponentRow, DependencyRow, GroupMemberRow, GroupRow
from store.sync_plan import Item, ItemKey, Plan, StoredComponent, StoredEdge, StoredState
from store.sync_schema import SyncItemRow, SyncSourceRow

BATCH = 5000
T = TypeVar("T")


def load_state(connection: Connection, source_id: int) -> StoredState:
    """The stored map and the source's previous contribution."""
    components, names = _components(connection)
    return StoredState(
        components=components,
        edges=_edges(connection, names),
        group_pairs=_group_pairs(connection, names),
        group_members=_group_members(connection, names),
        items=_items(connection, source_id),
    )


def load_others(connection: Connection, source_id: int) -> dict[ItemKey, str]:
    """Items other sources currently report (not stale): who could inherit a row."""
    query = (
        select(SyncItemRow.c.item, SyncItemRow.c.key, SyncSourceRow.c.name)
        .join(SyncSourceRow, SyncSourceRow.c.id == SyncItemRow.c.source_id)
        .where(SyncItemRow.c.source_id != source_id, SyncItemRow.c.stale_since.is_(None))
    )
    return {(item, key): name for item, key, name in connection.execute(query)}


def _components(connection: Connection) -> tuple[dict[str, StoredComponent], dict[int, str]]:
    columns = [ComponentRow.c[c] for c in COMPONENT_COLUMNS]
    query = select(ComponentRow.c.id, ComponentRow.c.name_key, ComponentRow.c.source, *columns)
    components: dict[str, StoredComponent] = {}
    names: dict[int, str] = {}
    for row in connection.execute(query).mappings():
        values = {c: row[c] for c in COMPONENT_COLUMNS}
        values["labels"] = dict(values["labels"] or {})
        components[row["name_key"]] = StoredComponent(row["id"], values, row["source"])
        names[row["id"]] = row["name"]
    return components, names


def _edges(connection: Connection, names: dict[int, str]) -> dict[tuple[str, str], StoredEdge]:
    query = select(
        DependencyRow.c.id,
        DependencyRow.c.source_id,
        DependencyRow.c.target_id,
        DependencyRow.c.kind,
        DependencyRow.c.origin,
    )
    edges = {}
    for row_id, source_id, target_id, kind, origin in connection.execute(query):
        source, target = names[source_id], names[target_id]
        edges[(source.casefold(), target.casefold())] = StoredEdge(
            row_id, source, target, kind, origin
        )
    return edges


def _group_pairs(connection: Connection, names: dict[int, str]) -> set[tuple[str, str]]:
    query = select(GroupRow.c.dependant_id, GroupMemberRow.c.component_id).join(
        GroupMemberRow, GroupMemberRow.c.group_id == GroupRow.c.id
    )
    return {
        (names[dependant].casefold(), names[member].casefold())
        for dependant, member in connection.execute(query)
    }


def _group_members(connection: Connection, names: dict[int, str]) -> set[str]:
    members = {
        names[m].casefold()
        for m in connection.execute(select(GroupMemberRow.c.component_id)).scalars()
    }
    dependants = {
        names[d].casefold() for d in connection.execute(select(GroupRow.c.dependant_id)).scalars()
    }
    return members | dependants


def _items(connection: Connection, source_id: int) -> dict[ItemKey, Item]:
    query = select(
        SyncItemRow.c.id,
        SyncItemRow.c.item,
        SyncItemRow.c.key,
        SyncItemRow.c.payload,
        SyncItemRow.c.stale_since,
    ).where(SyncItemRow.c.source_id == source_id)
    return {
        (item, key): Item(row_id, payload, stale_since)
        for row_id, item, key, payload, stale_since in connection.execute(query)
    }


def write_plan(connection: Connection, plan: Plan, source: str, source_id: int) -> None:
    """Apply every row write of `plan` (the caller holds the transaction)."""
    _delete(connection, DependencyRow, plan.delete_edges)
    _delete(connection, ComponentRow, plan.delete_components)
    by_id = update(ComponentRow).where(ComponentRow.c.id == bindparam("row_id"))
    _many(connection, by_id, plan.owner_changes)
    _many(connection, insert(ComponentRow), plan.insert_components)
    _many(connection, by_id, plan.update_components)
    query = select(ComponentRow.c.name_key, ComponentRow.c.id)
    keys = {key: row_id for key, row_id in connection.execute(query)}
    edges = [
        {"source_id": keys[s], "target_id": keys[t], "kind": kind, "origin": source}
        for s, t, kind in plan.insert_edges
    ]
    _many(connection, insert(DependencyRow), edges)
    edge_by_id = update(DependencyRow).where(DependencyRow.c.id == bindparam("row_id"))
    _many(connection, edge_by_id, plan.update_edges)
    _many(connection, edge_by_id, plan.origin_changes)
    _write_items(connection, plan, source_id)


def _write_items(connection: Connection, plan: Plan, source_id: int) -> None:
    _delete(connection, SyncItemRow, plan.gone_items)
    rows = [{**row, "source_id": source_id, "stale_since": None} for row in plan.new_items]
    _many(connection, insert(SyncItemRow), rows)
    item_by_id = update(SyncItemRow).where(SyncItemRow.c.id == bindparam("row_id"))
    _many(connection, item_by_id, plan.changed_items)


def _delete(connection: Connection, table: Table, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        connection.execute(delete(table).where(table.c.id.in_(chunk)))


def _many(connection: Connection, statement: Executable, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        connection.execute(statement, chunk)


def _chunks(items: Sequence[T]) -> Iterator[list[T]]:
    items = list(items)
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]
