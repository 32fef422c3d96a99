"""Status events and maintenance windows: queries over the append-only history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from impact.model import MaintenanceWindow, State, StatusEvent, name_key
from store.codec import event_from_values, event_values, window_from_values
from store.database import dialect_of
from store.schema import ComponentRow, MaintenanceRow, StatusEventRow

EVENT_COLUMNS = (
    StatusEventRow.c.component,
    StatusEventRow.c.state,
    StatusEventRow.c.at,
    StatusEventRow.c.source,
    StatusEventRow.c.summary,
    StatusEventRow.c.event_id,
)


def insert_events(connection: Connection, events: Sequence[StatusEvent], received: datetime) -> int:
    """Store events whose `event_id` is new (or unset); returns how many were stored."""
    rows, seen = [], set()
    for event in events:
        if event.event_id is not None:
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
        rows.append({**event_values(event), "received_at": received})
    if not rows:
        return 0
    dialect = dialect_of(connection)
    # ON CONFLICT DO NOTHING: a concurrent writer with the same event_id must not fail us.
    statement = (
        dialect.insert(StatusEventRow).on_conflict_do_nothing().returning(StatusEventRow.c.id)
    )
    return len(connection.execute(statement, rows).all())


def read_events(
    connection: Connection,
    since: datetime | None,
    until: datetime | None,
    components: Collection[str] | None,
) -> list[StatusEvent]:
    query = select(*EVENT_COLUMNS)
    if since is not None:
        query = query.where(StatusEventRow.c.at >= since)
    if until is not None:
        query = query.where(StatusEventRow.c.at < until)
    if components is not None:
        query = query.where(StatusEventRow.c.component_key.in_([name_key(c) for c in components]))
    result = connection.execute(query.order_by(StatusEventRow.c.at, StatusEventRow.c.id))
    return [event_from_values(row) for row in result.mappings()]


def latest_states(
    connection: Connection, at: datetime | None, after_event: int | None = None
) -> dict[str, State]:
    """The latest state of every component with events (as of `at`), named as in the map.

    With `after_event`, only of the components with an event of a greater id.
    """
    latest = select(
        StatusEventRow.c.component_key,
        StatusEventRow.c.component,
        StatusEventRow.c.state,
        func.row_number()
        .over(
            partition_by=StatusEventRow.c.component_key,
            order_by=(StatusEventRow.c.at.desc(), StatusEventRow.c.id.desc()),
        )
        .label("rank"),
    )
    if at is not None:
        latest = latest.where(StatusEventRow.c.at <= at)
    if after_event is not None:
        moved = select(StatusEventRow.c.component_key).where(StatusEventRow.c.id > after_event)
        latest = latest.where(StatusEventRow.c.component_key.in_(moved))
    sub = latest.subquery()
    query = (
        select(func.coalesce(ComponentRow.c.name, sub.c.component), sub.c.state)
        .select_from(sub)
        .outerjoin(ComponentRow, ComponentRow.c.name_key == sub.c.component_key)
        .where(sub.c.rank == 1)
    )
    return {name: State(state) for name, state in connection.execute(query)}


def last_event_id(connection: Connection) -> int | None:
    found = connection.execute(select(func.max(StatusEventRow.c.id))).scalar()
    return int(found) if found is not None else None


def insert_window(connection: Connection, window: MaintenanceWindow, created: datetime) -> int:
    values = {
        "component": window.component,
        "component_key": name_key(window.component),
        "start": window.start,
        "end": window.end,
        "reason": window.reason,
        "created_by": window.created_by,
        "created_at": created,
        "announce_s": window.announce_s,
    }
    return int(
        connection.execute(
            insert(MaintenanceRow).returning(MaintenanceRow.c.id), values
        ).scalar_one()
    )


def read_windows(
    connection: Connection, active_at: datetime | None = None, window_id: int | None = None
) -> list[MaintenanceWindow]:
    query = select(
        MaintenanceRow.c.id,
        MaintenanceRow.c.component,
        MaintenanceRow.c.start,
        MaintenanceRow.c.end,
        MaintenanceRow.c.reason,
        MaintenanceRow.c.created_by,
        MaintenanceRow.c.announce_s,
    )
    if active_at is not None:
        query = query.where(MaintenanceRow.c.start <= active_at, MaintenanceRow.c.end > active_at)
    if window_id is not None:
        query = query.where(MaintenanceRow.c.id == window_id)
    result = connection.execute(query.order_by(MaintenanceRow.c.start, MaintenanceRow.c.id))
    return [window_from_values(row) for row in result.mappings()]
