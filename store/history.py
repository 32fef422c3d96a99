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
    StatusEventRow.component,
    StatusEventRow.state,
    StatusEventRow.at,
    StatusEventRow.source,
    StatusEventRow.summary,
    StatusEventRow.event_id,
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
    statement = dialect.insert(StatusEventRow).on_conflict_do_nothing().returning(StatusEventRow.id)
    return len(connection.execute(statement, rows).all())


def read_events(
    connection: Connection,
    since: datetime | None,
    until: datetime | None,
    components: Collection[str] | None,
) -> list[StatusEvent]:
    query = select(*EVENT_COLUMNS)
    if since is not None:
        query = query.where(StatusEventRow.at >= since)
    if until is not None:
        query = query.where(StatusEventRow.at < until)
    if components is not None:
        query = query.where(StatusEventRow.component_key.in_([name_key(c) for c in components]))
    result = connection.execute(query.order_by(StatusEventRow.at, StatusEventRow.id))
    return [event_from_values(row) for row in result.mappings()]


def latest_states(
    connection: Connection, at: datetime | None, after_event: int | None = None
) -> dict[str, State]:
    """The latest state of every component with events (as of `at`), named as in the map.

    With `after_event`, only of the components with an event of a greater id.
    """
    latest = select(
        StatusEventRow.component_key,
        StatusEventRow.component,
        StatusEventRow.state,
        func.row_number()
        .over(
            partition_by=StatusEventRow.component_key,
            order_by=(StatusEventRow.at.desc(), StatusEventRow.id.desc()),
        )
        .label("rank"),
    )
    if at is not None:
        latest = latest.where(StatusEventRow.at <= at)
    if after_event is not None:
        moved = select(StatusEventRow.component_key).where(StatusEventRow.id > after_event)
        latest = latest.where(StatusEventRow.component_key.in_(moved))
    sub = latest.subquery()
    query = (
        select(func.coalesce(ComponentRow.name, sub.c.component), sub.c.state)
        .select_from(sub)
        .outerjoin(ComponentRow, ComponentRow.name_key == sub.c.component_key)
        .where(sub.c.rank == 1)
    )
    return {name: State(state) for name, state in connection.execute(query)}


def last_event_id(connection: Connection) -> int | None:
    found = connection.execute(select(func.max(StatusEventRow.id))).scalar()
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
        connection.execute(insert(MaintenanceRow).returning(MaintenanceRow.id), values).scalar_one()
    )


def read_windows(
    connection: Connection, active_at: datetime | None = None, window_id: int | None = None
) -> list[MaintenanceWindow]:
    query = select(
        MaintenanceRow.id,
        MaintenanceRow.component,
        MaintenanceRow.start,
        MaintenanceRow.end,
        MaintenanceRow.reason,
        MaintenanceRow.created_by,
        MaintenanceRow.announce_s,
    )
    if active_at is not None:
        query = query.where(MaintenanceRow.start <= active_at, MaintenanceRow.end > active_at)
    if window_id is not None:
        query = query.where(MaintenanceRow.id == window_id)
    result = connection.execute(query.order_by(MaintenanceRow.start, MaintenanceRow.id))
    return [window_from_values(row) for row in result.mappings()]
