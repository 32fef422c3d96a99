"""Alert state: which alerts are active per component, and the alerts that mapped to nothing.

A component's observed state is the worst state of its alerts (two alerts on db-03, one
resolving, leave db-03 down while the other fires). Each alert keeps its latest state in
`alert_states`; an older delivery (a retry overtaken by the resolve) changes nothing there
but still lands in the append-only event history at its own time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, String, Text, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from impact.model import State, StatusEvent, name_key
from store import history
from store.schema import NAME_LENGTH, Base, JsonType, UTCDateTime

KEY_LENGTH = 400


class AlertStateRow(Base):
    """The latest state one alert (or one generic source for one component) reported."""

    __tablename__ = "alert_states"

    alert_key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    component: Mapped[str] = mapped_column(String(NAME_LENGTH))
    component_key: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)


class UnmappedAlertRow(Base):
    """An alert no rule tied to a component: one row per alert, `count` distinct events."""

    __tablename__ = "unmapped_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    last_event: Mapped[str] = mapped_column(String(KEY_LENGTH))
    source: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    state: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, str]] = mapped_column(JsonType)
    summary: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True, slots=True)
class Observation:
    """An event for a known component, and the alert it belongs to (`alert_key`)."""

    alert_key: str
    event: StatusEvent


@dataclass(frozen=True, slots=True)
class UnmappedAlert:
    """An alert that named no component: `alert_key` is the alert, `event_key` this event."""

    source: str
    alert_key: str
    event_key: str
    name: str
    state: State
    at: datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class UnmappedSummary:
    """One line of `bsm alerts unmapped`."""

    name: str
    source: str
    state: State
    labels: Mapping[str, str]
    summary: str | None
    first_seen: datetime
    last_seen: datetime
    count: int


def _dialect(connection: Connection) -> Any:
    return postgresql if connection.dialect.name == "postgresql" else sqlite


def apply_observations(
    connection: Connection, observations: Sequence[Observation], now: datetime
) -> tuple[int, set[str]]:
    """Record events and alert states; return (events newly stored, component keys changed)."""
    ordered = sorted(observations, key=lambda o: (o.alert_key, o.event.at))
    keys = {name_key(o.event.component) for o in ordered}
    before = component_states(connection, keys)
    held = _held_times(connection, {o.alert_key for o in ordered})
    applied: list[bool] = []
    latest: dict[str, Observation] = {}
    for item in ordered:
        newer = item.alert_key not in held or item.event.at >= held[item.alert_key]
        applied.append(newer)
        if newer:
            held[item.alert_key] = item.event.at
            latest[item.alert_key] = item
    if latest:  # one statement for the batch, in key order (one lock order: no deadlocks)
        connection.execute(_upsert_statement(connection), [_values(o) for o in latest.values()])
    after = component_states(connection, keys)
    events = [_with_state(o.event, a, after) for o, a in zip(ordered, applied, strict=True)]
    stored = history.insert_events(connection, events, now)
    changed = {k for k in keys if before.get(k, (State.OK,))[0] != after.get(k, (State.OK,))[0]}
    return stored, changed


def _held_times(connection: Connection, alert_keys: set[str]) -> dict[str, datetime]:
    if not alert_keys:
        return {}
    query = select(AlertStateRow.alert_key, AlertStateRow.at).where(
        AlertStateRow.alert_key.in_(alert_keys)
    )
    return dict(connection.execute(query).tuples().all())


def _values(observation: Observation) -> dict[str, Any]:
    event = observation.event
    return {
        "alert_key": observation.alert_key,
        "component": event.component,
        "component_key": name_key(event.component),
        "state": State(event.state).value,
        "at": event.at,
        "source": event.source,
        "summary": event.summary,
    }


_UPSERTS: dict[str, Any] = {}


def _upsert_statement(connection: Connection) -> Any:
    """INSERT .. ON CONFLICT DO UPDATE unless the stored state is newer (built once)."""
    name = connection.dialect.name
    if name not in _UPSERTS:
        table = AlertStateRow.__table__
        statement = _dialect(connection).insert(table)
        columns = ("component", "component_key", "state", "at", "source", "summary")
        _UPSERTS[name] = statement.on_conflict_do_update(
            index_elements=[table.c.alert_key],
            set_={c: statement.excluded[c] for c in columns},
            where=table.c.at <= statement.excluded.at,
        )
    return _UPSERTS[name]


def _with_state(
    event: StatusEvent, applied: bool, states: Mapping[str, tuple[State, datetime]]
) -> StatusEvent:
    """The history event: the component's resulting state for in-order events, else as sent."""
    if not applied:
        return event
    state = states.get(name_key(event.component), (State.OK,))[0]
    return StatusEvent(
        event.component, state, event.at, event.source, event.summary, event.event_id
    )


def component_states(
    connection: Connection, keys: Iterable[str] | None = None
) -> dict[str, tuple[State, datetime]]:
    """component key -> (worst failing state of its alerts, since when); ok ones are absent."""
    row = AlertStateRow
    query = (
        select(row.component_key, row.state, func.min(row.at))
        .where(row.state != State.OK.value)
        .group_by(row.component_key, row.state)
    )
    if keys is not None:
        query = query.where(row.component_key.in_(list(keys)))
    found: dict[str, tuple[State, datetime]] = {}
    for key, state_text, since in connection.execute(query):
        state = State(state_text)
        held = found.get(key)
        if held is None or state.severity > held[0].severity:
            found[key] = (state, since if held is None else min(since, held[1]))
        else:
            found[key] = (held[0], min(since, held[1]))
    return found


def component_names(connection: Connection, keys: Iterable[str]) -> dict[str, str]:
    """Display names of component keys, as the alerts spelled them."""
    query = select(AlertStateRow.component_key, AlertStateRow.component).where(
        AlertStateRow.component_key.in_(list(keys))
    )
    return dict(connection.execute(query).tuples().all())


def record_unmapped(connection: Connection, alerts: Sequence[UnmappedAlert]) -> int:
    """Keep unmapped alerts; a new event of a known alert bumps its count. Returns new events."""
    table = UnmappedAlertRow.__table__
    counted = 0
    for alert in sorted(alerts, key=lambda a: a.alert_key):
        values = {
            "alert_key": alert.alert_key,
            "last_event": alert.event_key,
            "source": alert.source,
            "name": alert.name,
            "state": State(alert.state).value,
            "labels": dict(alert.labels),
            "summary": alert.summary,
            "first_seen": alert.at,
            "last_seen": alert.at,
            "count": 1,
        }
        statement = _dialect(connection).insert(table).values(values)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.alert_key],
            set_={
                "last_event": excluded.last_event,
                "state": excluded.state,
                "summary": excluded.summary,
                "last_seen": func.max(table.c.last_seen, excluded.last_seen)
                if connection.dialect.name == "sqlite"
                else func.greatest(table.c.last_seen, excluded.last_seen),
                "count": table.c.count + 1,
            },
            where=table.c.last_event != excluded.last_event,
        ).returning(table.c.id)
        counted += connection.execute(statement).first() is not None
    return counted


def unmapped(connection: Connection, limit: int = 100) -> list[UnmappedSummary]:
    """Unmapped alerts, most recently seen first."""
    row = UnmappedAlertRow
    query = select(row).order_by(row.last_seen.desc(), row.id.desc()).limit(limit)
    return [
        UnmappedSummary(
            name=r["name"],
            source=r["source"],
            state=State(r["state"]),
            labels=dict(r["labels"]),
            summary=r["summary"],
            first_seen=r["first_seen"],
            last_seen=r["last_seen"],
            count=r["count"],
        )
        for r in connection.execute(query).mappings()
    ]
