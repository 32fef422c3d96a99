"""Reading the whole service map out of the database as `impact.model` values."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, select

from impact.model import Dependency, DependencyKind, RedundancyGroup, ServiceMap
from store.codec import COMPONENT_COLUMNS, component_from_row
from store.policy_rows import read_policies
from store.schema import ComponentRow, DependencyRow, GroupMemberRow, GroupRow


def read_map(connection: Connection) -> ServiceMap:
    """The map as stored, in insertion order (file order for a fresh import)."""
    columns = [ComponentRow.c[column] for column in COMPONENT_COLUMNS]
    rows = connection.execute(select(ComponentRow.c.id, *columns).order_by(ComponentRow.c.id))
    names: dict[int, str] = {}
    components = []
    for row in rows:
        names[row[0]] = row[1]
        components.append(component_from_row(row[1:]))
    return ServiceMap.build(
        components,
        _dependencies(connection, names),
        _groups(connection, names),
        read_policies(connection),
    )


def _dependencies(connection: Connection, names: dict[int, str]) -> list[Dependency]:
    query = select(DependencyRow.c.source_id, DependencyRow.c.target_id, DependencyRow.c.kind)
    kinds = {kind.value: kind for kind in DependencyKind}  # an Enum call costs a microsecond
    return [
        Dependency(names[source], names[target], kinds[kind])
        for source, target, kind in connection.execute(query.order_by(DependencyRow.c.id))
    ]


def _groups(connection: Connection, names: dict[int, str]) -> list[RedundancyGroup]:
    members: dict[int, list[str]] = defaultdict(list)
    query = select(GroupMemberRow.c.group_id, GroupMemberRow.c.component_id)
    for group_id, component_id in connection.execute(
        query.order_by(GroupMemberRow.c.group_id, GroupMemberRow.c.position)
    ):
        members[group_id].append(names[component_id])
    rows = connection.execute(
        select(
            GroupRow.c.id,
            GroupRow.c.name,
            GroupRow.c.dependant_id,
            GroupRow.c.min_up,
            GroupRow.c.min_percent,
        ).order_by(GroupRow.c.id)
    )
    return [
        RedundancyGroup(name, names[dependant], tuple(members[group_id]), min_up, min_percent)
        for group_id, name, dependant, min_up, min_percent in rows
    ]
