"""The map change log: which components each map version touched, and reading them back.

Every writer that moves the map version records, in the same transaction, the components
whose description it changed (the component's fields, its own dependencies and the groups
it is the dependant of), or NULL for "anything may have changed" (a replace, a sync, a merge
touching more than `TOUCHED_LIMIT` components). A holder of the map at version N catches
up with `read_delta(N)`: the current description of every component touched since, in one
read transaction, or None when only a full read will do. Created by migration 0009.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Integer, String, Table, delete, func, insert, select

from impact.mapdiff import MapDelta
from impact.model import Component, Dependency, DependencyKind, RedundancyGroup, name_key
from store.codec import COMPONENT_COLUMNS, component_from_row
from store.schema import (
    METADATA,
    NAME_LENGTH,
    ComponentRow,
    DependencyRow,
    GroupMemberRow,
    GroupRow,
)

TOUCHED_LIMIT = 1000  # more touched components than this log as "anything changed"
KEEP_VERSIONS = 1000  # map versions whose changes are kept; a holder further behind reads all
CHANNEL = "bsm_map_changes"  # PostgreSQL NOTIFY channel: the payload is the new map version


# One component touched by map version `map_version`; NULL: the whole map may have.
MapChangeRow = Table(
    "map_changes",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("map_version", Integer, index=True, nullable=False),
    Column("component_key", String(NAME_LENGTH)),
)


def record_changes(connection: Connection, version: int, touched: Collection[str] | None) -> None:
    """Log what map `version` touched (None, or too many: everything)."""
    keys: list[str | None] = [None]
    if touched is not None and len(touched) <= TOUCHED_LIMIT:
        keys = [*sorted({name_key(n) for n in touched})] or [""]  # "": the version, nothing
    rows = [{"map_version": version, "component_key": key} for key in keys]
    connection.execute(insert(MapChangeRow), rows)
    if connection.dialect.name == "postgresql":  # delivered to listeners at commit
        connection.execute(select(func.pg_notify(CHANNEL, str(version))))


def prune_changes(connection: Connection, version: int, keep_from: int) -> int:
    """Forget the changes of the versions up to `keep_from` (never the last `KEEP_VERSIONS`
    before `version`); returns the rows deleted. A holder of an older version then finds
    its delta incomplete and reads the whole map, as for a version written before the log.
    """
    cut = min(keep_from, version - KEEP_VERSIONS)
    if cut <= 0:
        return 0
    done = connection.execute(delete(MapChangeRow).where(MapChangeRow.c.map_version <= cut))
    return int(done.rowcount or 0)


def wait_for_notify(connection: Connection, timeout: float) -> None:
    """Block until a map change is notified on `connection` (LISTENing), or `timeout`."""
    raw = connection.connection.driver_connection
    assert raw is not None, "a LISTENing connection is open"
    for _ in raw.notifies(timeout=timeout, stop_after=1):  # psycopg 3
        break


def read_delta(connection: Connection, since: int, version: int) -> MapDelta | None:
    """The components touched after version `since` up to the current `version`, described
    as they are now; None when the log cannot tell (a full change, or a version with no
    entry: written before the log). The log and the touched components are read in one
    query, their dependencies and groups in one each.
    """
    if version < since:
        return None
    columns = [ComponentRow.c[column] for column in COMPONENT_COLUMNS]
    query = (
        select(
            MapChangeRow.c.map_version, MapChangeRow.c.component_key, ComponentRow.c.id, *columns
        )
        .outerjoin(ComponentRow, ComponentRow.c.name_key == MapChangeRow.c.component_key)
        .where(MapChangeRow.c.map_version > since, MapChangeRow.c.map_version <= version)
    )
    rows = connection.execute(query).all()
    if len({row[0] for row in rows}) != version - since or any(row[1] is None for row in rows):
        return None
    keys = {str(row[1]) for row in rows if row[1]}
    found: dict[int, Sequence[Any]] = {r[2]: r[3:] for r in rows if r[2] is not None}  # by id
    return MapDelta(version, keys, *_described(connection, found))


def _described(
    connection: Connection, found: dict[int, Sequence[Any]]
) -> tuple[dict[str, Component], list[Dependency], list[RedundancyGroup]]:
    """The components of `found` (id -> row of `COMPONENT_COLUMNS`) with their own
    dependencies and the groups they are the dependant of."""
    if not found:
        return {}, [], []
    components = {name_key(row[0]): component_from_row(row) for row in found.values()}
    names = {row_id: row[0] for row_id, row in found.items()}
    target = ComponentRow.alias()
    edges = connection.execute(
        select(DependencyRow.c.source_id, target.c.name, DependencyRow.c.kind)
        .join(target, target.c.id == DependencyRow.c.target_id)
        .where(DependencyRow.c.source_id.in_(sorted(names)))
        .order_by(DependencyRow.c.id)
    ).all()
    kinds = {kind.value: kind for kind in DependencyKind}
    dependencies = [Dependency(names[s], t, kinds[k]) for s, t, k in edges]
    groups = connection.execute(
        select(
            GroupRow.c.id,
            GroupRow.c.name,
            GroupRow.c.dependant_id,
            GroupRow.c.min_up,
            GroupRow.c.min_percent,
        )
        .where(GroupRow.c.dependant_id.in_(sorted(names)))
        .order_by(GroupRow.c.id)
    ).all()
    members: dict[int, list[str]] = defaultdict(list)
    if groups:
        member = ComponentRow.alias()
        for group_id, name in connection.execute(
            select(GroupMemberRow.c.group_id, member.c.name)
            .join(member, member.c.id == GroupMemberRow.c.component_id)
            .where(GroupMemberRow.c.group_id.in_([g[0] for g in groups]))
            .order_by(GroupMemberRow.c.group_id, GroupMemberRow.c.position)
        ):
            members[group_id].append(name)
    described = [
        RedundancyGroup(name, names[dependant], tuple(members[gid]), up, percent)
        for gid, name, dependant, up, percent in groups
    ]
    return components, dependencies, described
